package libct_test

import (
	"errors"
	"strings"
	"syscall"
	"testing"

	"github.com/libct/libct"
)

// TestInitDeathIsAStartError: an init that dies before it execs the
// program (a crash, or a kill from outside) fails the start with a
// StartError that names the step and the signal, and leaves nothing
// behind; it is never taken for a container whose program ran.
func TestInitDeathIsAStartError(t *testing.T) {
	s := newSession(t)
	warmUp(t, s)

	t.Run("killed during the start", func(t *testing.T) {
		cfg := busybox(t)
		// The hook runs while the init waits for its answer, and kills it.
		cfg.Hooks.CreateRuntime = []libct.Hook{{Path: "/bin/sh", Args: []string{"sh", "-c",
			`kill -9 $(sed -n 's/.*"pid":\([0-9]*\).*/\1/p')`}}}
		c, err := s.Create(uniqueName(t), cfg)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Destroy()
		leaks := newLeakCheck(t)
		err = c.Spawn(sh("echo the program ran"))
		wantKilled(t, err, "init")
		if st, _ := c.State(); st != libct.Stopped {
			t.Errorf("after the failed start the container is %v", st)
		}
		leaks.verify(t)
	})

	t.Run("killed while created", func(t *testing.T) {
		c, err := s.Create(uniqueName(t), busybox(t))
		if err != nil {
			t.Fatal(err)
		}
		defer c.Destroy()
		if err := c.Prepare(sh("echo the program ran")); err != nil {
			t.Fatal(err)
		}
		pid, err := c.Pid()
		if err != nil {
			t.Fatal(err)
		}
		if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		wantKilled(t, c.Start(), "start")
		if st, _ := c.State(); st != libct.Stopped {
			t.Errorf("after the failed start the container is %v", st)
		}
		if err := c.Destroy(); err != nil {
			t.Errorf("destroy: %v", err)
		}
	})
}

func wantKilled(t *testing.T, err error, step string) {
	t.Helper()
	var se *libct.StartError
	if !errors.As(err, &se) {
		t.Fatalf("start = %v; want a *StartError", err)
	}
	if se.Step != step || se.Signal != syscall.SIGKILL || !strings.Contains(err.Error(), "SIGKILL") {
		t.Errorf("start = %v (step %q, signal %v); want step %q and SIGKILL", err, se.Step, se.Signal, step)
	}
}
