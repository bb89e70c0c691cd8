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

// v1Freezer makes a v1 freezer cgroup of the test's own, which libct does
// not own, and returns its directory and a function that freezes (true)
// or thaws (false) it. It is thawed and removed at the end of the test;
// cleanups registered after this call run before that. Without a v1
// freezer the test is skipped: on cgroup v2, SIGKILL ends frozen tasks,
// so a foreign freeze holds no kill.
func v1Freezer(t *testing.T) (string, func(bool)) {
	t.Helper()
	if _, err := os.Stat("/sys/fs/cgroup/freezer/cgroup.procs"); err != nil {
		t.Skip("no v1 freezer hierarchy: on cgroup v2 a frozen task dies of SIGKILL")
	}
	dir := fmt.Sprintf("/sys/fs/cgroup/freezer/libct-wait-%d", os.Getpid())
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	set := func(frozen bool) {
		t.Helper()
		value := "THAWED"
		if frozen {
			value = "FROZEN"
		}
		if err := os.WriteFile(filepath.Join(dir, "freezer.state"), []byte(value), 0); err != nil {
			t.Fatal(err)
		}
		for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(5 * time.Millisecond) {
			if b, _ := os.ReadFile(filepath.Join(dir, "freezer.state")); strings.TrimSpace(string(b)) == value {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s never became %s", dir, value)
			}
		}
	}
	t.Cleanup(func() {
		os.WriteFile(filepath.Join(dir, "freezer.state"), []byte("THAWED"), 0)
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
	return dir, set
}

// TestDestroyForeignFreezer: the init sits in a frozen freezer cgroup
// libct does not own. Destroy gives up at the session's wait limit with
// an error naming the pid and that cgroup (EBUSY, as crun), instead of
// waiting forever; once the freezer is thawed, Destroy removes
// everything.
func TestDestroyForeignFreezer(t *testing.T) {
	testutil.RequireRoot(t)
	dir, setFrozen := v1Freezer(t)
	s, err := libct.Open("local", libct.WithRoot(t.TempDir()), libct.WithWaitLimit(500*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	c := sleeper(t, s, cgroupConfig(t, libct.Resources{}))
	t.Cleanup(func() { setFrozen(false) })
	pid, err := c.Pid()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "cgroup.procs"), []byte(fmt.Sprint(pid)), 0); err != nil {
		t.Fatal(err)
	}
	setFrozen(true)

	start := time.Now()
	err = c.Destroy()
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
