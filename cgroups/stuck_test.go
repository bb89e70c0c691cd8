package cgroups

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// foreignFreezer makes a freezer cgroup of the test's own that libct does
// not own (v1 freezer hierarchy, else unified), and returns its path and
// a function that freezes (true) or thaws (false) it and waits for the
// kernel. It is always thawed and removed at the end of the test: the
// caller registers its own cleanups after this call, so they run first.
func foreignFreezer(t *testing.T) (path, dir string, set func(bool)) {
	t.Helper()
	requireCgroups(t)
	l, err := hostLayout()
	if err != nil {
		t.Fatal(err)
	}
	mnt, file, on, off := l.unified, "cgroup.freeze", "1", "0"
	if h := l.v1["freezer"]; h != nil {
		mnt, file, on, off = h.mount, "freezer.state", "FROZEN", "THAWED"
	}
	if mnt == "" {
		skipOrFail(t, "no freezer on this host")
	}
	path = fmt.Sprintf("/libct-stuck-%d", os.Getpid())
	dir = filepath.Join(mnt, path)
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	set = func(frozen bool) {
		t.Helper()
		value := off
		if frozen {
			value = on
		}
		err := writeFile(dir, file, value)
		if err == unix.ENOENT && !frozen {
			return // removed already: the Destroy of a cgroup below it may remove it
		}
		if err != nil {
			t.Fatalf("%s %s: %v", dir, file, err)
		}
		waitFor(t, 5*time.Second, dir+" "+value, func() bool {
			if file == "freezer.state" {
				s, _ := readFile(dir, file)
				return s == value
			}
			f, _ := v2Frozen(dir)
			return f == frozen
		})
	}
	t.Cleanup(func() {
		writeFile(dir, file, off)
		// The processes killed in it may take a moment to leave.
		for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(10 * time.Millisecond) {
			err := rmdir(dir)
			if err == nil || time.Now().After(deadline) {
				if err != nil {
					t.Errorf("remove %s: %v", dir, err)
				}
				return
			}
		}
	})
	return path, dir, set
}

// TestStuckNamesFreezer: a process held by a freezer is named with the
// freezer cgroup that holds it, foreign or the container's own; on v1,
// where SIGKILL cannot end a frozen task, Destroy gives up at its limit
// with that diagnosis (EBUSY) instead of waiting forever, and succeeds
// once the foreign freezer is thawed.
func TestStuckNamesFreezer(t *testing.T) {
	parent, parentDir, setParent := foreignFreezer(t)
	m := create(t, Config{Path: parent + "/c"})
	h := startHelper(t, m, "sleep")
	if l := h.line(5 * time.Second); l != "ready" {
		t.Fatalf("helper: %q", l)
	}
	t.Cleanup(func() { setParent(false) })
	own := m.State().Path

	// Frozen by libct itself (Pause): not foreign.
	if err := m.Freeze(); err != nil {
		t.Fatal(err)
	}
	e := Stuck("destroy", own, time.Second, []int{h.pid()})
	if len(e.Procs) != 1 || e.Procs[0].FrozenBy == "" || e.Procs[0].Foreign {
		t.Errorf("frozen by its own cgroup: %+v", e.Procs)
	}
	if err := m.Thaw(); err != nil {
		t.Fatal(err)
	}

	// Frozen by an ancestor libct does not own.
	setParent(true)
	e = Stuck("destroy", own, time.Second, []int{h.pid()})
	if len(e.Procs) != 1 || e.Procs[0].FrozenBy != parentDir || !e.Procs[0].Foreign {
		t.Fatalf("frozen by a foreign parent: %+v, want FrozenBy %s, foreign", e.Procs, parentDir)
	}
	want := fmt.Sprintf("pid %d is frozen by %s (a freezer cgroup libct does not own", h.pid(), parentDir)
	if !strings.Contains(e.Error(), want) {
		t.Errorf("error %q does not say %q", e, want)
	}

	l, _ := hostLayout()
	if l.v1["freezer"] == nil {
		// v2: SIGKILL ends a frozen task, so Destroy is not held.
		if err := m.DestroyWithin(5 * time.Second); err != nil {
			t.Fatalf("Destroy under a frozen v2 parent: %v", err)
		}
		return
	}
	start := time.Now()
	err := m.DestroyWithin(300 * time.Millisecond)
	if took := time.Since(start); took > 3*time.Second {
		t.Errorf("Destroy took %v with a limit of 300ms", took)
	}
	var se *StuckError
	if !errors.As(err, &se) || !errors.Is(err, unix.EBUSY) || !errors.Is(err, ErrProcessesStuck) {
		t.Fatalf("Destroy of a foreign-frozen cgroup: %v, want a *StuckError (EBUSY)", err)
	}
	if !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), own) {
		t.Errorf("error %q does not name the cgroup and say %q", err, want)
	}
	setParent(false)
	if err := m.DestroyWithin(5 * time.Second); err != nil {
		t.Fatalf("Destroy once thawed: %v", err)
	}
}

// TestStuckProcessText checks the words of each diagnosis, and the state
// read from /proc/PID/stat, whose command name may hold ") ".
func TestStuckProcessText(t *testing.T) {
	if got := procState([]byte("42 (a) b) D 1 42 42")); got != "D" {
		t.Errorf("procState = %q, want D", got)
	}
	for _, tc := range []struct {
		p    StuckProcess
		want string
	}{
		{StuckProcess{Pid: 7, State: "D", WChan: "fuse_wait"}, "pid 7 is in uninterruptible sleep (state D, in fuse_wait)"},
		{StuckProcess{Pid: 7, State: "D"}, "pid 7 is in uninterruptible sleep (state D)"},
		{StuckProcess{Pid: 7, State: "D", FrozenBy: "/f/x", Foreign: true}, "pid 7 is frozen by /f/x (a freezer cgroup libct does not own: thaw it)"},
		{StuckProcess{Pid: 7, State: "S"}, "pid 7 (state S)"},
	} {
		if got := tc.p.String(); got != tc.want {
			t.Errorf("%+v: %q, want %q", tc.p, got, tc.want)
		}
	}
	// This test's own process: alive, not frozen, not in D.
	p := inspectStuck(os.Getpid(), "")
	if p.State == "" || p.State == "D" || p.FrozenBy != "" {
		t.Errorf("self: %+v", p)
	}
}
