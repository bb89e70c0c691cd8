package cgroups

import (
	"maps"
	"path/filepath"
	"slices"
	"strings"

	"golang.org/x/sys/unix"
)

// Mount is one mount of the cgroup sub-mount, in the container's own
// terms: Destination is a path inside the container, Flags are MS_*
// flags of mount(2). Mounts are made in order; each Destination must
// exist or be created first.
type Mount struct {
	Source      string  `json:"source"`
	Destination string  `json:"destination"`
	Type        string  `json:"type,omitempty"`
	Data        string  `json:"data,omitempty"`
	Flags       uintptr `json:"flags,omitempty"`
}

// Mounts tells what to mount inside the container so that it sees its own
// cgroup at dest ("/sys/fs/cgroup" when empty) and can make sub-cgroups
// there.
//
// With cgroupNS the container has its own cgroup namespace, made while
// its init was already in this cgroup (unshare(CLONE_NEWCGROUP) after
// Attach: a namespace made by clone takes the parent's cgroup as its
// root, even with CLONE_INTO_CGROUP), so fresh cgroup file systems show
// this cgroup as their root: cgroup2 on v2; on v1 a tmpfs with a cgroup
// file system per hierarchy (named as on the host, "cpu,cpuacct" for
// co-mounted ones) and, on a hybrid host, the unified one. Without
// cgroupNS the same places get bind mounts of the cgroup's directories.
func (m *manager) Mounts(dest string, cgroupNS bool) []Mount {
	if dest == "" {
		dest = cgroupRoot
	}
	const fsFlags = unix.MS_NOSUID | unix.MS_NODEV | unix.MS_NOEXEC | unix.MS_RELATIME
	const bindFlags = unix.MS_BIND | unix.MS_REC | unix.MS_NOSUID | unix.MS_NODEV | unix.MS_NOEXEC
	one := func(dir, at, typ, data string) Mount {
		if !cgroupNS {
			return Mount{Source: dir, Destination: at, Flags: bindFlags}
		}
		return Mount{Source: typ, Destination: at, Type: typ, Data: data, Flags: fsFlags}
	}
	if m.st.Mode == ModeV2 {
		return []Mount{one(m.st.Unified, dest, "cgroup2", "")}
	}
	out := []Mount{{Source: "tmpfs", Destination: dest, Type: "tmpfs", Data: "mode=755", Flags: fsFlags}}
	l, _ := hostLayout()
	var seen []string
	for _, ctl := range slices.Sorted(maps.Keys(m.st.V1)) {
		dir := m.st.V1[ctl]
		if slices.Contains(seen, dir) {
			continue
		}
		seen = append(seen, dir)
		mnt := strings.TrimSuffix(dir, m.st.Path)
		data := ctl
		if l != nil && l.v1[ctl] != nil {
			data = strings.Join(l.v1[ctl].ctls, ",")
		}
		out = append(out, one(dir, filepath.Join(dest, filepath.Base(mnt)), "cgroup", data))
	}
	if m.st.Unified != "" {
		mnt := strings.TrimSuffix(m.st.Unified, m.st.Path)
		out = append(out, one(m.st.Unified, filepath.Join(dest, filepath.Base(mnt)), "cgroup2", ""))
	}
	return out
}
