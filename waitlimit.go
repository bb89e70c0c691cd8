package libct

import (
	"errors"
	"fmt"
	"os"
	"time"

	"golang.org/x/sys/unix"

	"github.com/libct/libct/cgroups"
)

// DefaultWaitLimit bounds every wait for a container's processes to die
// (Kill's freeze, Destroy, Session.Close) unless WithWaitLimit sets
// another: a process that a kill cannot end (frozen by a freezer cgroup
// libct does not own, or in uninterruptible sleep) fails the operation
// with a *cgroups.StuckError naming it, instead of hanging it.
const DefaultWaitLimit = cgroups.DefaultWaitLimit

// WithWaitLimit sets how long the session's operations wait for killed
// processes to die (see DefaultWaitLimit); d <= 0 keeps the default.
func WithWaitLimit(d time.Duration) SessionOption {
	return func(o *sessionOptions) {
		if d > 0 {
			o.waitLimit = d
		}
	}
}

// waitLimit is the session's bound on waits for processes to die.
func (s *Session) waitLimit() time.Duration {
	if s.waitFor > 0 {
		return s.waitFor
	}
	return DefaultWaitLimit
}

// errWaitLimit: a process outlived the wait limit.
var errWaitLimit = errors.New("wait limit passed")

// waitPidfdWithin blocks until the process behind fd has exited, or
// returns errWaitLimit once limit has passed.
func waitPidfdWithin(fd int, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	fds := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
	for {
		left := time.Until(deadline)
		if left <= 0 {
			return errWaitLimit
		}
		n, err := unix.Poll(fds, int(left.Milliseconds())+1)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return err
		}
		if n > 0 {
			return nil
		}
	}
}

// awaitExit waits, within the session's limit, until the init recorded
// in rec is gone, and reaps it when this handle started it. Past the
// limit it says what holds the container's processes.
func (c *Container) awaitExit(rec *record) error {
	limit := c.session.waitLimit()
	fd, err := pidfdOf(rec.Pid, rec.StartTime)
	switch {
	case errors.Is(err, os.ErrProcessDone):
	case err != nil:
		return err
	default:
		err = waitPidfdWithin(fd, limit)
		unix.Close(fd)
		if errors.Is(err, errWaitLimit) {
			return c.stuck("destroy", rec, limit)
		}
		if err != nil {
			return err
		}
	}
	c.mu.Lock()
	ch := c.child
	c.mu.Unlock()
	if ch != nil {
		// Exited: this returns at once.
		_, err := ch.wait()
		return err
	}
	return nil
}

// stuck is the error of a wait for the container's processes that its
// limit ended: the init and whatever its cgroup still holds, with what
// holds each.
func (c *Container) stuck(op string, rec *record, limit time.Duration) error {
	pids := []int{rec.Pid}
	own := ""
	if m, err := c.cgroupOf(rec); err == nil && m != nil {
		own = m.State().Path
		if more, err := m.Pids(); err == nil {
			for _, pid := range more {
				if pid != rec.Pid {
					pids = append(pids, pid)
				}
			}
		}
	}
	return fmt.Errorf("container %q: %w", c.name, cgroups.Stuck(op, own, limit, pids))
}
