package cgroups

import (
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"sync"

	"golang.org/x/sys/unix"

	"github.com/libct/libct/internal/sysfile"
)

// Mode is a host's cgroup layout.
type Mode string

const (
	// ModeV1: a hierarchy per controller, no unified tree.
	ModeV1 Mode = "v1"
	// ModeV2: the unified hierarchy only.
	ModeV2 Mode = "v2"
	// ModeHybrid: v1 hierarchies plus a unified tree, which holds the
	// controllers no v1 hierarchy binds.
	ModeHybrid Mode = "hybrid"
)

// cgroupRoot is where hosts mount their cgroup hierarchies.
const cgroupRoot = "/sys/fs/cgroup"

// hierarchy is one mounted v1 hierarchy.
type hierarchy struct {
	mount string   // mount point
	ctls  []string // the controllers bound to it, as the mount options name them
}

// layout is the cgroup layout of the host, as this process sees it.
type layout struct {
	mode Mode
	// unified is the mount point of the unified hierarchy, "" without one.
	unified string
	// v1 maps a controller to the v1 hierarchy that binds it.
	v1 map[string]*hierarchy
	// v2 holds the controllers of the unified root's cgroup.controllers.
	v2 map[string]bool
	// kernel holds the controllers the kernel has and enables
	// (/proc/cgroups).
	kernel map[string]bool
}

// hostLayout detects the layout once per process: it changes only with a
// reboot.
var hostLayout = sync.OnceValues(func() (*layout, error) { return detect(cgroupRoot, "/proc/self/mountinfo") })

// Detect returns the host's cgroup layout.
func Detect() (Mode, error) {
	l, err := hostLayout()
	if err != nil {
		return "", err
	}
	return l.mode, nil
}

// detect looks at the file system on root (cgroup2 or not) and at the
// cgroup mounts of mountinfo.
func detect(root, mountinfo string) (*layout, error) {
	l := &layout{v1: map[string]*hierarchy{}, v2: map[string]bool{}, kernel: kernelControllers()}
	var st unix.Statfs_t
	if err := unix.Statfs(root, &st); err != nil {
		return nil, fmt.Errorf("cgroups: statfs %s: %w", root, err)
	}
	if st.Type == unix.CGROUP2_SUPER_MAGIC {
		l.mode, l.unified = ModeV2, root
	} else {
		data, err := sysfile.ReadPseudo(mountinfo)
		if err != nil {
			return nil, fmt.Errorf("cgroups: %w", err)
		}
		l.parseMounts(data, root)
		switch {
		case len(l.v1) > 0 && l.unified != "":
			l.mode = ModeHybrid
		case len(l.v1) > 0:
			l.mode = ModeV1
		case l.unified != "":
			l.mode = ModeV2
		default:
			return nil, fmt.Errorf("cgroups: no cgroup hierarchy is mounted on this host")
		}
	}
	if l.unified != "" {
		data, err := sysfile.ReadPseudo(filepath.Join(l.unified, "cgroup.controllers"))
		if err != nil {
			return nil, fmt.Errorf("cgroups: %w", err)
		}
		for _, c := range strings.Fields(string(data)) {
			l.v2[c] = true
		}
	}
	return l, nil
}

// parseMounts fills the v1 hierarchies and the unified mount point from
// mountinfo. Of several mounts of one hierarchy, the one below root wins,
// then the first.
func (l *layout) parseMounts(data []byte, root string) {
	for line := range strings.Lines(string(data)) {
		pre, post, ok := strings.Cut(strings.TrimSuffix(line, "\n"), " - ")
		if !ok {
			continue
		}
		f, g := strings.Fields(pre), strings.Fields(post)
		if len(f) < 5 || len(g) < 3 {
			continue
		}
		mnt := unescapeMount(f[4])
		preferred := mnt == root || strings.HasPrefix(mnt, root+"/")
		switch g[0] {
		case "cgroup2":
			if l.unified == "" || preferred && !strings.HasPrefix(l.unified, root+"/") {
				l.unified = mnt
			}
		case "cgroup":
			h := &hierarchy{mount: mnt}
			for _, o := range strings.Split(g[2], ",") {
				if _, known := controllers[o]; known {
					h.ctls = append(h.ctls, o)
				}
			}
			for _, c := range h.ctls {
				if old := l.v1[c]; old == nil || preferred && !strings.HasPrefix(old.mount, root+"/") {
					l.v1[c] = h
				}
			}
		}
	}
}

// unescapeMount undoes mountinfo's octal escapes (\040 for a space).
func unescapeMount(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+4 <= len(s) {
			if n, err := strconv.ParseUint(s[i+1:i+4], 8, 8); err == nil {
				b.WriteByte(byte(n))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// kernelControllers reads the enabled controllers of /proc/cgroups.
func kernelControllers() map[string]bool {
	m := map[string]bool{}
	data, err := sysfile.ReadPseudo("/proc/cgroups")
	if err != nil {
		return m
	}
	for _, line := range strings.Split(string(data), "\n") {
		f := strings.Fields(line)
		if len(f) == 4 && f[3] == "1" {
			m[f[0]] = true
		}
	}
	return m
}

func sortedControllers() []string {
	return []string{"blkio", "cpu", "cpuacct", "cpuset", "devices", "freezer", "hugetlb", "memory",
		"misc", "net_cls", "net_prio", "perf_event", "pids", "rdma"}
}
