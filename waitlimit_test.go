package libct_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/libct/libct"
	"github.com/libct/libct/cgroups"
	"github.com/libct/libct/internal/testutil"
)

// foreignFreezer makes a freezer cgroup of the test's own, which libct
// does not own: in the v1 freezer hierarchy when the host has one, else
// in the unified one. It returns its directory, whether it is v1, and a
// function that freezes (true) or thaws (false) it. It is thawed and
// removed at the end of the test; cleanups registered after this call
// run before that.
func foreignFreezer(t *testing.T) (dir string, v1 bool, set func(bool)) {
	t.Helper()
	mnt, file, on, off := "/sys/fs/cgroup", "cgroup.freeze", "1", "0"
	if _, err := os.Stat("/sys/fs/cgroup/freezer/cgroup.procs"); err == nil {
		mnt, file, on, off, v1 = "/sys/fs/cgroup/freezer", "freezer.state", "FROZEN", "THAWED", true
	} else if _, err := os.Stat("/sys/fs/cgroup/cgroup.subtree_control"); err != nil {
		t.Skip("no v1 freezer hierarchy and no cgroup v2 root at /sys/fs/cgroup")
	}
	dir = filepath.Join(mnt, fmt.Sprintf("libct-wait-%d", os.Getpid()))
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	set = func(frozen bool) {
		t.Helper()
		value := off
		if frozen {
			value = on
		}
		if err := os.WriteFile(filepath.Join(dir, file), []byte(value), 0); err != nil {
			t.Fatal(err)
		}
		for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(5 * time.Millisecond) {
			b, _ := os.ReadFile(filepath.Join(dir, file))
			if v1 && strings.TrimSpace(string(b)) == value ||
				!v1 && func() bool {
					ev, _ := os.ReadFile(filepath.Join(dir, "cgroup.events"))
					return strings.Contains(string(ev), "frozen "+value)
				}() {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s never became %s", dir, value)
			}
		}
	}
	t.Cleanup(func() {
		os.WriteFile(filepath.Join(dir, file), []byte(off), 0)
		for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(10 * time.Millisecond) {
			err := unix.Rmdir(dir)
			if err == nil || err == unix.ENOENT {
				return
			}
			if time.Now().After(deadline) {
				t.Errorf("remove %s: %v", dir, err)
				return
			}
		}
	})
	return dir, v1, set
}

// TestDestroyForeignFreezer: the init sits in a frozen freezer cgroup
// libct does not own. On v1, where SIGKILL cannot end a frozen task,
// Destroy gives up at the session's wait limit with an error naming the
// pid and that cgroup (EBUSY, as crun), instead of waiting forever; once
// the freezer is thawed, Destroy removes everything. On v2 a frozen task
// dies of SIGKILL: Destroy reaches the init outside its cgroup and
// succeeds at once.
func TestDestroyForeignFreezer(t *testing.T) {
	testutil.RequireRoot(t)
	s, c, pid, dir, v1, setFrozen := frozenSleeper(t, 500*time.Millisecond)
	t.Cleanup(func() { s.Close() })

	start := time.Now()
	err := c.Destroy()
	if !v1 {
		if err != nil {
			t.Fatalf("Destroy of a container whose init a foreign v2 cgroup froze: %v", err)
		}
		if !gone(pid) {
			t.Errorf("init %d still alive after Destroy", pid)
		}
		return
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("Destroy took %v with a wait limit of 500ms", took)
	}
	var se *cgroups.StuckError
	if !errors.As(err, &se) || !errors.Is(err, unix.EBUSY) || !errors.Is(err, cgroups.ErrProcessesStuck) {
		t.Fatalf("Destroy of a container frozen by a foreign freezer: %v, want a *cgroups.StuckError (EBUSY)", err)
	}
	want := fmt.Sprintf("pid %d is frozen by %s (a freezer cgroup libct does not own", pid, dir)
	if !strings.Contains(err.Error(), want) {
		t.Errorf("error %q does not say %q", err, want)
	}

	setFrozen(false)
	if err := c.Destroy(); err != nil {
		t.Fatalf("Destroy once thawed: %v", err)
	}
	if !gone(pid) {
		t.Errorf("init %d still alive after Destroy", pid)
	}
}

// gone tells whether pid has exited (a zombie counts as exited).
func gone(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return true
	}
	i := strings.LastIndexByte(string(b), ')')
	return i < 0 || i+2 >= len(b) || b[i+2] == 'Z' || b[i+2] == 'X'
}

// TestCloseForeignFreezer: Session.Close destroys the containers it
// started within the session's wait limit too, and reports the one a
// foreign v1 freezer holds (on v2 it succeeds).
func TestCloseForeignFreezer(t *testing.T) {
	testutil.RequireRoot(t)
	s, c, pid, dir, v1, setFrozen := frozenSleeper(t, 300*time.Millisecond)
	start := time.Now()
	err := s.Close()
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("Close took %v with a wait limit of 300ms", took)
	}
	if !v1 {
		if err != nil {
			t.Fatalf("Close with an init a foreign v2 cgroup froze: %v", err)
		}
		return
	}
	if !errors.Is(err, unix.EBUSY) || !strings.Contains(err.Error(), fmt.Sprintf("pid %d is frozen by %s", pid, dir)) {
		t.Fatalf("Close: %v, want EBUSY naming pid %d and %s", err, pid, dir)
	}
	setFrozen(false)
	s2, err := libct.Open("local", libct.WithRoot(s.Root()))
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	c2, err := s2.Container(c.Name())
	if err != nil {
		t.Fatal(err)
	}
	if err := c2.Destroy(); err != nil {
		t.Fatalf("Destroy once thawed: %v", err)
	}
	c.Wait() // reap the init, a child of this process
}

// frozenSleeper is a sleeper of a session with the given wait limit
// whose init was moved into a foreign freezer cgroup (dir), then frozen;
// setFrozen thaws it again, and does at the end of the test.
func frozenSleeper(t *testing.T, limit time.Duration) (s *libct.Session, c *libct.Container, pid int, dir string, v1 bool, setFrozen func(bool)) {
	t.Helper()
	dir, v1, setFrozen = foreignFreezer(t)
	s, err := libct.Open("local", libct.WithRoot(t.TempDir()), libct.WithWaitLimit(limit))
	if err != nil {
		t.Fatal(err)
	}
	c = sleeper(t, s, cgroupConfig(t, libct.Resources{}))
	t.Cleanup(func() { setFrozen(false) })
	if pid, err = c.Pid(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "cgroup.procs"), []byte(fmt.Sprint(pid)), 0); err != nil {
		t.Fatal(err)
	}
	setFrozen(true)
	return s, c, pid, dir, v1, setFrozen
}
