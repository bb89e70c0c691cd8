package libct

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"

	"github.com/libct/libct/internal/sysfile"
)

// idMapping is how the id maps of a new user namespace get written.
//
// Root writes any map itself: the Go runtime writes it between clone and
// exec. An unprivileged caller may write only one line mapping its own id
// (and the gid map only once setgroups is denied); for anything more it
// needs the setuid helpers newuidmap and newgidmap (Debian's uidmap
// package), which check /etc/subuid and /etc/subgid. They need the init's
// pid, so they run after the clone, while the init waits for its spec.
type idMapping struct {
	uids, gids []IDMap
	// helpers is set when newuidmap and newgidmap must write the maps.
	helpers bool
}

func newIDMapping(cfg *Config) *idMapping {
	m := &idMapping{
		uids: cfg.UIDMappings,
		gids: cfg.GIDMappings,
	}
	euid, egid := os.Geteuid(), os.Getegid()
	if len(m.uids) == 0 {
		m.uids = defaultIDMap(euid)
	}
	if len(m.gids) == 0 {
		m.gids = defaultIDMap(egid)
	}
	m.helpers = euid != 0 && !(isSelfMap(m.uids, euid) && isSelfMap(m.gids, egid))
	return m
}

func isSelfMap(maps []IDMap, id int) bool {
	return len(maps) == 1 && maps[0].Size == 1 && int(maps[0].HostID) == id
}

// setgroupsAllowed tells whether the init may call setgroups: always with
// maps written by root or by newgidmap; never with an unprivileged
// caller's own map, which the kernel accepts only after "deny".
func (m *idMapping) setgroupsAllowed() bool {
	return os.Geteuid() == 0 || m.helpers
}

// apply sets what the Go runtime writes itself.
//
// Capabilities survive the exec of the init only if its uid is root of the
// new namespace by then; the caller's uid may be mapped elsewhere (or not
// at all), so the child takes uid and gid 0 once the maps are written.
// With newuidmap the maps come after the exec: the init re-executes itself
// then (see reexecForCaps).
func (m *idMapping) apply(attr *syscall.SysProcAttr) {
	if m.helpers {
		return
	}
	attr.UidMappings = sysIDMaps(m.uids)
	attr.GidMappings = sysIDMaps(m.gids)
	attr.GidMappingsEnableSetgroups = m.setgroupsAllowed()
	attr.Credential = &syscall.Credential{Uid: 0, Gid: 0, NoSetGroups: !m.setgroupsAllowed()}
}

// reexecForCaps tells whether the init must execute itself again once the
// maps are written, to gain the capabilities of the namespace's root.
func (m *idMapping) reexecForCaps() bool { return m.helpers }

// writeWithHelpers runs newuidmap and newgidmap for the init pid.
func (m *idMapping) writeWithHelpers(pid int) error {
	if !m.helpers {
		return nil
	}
	for _, h := range []struct {
		tool, field string
		maps        []IDMap
	}{{"newuidmap", "uidMappings", m.uids}, {"newgidmap", "gidMappings", m.gids}} {
		path, err := exec.LookPath(h.tool)
		if err != nil {
			return fmt.Errorf("%s: an unprivileged caller needs %s (Debian package uidmap) for these mappings: %w", h.field, h.tool, err)
		}
		args := []string{strconv.Itoa(pid)}
		for _, r := range h.maps {
			args = append(args, strconv.FormatUint(uint64(r.ContainerID), 10),
				strconv.FormatUint(uint64(r.HostID), 10), strconv.FormatUint(uint64(r.Size), 10))
		}
		if out, err := exec.Command(path, args...).CombinedOutput(); err != nil {
			return fmt.Errorf("%s: %s: %w: %s", h.field, h.tool, err, bytes.TrimSpace(out))
		}
	}
	return nil
}

// hostIDOfRoot is the host id that id 0 of a namespace maps to.
func hostIDOfRoot(maps []IDMap) int {
	for _, m := range maps {
		if m.ContainerID == 0 {
			return int(m.HostID)
		}
	}
	return 0
}

// readIDMap reads a /proc/PID/uid_map or gid_map file.
func readIDMap(path string) ([]IDMap, error) {
	data, err := sysfile.ReadPseudo(path)
	if err != nil {
		return nil, err
	}
	var maps []IDMap
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		var m IDMap
		if _, err := fmt.Sscanf(line, "%d %d %d", &m.ContainerID, &m.HostID, &m.Size); err == nil {
			maps = append(maps, m)
		}
	}
	return maps, nil
}

func sysIDMaps(maps []IDMap) []syscall.SysProcIDMap {
	out := make([]syscall.SysProcIDMap, len(maps))
	for i, m := range maps {
		out[i] = syscall.SysProcIDMap{ContainerID: int(m.ContainerID), HostID: int(m.HostID), Size: int(m.Size)}
	}
	return out
}
