package libct_test

import (
	"errors"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/libct/libct"
)

// TestHostPIDNamespaceLeftovers: a container without a pid namespace of
// its own whose init is killed leaves what the init forked running in
// its cgroup. Kill (runc's "kill KILL [host pidns + init gone]") and
// Destroy ("delete [host pidns + init gone]") still reach them.
func TestHostPIDNamespaceLeftovers(t *testing.T) {
	for _, end := range []string{"kill", "destroy"} {
		t.Run(end, func(t *testing.T) {
			s := newSession(t)
			cfg := cgroupConfig(t, libct.Resources{})
			cfg.Namespaces &^= libct.NewPID
			c, err := s.Create(uniqueName(t), cfg)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { c.Destroy() })
			if err := c.Spawn(sh("sleep 1000 & sleep 1000 & wait")); err != nil {
				t.Fatal(err)
			}
			var pids []int
			for deadline := time.Now().Add(5 * time.Second); len(pids) < 3; time.Sleep(10 * time.Millisecond) {
				if pids, err = c.Processes(); err != nil {
					t.Fatal(err)
				}
				if time.Now().After(deadline) {
					t.Fatalf("processes: %v, want the init and two sleeps", pids)
				}
			}
			init, err := c.Pid()
			if err != nil {
				t.Fatal(err)
			}
			if err := unix.Kill(init, unix.SIGKILL); err != nil {
				t.Fatal(err)
			}
			c.Wait()
			if st, err := c.State(); err != nil || st != libct.Stopped {
				t.Fatalf("state after the init's death: %v %v, want stopped", st, err)
			}
			switch end {
			case "kill":
				if err := c.Kill(unix.SIGKILL); err != nil {
					t.Fatalf("Kill with the init gone: %v", err)
				}
				for deadline := time.Now().Add(5 * time.Second); !allGone(pids); time.Sleep(10 * time.Millisecond) {
					if time.Now().After(deadline) {
						t.Fatalf("processes %v outlive Kill", pids)
					}
				}
				// Nothing left: a stopped container again.
				if err := c.Kill(unix.SIGKILL); !errors.Is(err, libct.ErrWrongState) {
					t.Errorf("Kill of an empty stopped container: %v, want ErrWrongState", err)
				}
			case "destroy":
				if err := c.Destroy(); err != nil {
					t.Fatalf("Destroy with the init gone: %v", err)
				}
				if !allGone(pids) {
					t.Errorf("processes %v outlive Destroy", pids)
				}
			}
		})
	}
}

func allGone(pids []int) bool {
	for _, pid := range pids {
		if !gone(pid) {
			return false
		}
	}
	return true
}
