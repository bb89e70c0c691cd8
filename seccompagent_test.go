package libct_test

import (
	"encoding/json"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/libct/libct"
	"github.com/libct/libct/internal/testutil"
	"github.com/libct/libct/security"
)

// notifyMkdir is a profile that passes mkdir to the agent at listenerPath.
func notifyMkdir(listenerPath string) *libct.Seccomp {
	return &libct.Seccomp{
		DefaultAction:    specs.ActAllow,
		Architectures:    []specs.Arch{specs.ArchX86_64},
		ListenerPath:     listenerPath,
		ListenerMetadata: "meta",
		Syscalls:         []specs.LinuxSyscall{{Names: []string{"mkdir", "mkdirat"}, Action: specs.ActNotify}},
	}
}

// agentVisit is what the agent got from one connection.
type agentVisit struct {
	state specs.ContainerProcessState
	err   error
}

// startAgent listens at a socket of its own and, for each connection,
// reads the process state and the listener, and answers every mkdir
// notification with EXDEV until the listener's task is gone.
func startAgent(t *testing.T) (path string, visits <-chan agentVisit) {
	path = filepath.Join(t.TempDir(), "agent.sock")
	l, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	ch := make(chan agentVisit, 4)
	go func() {
		for {
			conn, err := l.AcceptUnix()
			if err != nil {
				return
			}
			state, listener, err := readAgentMessage(conn)
			conn.Close()
			ch <- agentVisit{state, err}
			if err == nil {
				go answerEXDEV(listener)
			}
		}
	}()
	return path, ch
}

func readAgentMessage(conn *net.UnixConn) (specs.ContainerProcessState, *os.File, error) {
	var state specs.ContainerProcessState
	buf := make([]byte, 4096)
	oob := make([]byte, unix.CmsgSpace(4))
	n, oobn, _, _, err := conn.ReadMsgUnix(buf, oob)
	if err != nil {
		return state, nil, err
	}
	fds := security.ReceivedFds(oob[:oobn])
	if len(fds) != 1 {
		return state, nil, errors.New("want exactly one descriptor")
	}
	listener := os.NewFile(uintptr(fds[0]), "listener")
	if err := json.Unmarshal(buf[:n], &state); err != nil {
		listener.Close()
		return state, nil, err
	}
	return state, listener, nil
}

func answerEXDEV(listener *os.File) {
	defer listener.Close()
	for {
		n, err := security.NotifyReceive(int(listener.Fd()))
		if err != nil {
			if errors.Is(err, unix.ENOENT) {
				continue
			}
			return
		}
		security.NotifyRespond(int(listener.Fd()), n.ID, 0, syscall.EXDEV)
	}
}

func nextVisit(t *testing.T, visits <-chan agentVisit) agentVisit {
	select {
	case v := <-visits:
		if v.err != nil {
			t.Fatalf("agent: %v", v.err)
		}
		return v
	case <-time.After(10 * time.Second):
		t.Fatal("the agent got no listener")
	}
	return agentVisit{}
}

// TestSeccompAgent: the listener of a profile with a listenerPath goes to
// the agent there, with the process state, however the process starts;
// the agent's answer reaches the container, and nothing is left for
// SeccompListener.
func TestSeccompAgent(t *testing.T) {
	s := newSession(t)
	const script = "mkdir /tmp/d 2>&1; test -d /tmp/d || echo no-dir"
	for _, tc := range []struct {
		name       string
		noNewPrivs bool
		// earlier counts the agent's visits before the process's own:
		// a process entered later comes after the init.
		earlier int
		// start starts script in c, returns how to wait for it and the
		// pid and status the agent must see.
		start func(t *testing.T, c *libct.Container, p *libct.Process) (wait func(), pid int, status specs.ContainerState)
	}{
		{"spawn", true, 0, func(t *testing.T, c *libct.Container, p *libct.Process) (func(), int, specs.ContainerState) {
			if err := c.Spawn(p); err != nil {
				t.Fatal(err)
			}
			pid, _ := c.Pid()
			return func() { c.Wait() }, pid, specs.StateCreating
		}},
		{"spawn without no_new_privs", false, 0, func(t *testing.T, c *libct.Container, p *libct.Process) (func(), int, specs.ContainerState) {
			if err := c.Spawn(p); err != nil {
				t.Fatal(err)
			}
			pid, _ := c.Pid()
			return func() { c.Wait() }, pid, specs.StateCreating
		}},
		{"prepare and start", true, 0, func(t *testing.T, c *libct.Container, p *libct.Process) (func(), int, specs.ContainerState) {
			if err := c.Prepare(p); err != nil {
				t.Fatal(err)
			}
			pid, _ := c.Pid()
			if err := c.Start(); err != nil {
				t.Fatal(err)
			}
			return func() { c.Wait() }, pid, specs.StateCreating
		}},
		{"enter", true, 1, func(t *testing.T, c *libct.Container, p *libct.Process) (func(), int, specs.ContainerState) {
			testutil.RequireEnterStage(t)
			if err := c.Spawn(&libct.Process{Args: []string{"sleep", "100"}}); err != nil {
				t.Fatal(err)
			}
			task, err := c.Enter(p)
			if err != nil {
				t.Fatal(err)
			}
			return func() { task.Wait() }, task.Pid(), specs.StateRunning
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			agent, visits := startAgent(t)
			cfg := busybox(t)
			cfg.Bundle = "/bundle"
			cfg.Security.Seccomp = notifyMkdir(agent)
			cfg.Security.NoNewPrivileges = tc.noNewPrivs
			c, err := s.Create(uniqueName(t), cfg)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Destroy()
			r, w := pipe(t)
			wait, pid, status := tc.start(t, c, &libct.Process{Args: []string{"/bin/sh", "-c", script}, Stdout: w, Stderr: w})
			w.Close()
			for range tc.earlier {
				nextVisit(t, visits)
			}
			checkAgentState(t, nextVisit(t, visits).state, c.Name(), pid, status)
			wait()
			if out := readAll(t, r); !strings.Contains(out, "Invalid cross-device link") || !strings.Contains(out, "no-dir") {
				t.Errorf("container:\n%s", out)
			}
			if l := c.SeccompListener(); l != nil {
				l.Close()
				t.Error("SeccompListener kept the listener sent to the agent")
			}
		})
	}
}

// checkAgentState checks the process state the agent received.
//
// pid 0 stands for a pid the test could not learn: the container may have
// run its program to the end before Spawn's caller asked (the agent
// answers at once). The agent must then still get one positive pid.
func checkAgentState(t *testing.T, st specs.ContainerProcessState, id string, pid int, status specs.ContainerState) {
	t.Helper()
	pidOK := st.Pid == pid && st.State.Pid == pid
	if pid == 0 {
		pidOK = st.Pid > 0 && st.State.Pid == st.Pid
	}
	if len(st.Fds) != 1 || st.Fds[0] != specs.SeccompFdName || st.Metadata != "meta" || !pidOK ||
		st.State.ID != id || st.State.Status != status || st.State.Bundle != "/bundle" || st.Version == "" {
		t.Errorf("agent got %+v; want fds [%s], metadata meta, pid %d, id %s, status %s, bundle /bundle",
			st, specs.SeccompFdName, pid, id, status)
	}
}

// TestSeccompAgentMissing: a start whose agent cannot be reached fails,
// names the listenerPath, and leaves nothing behind.
func TestSeccompAgentMissing(t *testing.T) {
	s := newSession(t)
	warmUp(t, s)
	for _, tc := range []struct {
		name string
		path string
	}{
		{"no socket", filepath.Join(t.TempDir(), "none.sock")},
		{"abstract, nobody listening", "@libct-test-no-agent"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := busybox(t)
			cfg.Security.Seccomp = notifyMkdir(tc.path)
			c, err := s.Create(uniqueName(t), cfg)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Destroy()
			leaks := newLeakCheck(t)
			err = c.Spawn(sh("true"))
			var se *libct.StartError
			if !errors.As(err, &se) || !strings.Contains(err.Error(), "listenerPath") || !strings.Contains(err.Error(), "failed to connect with seccomp agent") {
				t.Fatalf("Spawn = %v; want a StartError naming the listenerPath", err)
			}
			leaks.verify(t)
			expectState(t, c, libct.Stopped)
		})
	}
}

// TestStartContainerHookUnderSeccomp: a startContainer hook runs as the
// program would, under the container's filter, and with no descriptor
// of the init's beyond its standard ones.
func TestStartContainerHookUnderSeccomp(t *testing.T) {
	s := newSession(t)
	for _, tc := range []struct {
		name    string
		seccomp *libct.Seccomp
		hook    string
		want    string
	}{
		{"killed by the filter", &libct.Seccomp{
			DefaultAction: specs.ActAllow,
			Architectures: []specs.Arch{specs.ArchX86_64},
			Syscalls:      []specs.LinuxSyscall{{Names: []string{"mkdir", "mkdirat"}, Action: specs.ActKill}},
		}, "mkdir /tmp/hook", "bad system call"},
		{"only standard descriptors", denyMkdir(),
			"n=$(ls /proc/self/fd | wc -l); [ $n -eq 4 ] || { echo descriptors: $n; ls -l /proc/self/fd; exit 1; }", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := busybox(t)
			cfg.Security.Seccomp = tc.seccomp
			cfg.Hooks.StartContainer = []libct.Hook{{Path: "/bin/sh", Args: []string{"sh", "-c", tc.hook}}}
			c, err := s.Create(uniqueName(t), cfg)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Destroy()
			err = c.Spawn(sh("true"))
			if tc.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				c.Wait()
				return
			}
			if err == nil || !strings.Contains(err.Error(), "hooks.startContainer[0]") || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Spawn = %v; want the hook's failure with %q", err, tc.want)
			}
		})
	}
}
