package libct

import (
	"fmt"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// An init announces its exec (spec.MsgExec) once only bare system calls
// are left before execve (the seccomp filter, and the credentials when
// the filter cannot come last), whose close-on-exec then closes its end
// of the control socket (or of the exec fifo, after Start). An end that
// closes without the announcement is the init's death: a crash, or a
// kill from outside, and never a started container.

// deathWait bounds the wait for a dying init's status: its descriptors
// are closed early in exit(2), its status comes a moment later.
const deathWait = 2 * time.Second

// diedBeforeExec is the StartError of an init that died in step before
// it announced its exec. pidfd is the init's; the status is read without
// reaping it, so that whoever waits for it still can.
func diedBeforeExec(container, step string, pidfd int) *StartError {
	e := &StartError{Container: container, Step: step, Text: "the init died before exec"}
	code, sig, ok := exitOf(pidfd, deathWait)
	switch {
	case !ok:
	case sig != 0:
		e.Signal = sig
		e.Text = fmt.Sprintf("the init was killed by %s (%s) before exec", unix.SignalName(sig), sig)
	default:
		e.Text = fmt.Sprintf("the init exited with status %d before exec", code)
	}
	return e
}

// childInfo is the SIGCHLD form of siginfo_t, which x/sys/unix's
// Siginfo keeps opaque.
type childInfo struct {
	signo, errno, code, _ int32
	pid                   int32
	uid                   uint32
	status                int32
	_                     [100]byte
}

// pidfdInfo is struct pidfd_info as far as its exit code (its first
// version, 64 bytes).
type pidfdInfo struct {
	mask     uint64
	cgroupID uint64
	ids      [11]uint32
	exitCode int32
}

const (
	cldExited     = 1      // CLD_EXITED, si_code of a normal exit
	pidfdInfoExit = 1 << 3 // PIDFD_INFO_EXIT
	// pidfdGetInfo is PIDFD_GET_INFO: _IOWR(0xFF, 11, struct pidfd_info).
	pidfdGetInfo = 0xc000ff0b | uint(unsafe.Sizeof(pidfdInfo{}))<<16
)

// exitOf waits up to timeout for the process of pidfd to end, and
// returns its exit code or the signal that killed it. A child of the
// caller is asked with waitid(WNOWAIT), which leaves it to be reaped;
// another process's status comes from its pidfd (PIDFD_GET_INFO, Linux
// 6.15 and later), once its parent reaped it.
func exitOf(pidfd int, timeout time.Duration) (code int, sig syscall.Signal, ok bool) {
	deadline := time.Now().Add(timeout)
	fds := []unix.PollFd{{Fd: int32(pidfd), Events: unix.POLLIN}}
	for {
		n, err := unix.Poll(fds, int(max(time.Until(deadline), 0).Milliseconds()))
		if err == unix.EINTR {
			continue
		}
		if err != nil || n == 0 {
			return 0, 0, false
		}
		break
	}
	var info childInfo
	_, _, errno := unix.Syscall6(unix.SYS_WAITID, unix.P_PIDFD, uintptr(pidfd), uintptr(unsafe.Pointer(&info)),
		unix.WEXITED|unix.WNOWAIT, 0, 0)
	if errno == 0 && info.pid != 0 {
		if info.code == cldExited {
			return int(info.status), 0, true
		}
		return 0, syscall.Signal(info.status), true
	}
	for {
		pi := pidfdInfo{mask: pidfdInfoExit}
		_, _, errno := unix.Syscall(unix.SYS_IOCTL, uintptr(pidfd), uintptr(pidfdGetInfo), uintptr(unsafe.Pointer(&pi)))
		if errno == 0 && pi.mask&pidfdInfoExit != 0 {
			ws := syscall.WaitStatus(pi.exitCode)
			if ws.Signaled() {
				return 0, ws.Signal(), true
			}
			return ws.ExitStatus(), 0, true
		}
		if errno != 0 && errno != unix.ESRCH || time.Now().After(deadline) {
			return 0, 0, false
		}
		time.Sleep(5 * time.Millisecond)
	}
}
