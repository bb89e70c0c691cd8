package cgroups

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"time"
)

// freezeTimeout bounds the wait for the kernel to report a cgroup frozen
// or thawed.
const freezeTimeout = 10 * time.Second

// ErrAncestorFrozen: the cgroup cannot thaw because a parent cgroup is
// frozen, which only whoever froze the parent can undo.
var ErrAncestorFrozen = errors.New("frozen by a parent cgroup")

// ancestorFreezer returns the directory of the nearest parent cgroup that
// freezes the cgroup whose freezer directory is dir, or "".
func (m *manager) ancestorFreezer(dir string, v1 bool) string {
	mnt := strings.TrimSuffix(dir, m.st.Path)
	if v1 {
		if v, err := readFile(dir, "freezer.parent_freezing"); err != nil || v != "1" {
			return ""
		}
		if p := frozenAncestor(mnt, filepath.Dir(m.st.Path), "freezer.self_freezing", "1"); p != "" {
			return filepath.Join(mnt, p)
		}
		return "a parent of " + dir
	}
	if p := frozenAncestor(mnt, filepath.Dir(m.st.Path), "cgroup.freeze", "1"); p != "" {
		return filepath.Join(mnt, p)
	}
	return ""
}

// freezer returns the directory that freezes the cgroup: v1's freezer
// hierarchy, or the unified one (cgroup.freeze).
func (m *manager) freezer() (dir string, v1 bool, err error) {
	if d := m.st.V1["freezer"]; d != "" {
		return d, true, nil
	}
	if m.st.Unified != "" {
		return m.st.Unified, false, nil
	}
	return "", false, ctlErr("freezer", ErrNotEnabled)
}

func (m *manager) Freeze() error { return m.setFrozen(true) }

func (m *manager) Thaw() error { return m.setFrozen(false) }

func (m *manager) Frozen() (bool, error) {
	dir, v1, err := m.freezer()
	if err != nil {
		return false, err
	}
	if v1 {
		s, err := readFile(dir, "freezer.state")
		if err != nil {
			return false, fileErr("freezer", "freezer.state", "", err)
		}
		return s == "FROZEN", nil
	}
	return v2Frozen(dir)
}

// v2Frozen reads "frozen" of cgroup.events.
func v2Frozen(dir string) (bool, error) {
	s, err := readFile(dir, "cgroup.events")
	if err != nil {
		return false, fileErr("freezer", "cgroup.events", "", err)
	}
	for _, line := range strings.Split(s, "\n") {
		if v, ok := strings.CutPrefix(line, "frozen "); ok {
			return v == "1", nil
		}
	}
	return false, fileErr("freezer", "cgroup.events", "", fmt.Errorf("no frozen key"))
}

// setFrozen asks for the state and waits until the kernel reports it: a
// freeze is done only once every task stopped. v1 is asked again while it
// stays FREEZING (a task may have been busy in the kernel); a freeze that
// never completes is undone.
func (m *manager) setFrozen(frozen bool) error {
	dir, v1, err := m.freezer()
	if err != nil {
		return err
	}
	file, value := "cgroup.freeze", "0"
	if frozen {
		value = "1"
	}
	if v1 {
		file, value = "freezer.state", "THAWED"
		if frozen {
			value = "FROZEN"
		}
	}
	ask := func() error {
		if err := writeFile(dir, file, value); err != nil {
			return fileErr("freezer", file, value, err)
		}
		return nil
	}
	if err := ask(); err != nil {
		return err
	}
	if !frozen {
		// A thaw cannot complete under a frozen parent: say so at once
		// rather than after the timeout.
		if parent := m.ancestorFreezer(dir, v1); parent != "" {
			return paramErr("freezer", file, value, fmt.Errorf("%w: %s", ErrAncestorFrozen, parent))
		}
	}
	deadline := time.Now().Add(freezeTimeout)
	delay := 50 * time.Microsecond
	for i := 0; ; i++ {
		var done bool
		if v1 {
			s, err := readFile(dir, "freezer.state")
			if err != nil {
				return fileErr("freezer", "freezer.state", "", err)
			}
			done = s == value
		} else {
			f, err := v2Frozen(dir)
			if err != nil {
				return err
			}
			done = f == frozen
		}
		if done {
			return nil
		}
		if time.Now().After(deadline) {
			why := m.freezeHolders()
			if frozen {
				m.setFrozen(false)
			}
			return paramErr("freezer", file, value, fmt.Errorf("the kernel did not complete it in %v%s", freezeTimeout, why))
		}
		time.Sleep(delay)
		delay = min(delay*2, 10*time.Millisecond)
		if v1 && i%10 == 9 {
			if err := ask(); err != nil {
				return err
			}
		}
	}
}

// freezeHolders says which processes keep a freeze from completing, as
// ": pid 42 is in uninterruptible sleep (state D); ...", or "" when none
// is known: those in uninterruptible sleep outside any freeze, and those
// a freezer cgroup of someone else's holds. Tasks the freeze already
// stopped are not named.
func (m *manager) freezeHolders() string {
	pids, err := m.Pids()
	if err != nil {
		return ""
	}
	var b strings.Builder
	for _, p := range Stuck("freeze", m.st.Path, freezeTimeout, pids).Procs {
		if p.Foreign || p.FrozenBy == "" && p.State == "D" {
			if b.Len() == 0 {
				b.WriteString(": ")
			} else {
				b.WriteString("; ")
			}
			b.WriteString(p.String())
		}
	}
	return b.String()
}
