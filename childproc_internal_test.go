package libct

import (
	"errors"
	"os"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

func startShell(t *testing.T, script string) *childProcess {
	t.Helper()
	null, err := os.Open(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	defer null.Close()
	p, err := startProcess("/bin/sh", []string{"sh", "-c", script}, []*os.File{null, null, null}, nil, &syscall.SysProcAttr{})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestChildProcess(t *testing.T) {
	tests := []struct {
		name   string
		script string
		kill   bool
		want   func(syscall.WaitStatus) bool
	}{
		{"exit status", "exit 3", false, func(ws syscall.WaitStatus) bool { return ws.Exited() && ws.ExitStatus() == 3 }},
		{"killed", "exec sleep 100", true, func(ws syscall.WaitStatus) bool { return ws.Signaled() && ws.Signal() == syscall.SIGKILL }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := startShell(t, tt.script)
			if tt.kill {
				if err := p.Kill(); err != nil {
					t.Fatalf("Kill: %v", err)
				}
			}
			ws, err := p.Wait()
			if err != nil {
				t.Fatalf("Wait: %v", err)
			}
			if !tt.want(ws) {
				t.Fatalf("Wait: status %#x", ws)
			}
			if err := p.Signal(syscall.SIGTERM); !errors.Is(err, os.ErrProcessDone) {
				t.Fatalf("Signal after Wait: %v, want os.ErrProcessDone", err)
			}
			if _, err := p.Wait(); !errors.Is(err, os.ErrProcessDone) {
				t.Fatalf("second Wait: %v, want os.ErrProcessDone", err)
			}
		})
	}
}

func TestChildProcessSignalToZombie(t *testing.T) {
	p := startShell(t, "exit 0")
	// Until Wait reaps it, an exited child keeps its pid, and a signal
	// through the pidfd reaches the zombie, not another process.
	var info unix.Siginfo
	if err := unix.Waitid(unix.P_PID, p.Pid, &info, unix.WEXITED|unix.WNOWAIT, nil); err != nil {
		t.Fatal(err)
	}
	if err := p.Signal(syscall.SIGTERM); err != nil {
		t.Fatalf("Signal to the zombie: %v", err)
	}
	if _, err := p.Wait(); err != nil {
		t.Fatal(err)
	}
	if err := p.Kill(); !errors.Is(err, os.ErrProcessDone) {
		t.Fatalf("Kill after Wait: %v, want os.ErrProcessDone", err)
	}
}

func TestAdoptProcess(t *testing.T) {
	p := startShell(t, "exec sleep 100")
	adopted, err := adoptProcess(p.Pid)
	if err != nil {
		t.Fatal(err)
	}
	if err := adopted.Kill(); err != nil {
		t.Fatalf("Kill through the adopted pidfd: %v", err)
	}
	ws, err := adopted.Wait()
	if err != nil || !ws.Signaled() {
		t.Fatalf("Wait: %#x, %v", ws, err)
	}
	p.Release()
	if err := p.Signal(0); !errors.Is(err, os.ErrProcessDone) {
		t.Fatalf("Signal after Release: %v, want os.ErrProcessDone", err)
	}
	if _, err := adoptProcess(-5); err == nil {
		t.Fatal("adoptProcess(-5): no error")
	}
}

func TestStartProcessError(t *testing.T) {
	_, err := startProcess("/nonexistent/libct-no-such-program", []string{"x"}, nil, nil, &syscall.SysProcAttr{})
	var pe *os.PathError
	if !errors.As(err, &pe) || pe.Path != "/nonexistent/libct-no-such-program" || !errors.Is(err, syscall.ENOENT) {
		t.Fatalf("startProcess of a missing program: %v", err)
	}
}
