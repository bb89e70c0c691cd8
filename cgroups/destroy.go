package cgroups

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

func (m *manager) Destroy() error { return m.DestroyWithin(DefaultWaitLimit) }

func (m *manager) DestroyWithin(limit time.Duration) error {
	// Most cgroups are empty by the time they are destroyed: the
	// container's program has been waited for (ct run, delete of a
	// stopped container). They are removed at once then, without asking
	// which processes they hold: a read of cgroup.procs makes a v1
	// kernel build and sort a list of pids, in every hierarchy, a cost
	// BenchmarkCreateDestroy shows (bench/results.md). A cgroup that
	// cannot go (EBUSY: processes or sub-cgroups in it) sends Destroy
	// looking for processes to kill, as does any other refusal, which
	// the last removal then reports; what the first pass removed is gone
	// already, and rmdir of a missing cgroup succeeds.
	if m.remove(time.Time{}) == nil {
		return nil
	}
	deadline := time.Now().Add(limit)
	delay := 100 * time.Microsecond
	for round := 0; ; round++ {
		pids, err := m.Pids()
		if err != nil {
			return err
		}
		if len(pids) == 0 {
			break
		}
		if time.Now().After(deadline) {
			return Stuck("destroy", m.st.Path, limit, pids)
		}
		if err := m.Kill(unix.SIGKILL); err != nil && !errors.Is(err, unix.ENOENT) {
			return err
		}
		if round > 0 {
			// Still there after a kill of the whole cgroup: a process
			// that left the unified cgroup but not a v1 one, say.
			for _, pid := range pids {
				unix.Kill(pid, unix.SIGKILL)
			}
		}
		time.Sleep(delay)
		delay = min(delay*2, 20*time.Millisecond)
	}
	return m.remove(deadline)
}

// remove removes the cgroup, its descendants and the parents up to Top
// that nothing else lives in, in every hierarchy. A cgroup the kernel
// refuses to remove (EBUSY) is tried again until deadline; with a zero
// deadline, remove returns the refusal at once.
func (m *manager) remove(deadline time.Time) error {
	for _, dir := range m.dirs() {
		if err := removeTree(dir, deadline); err != nil {
			return err
		}
		mnt := strings.TrimSuffix(dir, m.st.Path)
		for p := filepath.Dir(m.st.Path); p != "/" && (p == m.st.Top || strings.HasPrefix(p, m.st.Top+"/")); p = filepath.Dir(p) {
			if rmdir(filepath.Join(mnt, p)) != nil {
				break
			}
		}
	}
	return nil
}

// removeTree removes dir after its descendants. The kernel refuses
// (EBUSY) while the last tasks are exiting: that is retried until the
// deadline.
func removeTree(dir string, deadline time.Time) error {
	var ents []os.DirEntry
	if hasSubdirs(dir) {
		ents, _ = os.ReadDir(dir)
	}
	for _, e := range ents {
		if e.IsDir() {
			if err := removeTree(filepath.Join(dir, e.Name()), deadline); err != nil {
				return err
			}
		}
	}
	delay := 100 * time.Microsecond
	for {
		err := rmdir(dir)
		if err == nil {
			return nil
		}
		if err != unix.EBUSY || time.Now().After(deadline) {
			return fmt.Errorf("cgroups: rmdir %s: %w", dir, err)
		}
		time.Sleep(delay)
		delay = min(delay*2, 20*time.Millisecond)
	}
}
