package cgroups

import (
	"syscall"
	"testing"
	"time"
)

// TestKill: with no pid namespace, Kill reaches every process of the
// cgroup, orphans included, while they fork.
func TestKill(t *testing.T) {
	bb := busybox(t)
	// The shell forks without end; orphaned sleepers leave its process
	// tree (only the cgroup knows them), up to 20.
	const script = `i=0; while :; do ( : ); if [ $i -lt 20 ]; then (busybox sleep 1000 &); i=$((i+1)); fi; done`
	for _, tc := range []struct {
		name string
		kill func(m *manager) error
	}{
		{"SIGKILL", func(m *manager) error { return m.Kill(syscall.SIGKILL) }},
		{"SIGTERM", func(m *manager) error { return m.Kill(syscall.SIGTERM) }},
		// What SIGKILL does without cgroup.kill (v1, old kernels).
		{"SIGKILL by freezer", func(m *manager) error { return m.killFrozen(syscall.SIGKILL) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := create(t, Config{Controllers: []string{"pids"}, Resources: Resources{PidsMax: 200}})
			h := startHelper(t, m, "exec", bb, "sh", "-c", script)
			waitFor(t, 30*time.Second, "20 sleepers", func() bool { p, _ := m.Pids(); return len(p) > 20 })
			if err := tc.kill(m.(*manager)); err != nil {
				t.Fatal(err)
			}
			waitFor(t, 10*time.Second, "an empty cgroup", func() bool { p, _ := m.Pids(); return len(p) == 0 })
			if err := h.wait(10 * time.Second); err == nil {
				t.Error("the shell exited cleanly")
			}
		})
	}
}
