package cgroups

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

func (m *manager) Kill(sig syscall.Signal) error {
	if sig == unix.SIGKILL && m.st.Unified != "" {
		// cgroup.kill (Linux 5.14) kills every process of the subtree and
		// every one forked meanwhile.
		err := writeFile(m.st.Unified, "cgroup.kill", "1")
		if err == nil {
			// On a hybrid host a task frozen by the v1 freezer dies
			// only once thawed.
			if m.st.V1["freezer"] != "" {
				if frozen, _ := m.Frozen(); frozen {
					return thawForKill(m.Thaw())
				}
			}
			return nil
		}
		if err != unix.ENOENT {
			return fileErr("", "cgroup.kill", "1", err)
		}
	}
	if _, _, err := m.freezer(); err != nil {
		// Without a freezer, signal until nothing new shows up.
		return m.signalAll(sig, sig == unix.SIGKILL)
	}
	return m.killFrozen(sig)
}

// killFrozen freezes the cgroup, signals every process and thaws it.
func (m *manager) killFrozen(sig syscall.Signal) error {
	was, err := m.Frozen()
	if err != nil {
		return err
	}
	// Frozen tasks cannot fork: the list is complete and stays so.
	if !was {
		if err := m.Freeze(); err != nil {
			return err
		}
	}
	serr := m.signalAll(sig, false)
	// A frozen task dies of SIGKILL only once thawed.
	if !was || sig == unix.SIGKILL {
		if err := thawForKill(m.Thaw()); err != nil {
			return err
		}
	}
	return serr
}

// thawForKill is the outcome of the thaw that lets a SIGKILL take
// effect. A parent frozen by someone else keeps the cgroup frozen: the
// signal is sent and takes effect once the parent thaws, so Kill has done
// its part (a wait for the deaths, as Destroy's, reports who holds them).
func thawForKill(err error) error {
	if errors.Is(err, ErrAncestorFrozen) {
		return nil
	}
	return err
}

// signalAll sends sig to every process of the cgroup; with repeat, again
// until a pass finds no process it did not signal before.
func (m *manager) signalAll(sig syscall.Signal, repeat bool) error {
	done := map[int]bool{}
	for pass := 0; pass < 100; pass++ {
		pids, err := m.Pids()
		if err != nil {
			return err
		}
		fresh := false
		for _, pid := range pids {
			if done[pid] && !repeat {
				continue
			}
			fresh = fresh || !done[pid]
			done[pid] = true
			if err := unix.Kill(pid, sig); err != nil && err != unix.ESRCH {
				return fmt.Errorf("cgroups: kill %d: %w", pid, err)
			}
		}
		if !repeat || !fresh {
			return nil
		}
	}
	return nil
}

// Pids reads cgroup.procs of the cgroup and of its descendants in every
// hierarchy: a process attached to one hierarchy only is found too.
func (m *manager) Pids() ([]int, error) {
	var pids []int
	for _, dir := range m.dirs() {
		if err := walkProcs(dir, func(pid int) {
			if !slices.Contains(pids, pid) {
				pids = append(pids, pid)
			}
		}); err != nil {
			return nil, err
		}
	}
	slices.Sort(pids)
	return pids, nil
}

// walkProcs calls fn for every pid of dir and of its descendants. A
// cgroup removed meanwhile has no process.
func walkProcs(dir string, fn func(int)) error {
	s, err := readFile(dir, "cgroup.procs")
	if errors.Is(err, unix.ENOENT) || errors.Is(err, unix.ENODEV) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("cgroups: %s: %w", filepath.Join(dir, "cgroup.procs"), err)
	}
	for _, f := range strings.Fields(s) {
		if pid, err := strconv.Atoi(f); err == nil {
			fn(pid)
		}
	}
	if !hasSubdirs(dir) {
		return nil
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil // removed meanwhile
	}
	for _, e := range ents {
		if e.IsDir() {
			if err := walkProcs(filepath.Join(dir, e.Name()), fn); err != nil {
				return err
			}
		}
	}
	return nil
}

// hasSubdirs tells from the link count whether a cgroup has children:
// cgroup file systems count 2 plus one per child, and a stat is much
// cheaper than reading a directory of many files.
func hasSubdirs(dir string) bool {
	var st unix.Stat_t
	if err := unix.Stat(dir, &st); err != nil {
		return false
	}
	return st.Nlink != 2
}
