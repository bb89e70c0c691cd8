package network

import (
	"fmt"
	"runtime"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

// handleAt opens a route netlink handle whose socket lives in the network
// namespace ns (an open namespace file), or in the calling thread's when
// ns is negative.
//
// A socket belongs to the namespace it was made in for its whole life, so
// only its creation has to run in ns. That runs on a goroutine of its own,
// locked to its thread: the thread joins ns, makes the socket and goes
// back. If it cannot go back, the goroutine returns still locked and the
// runtime ends the thread rather than reuse it, so no other goroutine of
// the caller ever runs in the wrong namespace.
func handleAt(ns int) (*netlink.Handle, error) {
	if ns < 0 {
		return netlink.NewHandle(unix.NETLINK_ROUTE)
	}
	type result struct {
		h   *netlink.Handle
		err error
	}
	done := make(chan result, 1)
	go func() {
		runtime.LockOSThread()
		orig, err := netns.Get()
		if err != nil {
			runtime.UnlockOSThread()
			done <- result{err: fmt.Errorf("open the thread's network namespace: %w", err)}
			return
		}
		defer orig.Close()
		if err := netns.Set(netns.NsHandle(ns)); err != nil {
			runtime.UnlockOSThread()
			done <- result{err: fmt.Errorf("enter network namespace: %w", err)}
			return
		}
		h, err := netlink.NewHandle(unix.NETLINK_ROUTE)
		if rerr := netns.Set(orig); rerr != nil {
			if h != nil {
				h.Close()
			}
			// Locked on purpose: see above.
			done <- result{err: fmt.Errorf("leave network namespace: %w", rerr)}
			return
		}
		runtime.UnlockOSThread()
		done <- result{h, err}
	}()
	r := <-done
	return r.h, r.err
}
