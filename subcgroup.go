package libct

import (
	"fmt"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/libct/libct/cgroups"
	"github.com/libct/libct/internal/quote"
	"github.com/libct/libct/internal/sysfile"
)

// refuseEnterOnly refuses, for a start, the fields only Enter reads.
func (p *Process) refuseEnterOnly() error {
	if len(p.SubCgroups) > 0 {
		return invalid("process.subCgroups", "only for a process entered into a running container (Enter)")
	}
	if p.EnterPaused {
		return invalid("process.enterPaused", "only for a process entered into a running container (Enter)")
	}
	return nil
}

// subCgroupDirs resolves subs (Process.SubCgroups) against the
// container's cgroup st: the directory the entered process joins in each
// hierarchy, the unified one first. A hierarchy that no key names, and
// that "" does not either, is joined at the container's own cgroup.
func subCgroupDirs(st cgroups.State, subs map[string]string) ([]string, error) {
	rels := make(map[string]string, len(subs))
	for key, sub := range subs {
		rel, err := subCgroupPath(key, sub)
		if err != nil {
			return nil, err
		}
		if key == "" {
			rels[""] = rel
			continue
		}
		ctl := key
		if ctl == "io" {
			ctl = "blkio"
		}
		if !slices.Contains(st.Controllers, ctl) {
			return nil, invalid(subCgroupField(key), "unknown controller %s: the container's cgroup has no such controller (it has %s)",
				quote.Value(key), strings.Join(st.Controllers, ","))
		}
		rels[ctl] = rel
	}
	// Each hierarchy with the controllers it holds: on v1 those it is
	// mounted with, in the unified one those no v1 hierarchy has.
	var dirs []string
	held := map[string][]string{}
	if st.Unified != "" {
		dirs = append(dirs, st.Unified)
	}
	for _, ctl := range st.Controllers {
		dir := st.V1[ctl]
		if dir == "" {
			dir = st.Unified
		}
		if dir == "" {
			continue
		}
		if !slices.Contains(dirs, dir) {
			dirs = append(dirs, dir)
		}
		held[dir] = append(held[dir], ctl)
	}
	out := make([]string, 0, len(dirs))
	for _, dir := range dirs {
		rel, named := "", ""
		for _, ctl := range held[dir] {
			r, ok := rels[ctl]
			if !ok {
				continue
			}
			if named != "" && r != rel {
				return nil, invalid(subCgroupField(ctl), "%s and %s share a hierarchy: give them one path, not %s and %s",
					named, ctl, quote.Value(rel), quote.Value(r))
			}
			rel, named = r, ctl
		}
		if named == "" {
			rel = rels[""]
		}
		out = append(out, filepath.Join(dir, rel))
	}
	return out, nil
}

// subCgroupPath cleans sub, a path relative to the container's cgroup
// ("/" is the cgroup itself), and refuses one that leads out of it.
func subCgroupPath(key, sub string) (string, error) {
	if strings.ContainsRune(sub, 0) {
		return "", invalid(subCgroupField(key), "%s has a NUL byte", quote.Value(sub))
	}
	rel := path.Clean(strings.TrimLeft(sub, "/"))
	if rel == ".." || strings.HasPrefix(rel, "../") {
		return "", invalid(subCgroupField(key), "%s is not a sub cgroup path of the container's cgroup", sub)
	}
	if rel == "." {
		rel = ""
	}
	return rel, nil
}

func subCgroupField(key string) string {
	return "process.subCgroups[" + strconv.Quote(key) + "]"
}

// attachToDirs moves pid into the cgroup directories dirs, as
// Manager.Attach does for the container's own.
func attachToDirs(pid int, dirs []string) error {
	v := strconv.Itoa(pid)
	for _, dir := range dirs {
		file := filepath.Join(dir, "cgroup.procs")
		if err := writeCgroupProcs(file, v); err != nil {
			return fmt.Errorf("adding pid %d to cgroups: %w", pid, err)
		}
	}
	return nil
}

func writeCgroupProcs(file, pid string) error {
	f, err := os.OpenFile(file, os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	_, err = f.WriteString(pid)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// initUnifiedCgroup is the cgroup of the container's init in the unified
// hierarchy when it is below the container's own, "" otherwise. An init
// that moved itself into a sub-cgroup (through its cgroup namespace) and
// then enabled a domain controller in the container's cgroup keeps every
// new process out of that cgroup (EBUSY: no processes in an inner node
// with domain controllers); a process entered without SubCgroups then
// joins the init's, as runc's exec does.
func initUnifiedCgroup(st cgroups.State, initPid int) (string, error) {
	if st.Unified == "" || initPid <= 0 {
		return "", nil
	}
	mount, ok := strings.CutSuffix(st.Unified, st.Path)
	if !ok {
		return "", nil
	}
	data, err := sysfile.ReadPseudo("/proc/" + strconv.Itoa(initPid) + "/cgroup")
	if err != nil {
		return "", fmt.Errorf("the init's cgroup: %w", err)
	}
	for line := range strings.Lines(string(data)) {
		rel, ok := strings.CutPrefix(strings.TrimSuffix(line, "\n"), "0::")
		if !ok {
			continue
		}
		dir := filepath.Join(mount, rel)
		if strings.HasPrefix(dir, st.Unified+"/") {
			return dir, nil
		}
		return "", nil
	}
	return "", nil
}
