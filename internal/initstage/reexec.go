package initstage

import (
	"fmt"
	"os"
	"runtime"
	"strconv"

	"golang.org/x/sys/unix"

	"github.com/libct/libct/internal/spec"
)

// reexec executes the init once more, with the spec already read handed
// over in a memfd: to enter a new time namespace, or to gain the
// capabilities of its user namespace's root once newuidmap wrote the maps.
// It costs one exec, paid only by the containers that need it.
//
// A time namespace cannot be created by clone(2) (CLONE_NEWTIME collides
// with the exit-signal bits) and its offsets may only be written while no
// task lives in it, so: unshare(CLONE_NEWTIME) makes a namespace for this
// thread's future children, the offsets are written, and execve moves the
// thread itself into it (Linux 5.16+ switches the time namespace on exec).
func reexec(c *conn, s *spec.Init, data []byte) error {
	// The unshare and the exec must happen on one thread; the main
	// goroutine is locked to the main thread for the whole init stage.
	runtime.LockOSThread()
	if s.NewTimeNS {
		if err := unix.Unshare(unix.CLONE_NEWTIME); err != nil {
			return fmt.Errorf("unshare time namespace: %w", err)
		}
		offsets := "monotonic " + timespec(s.MonotonicOffset) + "\nboottime " + timespec(s.BoottimeOffset) + "\n"
		if err := writeTimeOffsets(offsets); err != nil {
			return err
		}
	}
	memfd, err := unix.MemfdCreate("libct-spec", 0)
	if err != nil {
		return fmt.Errorf("memfd_create: %w", err)
	}
	if _, err := unix.Pwrite(memfd, data, 0); err != nil {
		return fmt.Errorf("write spec memfd: %w", err)
	}
	if _, err := unix.FcntlInt(uintptr(c.fd), unix.F_SETFD, 0); err != nil {
		return fmt.Errorf("keep control socket: %w", err)
	}
	args := []string{Arg0, strconv.Itoa(c.fd), strconv.Itoa(memfd)}
	err = unix.Exec("/proc/self/exe", args, os.Environ())
	return fmt.Errorf("re-exec: %w", err)
}

// writeTimeOffsets writes the offsets of the thread's time namespace for
// children. /proc/self names the thread-group leader, which is this
// thread: the init stage keeps its main goroutine on the main thread.
func writeTimeOffsets(offsets string) error {
	if err := os.WriteFile("/proc/self/timens_offsets", []byte(offsets), 0); err != nil {
		return fmt.Errorf("write timens_offsets: %w", unwrapPath(err))
	}
	return nil
}

// timespec formats an offset in nanoseconds as timens_offsets wants it:
// whole seconds, then nanoseconds in [0, 1e9), so -1.5s is "-2 500000000".
func timespec(ns int64) string {
	sec, nsec := ns/1e9, ns%1e9
	if nsec < 0 {
		sec--
		nsec += 1e9
	}
	return strconv.FormatInt(sec, 10) + " " + strconv.FormatInt(nsec, 10)
}
