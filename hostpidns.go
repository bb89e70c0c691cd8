package libct

import (
	"fmt"
	"syscall"
)

// killLeftovers is Kill of a stopped container. Without a pid namespace
// of its own, the init's death ends nothing else: what the init or an
// Enter forked lives on in the container's cgroup, and Kill must still
// reach it (as runc's "kill KILL [host pidns + init gone]" expects).
// With nothing left to signal, a stopped container is the caller's
// mistake, as before.
func (c *Container) killLeftovers(rec *record, sig syscall.Signal) error {
	stopped := &StateError{Container: c.name, Op: "kill", State: Stopped}
	if rec.PidNS || rec.Cgroup == nil {
		return stopped
	}
	m, err := c.cgroupOf(rec)
	if err != nil {
		return err
	}
	pids, err := m.Pids()
	if err != nil {
		return fmt.Errorf("container %q: kill: %w", c.name, err)
	}
	if len(pids) == 0 {
		return stopped
	}
	if err := m.Kill(sig); err != nil {
		return fmt.Errorf("container %q: kill: %w", c.name, err)
	}
	return nil
}
