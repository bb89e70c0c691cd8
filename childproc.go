package libct

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"sync"
	"syscall"

	"golang.org/x/sys/unix"
)

// childProcess is a child of this process that libct started (an init or
// an enter stage) or adopted (a process the enter stage forked with the
// caller as its parent), held by a pidfd: signals go through the pidfd,
// so none reaches a process that took the pid after this one was reaped.
//
// It stands where os.Process would, for one reason: os.StartProcess and
// os.FindProcess make sure once per program that pidfds work, by cloning a
// throwaway child and waiting for it. libct needs pidfds anyway (it opens
// them for the containers it signals), and for ct, a new program for
// every command, that probe was a fork and an exit on every start.
//
// Wait reaps the process and closes the pidfd; Release closes it without
// waiting. Signal may run concurrently with either.
type childProcess struct {
	Pid int

	mu      sync.Mutex
	pidfd   int // -1 once waited for or released
	waited  bool
	cleanup runtime.Cleanup
}

// startProcess is os.StartProcess without the pidfd probe: it starts argv
// from path with files as descriptors 0, 1, 2... and sys for the rest
// (whose PidFD it sets).
func startProcess(path string, argv []string, files []*os.File, env []string, sys *syscall.SysProcAttr) (*childProcess, error) {
	fds := make([]uintptr, len(files))
	for i, f := range files {
		fds[i] = f.Fd()
	}
	pidfd := -1
	sys.PidFD = &pidfd
	pid, _, err := syscall.StartProcess(path, argv, &syscall.ProcAttr{Env: env, Files: fds, Sys: sys})
	runtime.KeepAlive(files)
	if err != nil {
		return nil, &os.PathError{Op: "fork/exec", Path: path, Err: err}
	}
	return newProcess(pid, pidfd), nil
}

// adoptProcess holds pid, a child of this process that another one forked
// for it (CLONE_PARENT): until it is reaped, the pid cannot name another
// process.
func adoptProcess(pid int) (*childProcess, error) {
	pidfd, err := unix.PidfdOpen(pid, 0)
	if err != nil {
		return nil, fmt.Errorf("pidfd_open %d: %w", pid, err)
	}
	return newProcess(pid, pidfd), nil
}

func newProcess(pid, pidfd int) *childProcess {
	p := &childProcess{Pid: pid, pidfd: pidfd}
	// As os.Process does, a handle dropped without Wait or Release does
	// not keep its descriptor open.
	p.cleanup = runtime.AddCleanup(p, func(fd int) { unix.Close(fd) }, pidfd)
	return p
}

// Signal sends sig to the process; os.ErrProcessDone once it was waited
// for or released.
func (p *childProcess) Signal(sig syscall.Signal) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.pidfd < 0 {
		return os.ErrProcessDone
	}
	if err := unix.PidfdSendSignal(p.pidfd, sig, nil, 0); err != nil {
		if errors.Is(err, unix.ESRCH) {
			return os.ErrProcessDone
		}
		return fmt.Errorf("signal %d to pid %d: %w", sig, p.Pid, err)
	}
	return nil
}

// Kill sends SIGKILL.
func (p *childProcess) Kill() error { return p.Signal(unix.SIGKILL) }

// Wait blocks until the process exits, reaps it and returns its status.
// A second Wait, or one after Release, returns os.ErrProcessDone: the pid
// may name another child by then.
func (p *childProcess) Wait() (syscall.WaitStatus, error) {
	p.mu.Lock()
	if p.waited || p.pidfd < 0 {
		p.mu.Unlock()
		return 0, os.ErrProcessDone
	}
	p.waited = true
	p.mu.Unlock()
	var ws syscall.WaitStatus
	for {
		_, err := syscall.Wait4(p.Pid, &ws, 0, nil)
		if err == syscall.EINTR {
			continue
		}
		p.Release()
		if err != nil {
			return 0, fmt.Errorf("wait for pid %d: %w", p.Pid, err)
		}
		return ws, nil
	}
}

// Release closes the pidfd; the process is left to run, unreaped.
func (p *childProcess) Release() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.pidfd >= 0 {
		p.cleanup.Stop()
		unix.Close(p.pidfd)
		p.pidfd = -1
	}
}
