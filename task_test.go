package libct_test

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/libct/libct"
	"github.com/libct/libct/internal/testutil"
)

// TestConsole drives a container shell through its pseudo-terminal: a
// command typed into the master is answered, and the window size set by
// the caller is what stty sees.
func TestConsole(t *testing.T) {
	s := newSession(t)
	c, err := s.Create(uniqueName(t), busybox(t))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Destroy()
	p := &libct.Process{Args: []string{"/bin/sh"}, Env: []string{"PATH=/bin", "PS1=$ "}, Terminal: true, ConsoleSize: &libct.ConsoleSize{Rows: 33, Cols: 101}}
	if err := c.Spawn(p); err != nil {
		t.Fatal(err)
	}
	con := c.Console()
	if con == nil {
		t.Fatal("no console")
	}
	defer con.Close()
	fmt.Fprintf(con, "echo answer-$((6*7)); stty size; test -c /dev/console && echo console-ok; tty; ls /dev/pts; exit 3\n")
	out := readUntilExit(con)
	// The terminal is the container's own: tty names it in its devpts.
	for _, want := range []string{"answer-42", "33 101", "console-ok", "/dev/pts/0"} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %q in terminal output:\n%s", want, out)
		}
	}
	if st, err := c.Wait(); err != nil || st.Code != 3 {
		t.Errorf("Wait() = %v, %v", st, err)
	}
}

// TestConsoleRawOutput checks that ConsoleRawOutput keeps the terminal
// from turning the program's "\n" into "\r\n", with a terminal made in
// the container or on the host, for Spawn and Enter, and that without it
// the terminal behaves as a terminal does.
func TestConsoleRawOutput(t *testing.T) {
	s := newSession(t)
	hostTerminal := busybox(t)
	hostTerminal.Namespaces &^= libct.NewMount
	for _, tc := range []struct {
		name  string
		cfg   *libct.Config
		enter bool
		raw   bool
		want  string
	}{
		{"inside raw", busybox(t), false, true, "one\ntwo\n"},
		{"inside cooked", busybox(t), false, false, "one\r\ntwo\r\n"},
		{"host raw", hostTerminal, false, true, "one\ntwo\n"},
		{"host cooked", hostTerminal, false, false, "one\r\ntwo\r\n"},
		{"enter raw", busybox(t), true, true, "one\ntwo\n"},
		{"enter cooked", busybox(t), true, false, "one\r\ntwo\r\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := &libct.Process{Args: []string{"/bin/printf", `one\ntwo\n`}, Terminal: true, ConsoleRawOutput: tc.raw}
			var out string
			if tc.enter {
				testutil.RequireEnterStage(t)
				c := sleeper(t, s, tc.cfg)
				task, err := c.Enter(p)
				if err != nil {
					t.Fatal(err)
				}
				out = readUntilExit(task.Console())
				task.Console().Close()
				task.Wait()
			} else {
				c, err := s.Create(uniqueName(t), tc.cfg)
				if err != nil {
					t.Fatal(err)
				}
				defer c.Destroy()
				if err := c.Spawn(p); err != nil {
					t.Fatal(err)
				}
				out = readUntilExit(c.Console())
				c.Console().Close()
				c.Wait()
			}
			if out != tc.want {
				t.Errorf("terminal output %q, want %q", out, tc.want)
			}
		})
	}
}

// TestTerminalOwner: the program's terminal belongs to its user, so that
// it can use it, and keeps the group its devpts gave it; for a terminal
// made in the container or on the host, by either init, and for Enter.
func TestTerminalOwner(t *testing.T) {
	s := newSession(t)
	hostTerminal := busybox(t)
	hostTerminal.Namespaces &^= libct.NewMount
	for _, tc := range []struct {
		name   string
		cfg    *libct.Config
		goInit bool
		enter  bool
	}{
		{"inside", busybox(t), false, false},
		{"host terminal", hostTerminal, false, false},
		{"host terminal, Go init forced", hostTerminal, true, false},
		{"enter", busybox(t), false, true},
		{"enter, Go init", busybox(t), true, true},
		// The C init takes a host terminal when the process enters a
		// container with no root of its own.
		{"enter the host's root, C init", &libct.Config{Namespaces: libct.NewPID | libct.NewUTS}, false, true},
		{"enter the host's root, Go init", &libct.Config{Namespaces: libct.NewPID | libct.NewUTS}, true, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.goInit {
				t.Setenv("LIBCT_INIT", "go")
			} else {
				t.Setenv("LIBCT_INIT", "")
			}
			// The program waits for a line: its terminal is looked at from
			// here meanwhile (a root without /dev/pts cannot name it).
			p := &libct.Process{Args: []string{"/bin/sh", "-c", "echo ready; read x"}, User: "1000:100", Terminal: true}
			var con io.ReadWriter
			var pid int
			if tc.enter {
				testutil.RequireEnterStage(t)
				c := sleeper(t, s, tc.cfg)
				task, err := c.Enter(p)
				if err != nil {
					t.Fatal(err)
				}
				defer task.Wait()
				defer task.Console().Close()
				con, pid = task.Console(), task.Pid()
			} else {
				c, err := s.Create(uniqueName(t), tc.cfg)
				if err != nil {
					t.Fatal(err)
				}
				defer c.Destroy()
				if err := c.Spawn(p); err != nil {
					t.Fatal(err)
				}
				defer c.Console().Close()
				if pid, err = c.Pid(); err != nil {
					t.Fatal(err)
				}
				con = c.Console()
			}
			if out := readUntil(con, "ready"); !strings.Contains(out, "ready") {
				t.Fatalf("the program said %q", out)
			}
			var st syscall.Stat_t
			if err := syscall.Stat(fmt.Sprintf("/proc/%d/fd/0", pid), &st); err != nil {
				t.Fatal(err)
			}
			fmt.Fprintln(con)
			if st.Uid != 1000 || st.Gid == 100 {
				t.Errorf("terminal owned by %d:%d, want uid 1000 and the devpts group, not the user's", st.Uid, st.Gid)
			}
		})
	}
}

// readUntilExit reads a pty master until the slave side is gone (EIO).
func readUntilExit(r io.Reader) string {
	var b strings.Builder
	buf := make([]byte, 4096)
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		n, err := r.Read(buf)
		b.Write(buf[:n])
		if err != nil {
			break
		}
	}
	return b.String()
}

// TestEnterConsole: an entered process gets its own terminal too.
func TestEnterConsole(t *testing.T) {
	s := newSession(t)
	testutil.RequireEnterStage(t) // it enters a container with a mount namespace
	c := sleeper(t, s, busybox(t))
	task, err := c.Enter(&libct.Process{Args: []string{"/bin/sh", "-c", "stty size; test -t 0 && echo is-a-tty; tty"}, Terminal: true, ConsoleSize: &libct.ConsoleSize{Rows: 12, Cols: 34}})
	if err != nil {
		t.Fatal(err)
	}
	out := readUntilExit(task.Console())
	task.Console().Close()
	task.Wait()
	if !strings.Contains(out, "12 34") || !strings.Contains(out, "is-a-tty") || !strings.Contains(out, "/dev/pts/") {
		t.Errorf("entered terminal:\n%s", out)
	}
}

// TestLoad: a frontend that lost its handles (here: killed) gets the
// container back by its init's pid from a new session, and kills and
// destroys it.
func TestLoad(t *testing.T) {
	s := newSession(t)
	root := s.Root()
	// Another process starts a detached container and dies.
	out, err := helperCmd("spawn-and-die", root, "loaded").CombinedOutput()
	if err != nil {
		t.Fatalf("helper: %v\n%s", err, out)
	}
	var pid int
	if _, err := fmt.Sscanf(string(out), "pid=%d", &pid); err != nil {
		t.Fatalf("helper said %q", out)
	}
	s2, err := libct.Open("local", libct.WithRoot(root))
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	c, err := s2.Load(pid)
	if err != nil {
		t.Fatal(err)
	}
	if c.Name() != "loaded" {
		t.Errorf("Load(%d) = %q", pid, c.Name())
	}
	if err := c.Kill(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	if err := c.Destroy(); err != nil {
		t.Fatal(err)
	}
	if processAlive(pid) {
		t.Errorf("init %d alive after Destroy", pid)
	}
	if _, err := s2.Load(os.Getpid()); !errors.Is(err, libct.ErrNotExist) {
		t.Errorf("Load of a pid that is no container's: %v", err)
	}
}

// TestTaskless: a container with net and uts namespaces and no process;
// two Enter calls see the same namespaces and hostname; Destroy frees
// them.
func TestTaskless(t *testing.T) {
	s := newSession(t)
	mounts := len(mountPoints(t, s.Root()))
	c, err := s.Create(uniqueName(t), &libct.Config{Namespaces: libct.NewNet | libct.NewUTS, Hostname: "held"})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Hold(); err != nil {
		t.Fatal(err)
	}
	expectState(t, c, libct.Running)
	if pids, _ := c.Processes(); len(pids) != 0 {
		t.Errorf("taskless container has processes %v", pids)
	}
	var seen []string
	for i := 0; i < 2; i++ {
		r, w := pipe(t)
		task, err := c.Enter(&libct.Process{Args: []string{"/bin/sh", "-c", "hostname; readlink /proc/self/ns/net /proc/self/ns/uts"}, Stdout: w, Stderr: w})
		if err != nil {
			t.Fatal(err)
		}
		w.Close()
		task.Wait()
		seen = append(seen, readAll(t, r))
	}
	if seen[0] != seen[1] || !strings.HasPrefix(seen[0], "held\n") {
		t.Errorf("two entries saw:\n%s\n%s", seen[0], seen[1])
	}
	if strings.Contains(seen[0], nsLink(t, os.Getpid(), "net")) {
		t.Errorf("entered the host's network namespace")
	}
	nsDir := filepath.Join(s.Root(), c.Name(), "ns")
	if err := c.Destroy(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(nsDir); !os.IsNotExist(err) {
		t.Errorf("namespace files left: %v", err)
	}
	if n := len(mountPoints(t, s.Root())); n != mounts {
		t.Errorf("%d mounts under the root, %d before", n, mounts)
	}

	c, err = s.Create(uniqueName(t), &libct.Config{Namespaces: libct.NewPID | libct.NewNet})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Destroy()
	if err := c.Hold(); !errors.Is(err, libct.ErrInvalidConfig) {
		t.Errorf("holding a pid namespace: %v", err)
	}
}

// TestSwitch runs a function in a container's network namespace from the
// caller's own process.
func TestSwitch(t *testing.T) {
	s := newSession(t)
	_, hostNS := hostNetns(t)
	cfg := &libct.Config{Namespaces: libct.NewNet | libct.NewUTS, Hostname: "switched"}
	cfg.Network = libct.Network{HostNamespace: hostNS, Veths: []libct.Veth{{Container: libct.Link{Name: "inside0"}}}}
	c := sleeper(t, s, cfg)
	ownNet := nsLink(t, os.Getpid(), "net")
	// /sys/class/net shows the namespace of whoever mounted /sys: the
	// thread's own view of its devices is /proc/thread-self/net/dev.
	var devs, host string
	err := c.Switch(libct.NewNet|libct.NewUTS, func() error {
		data, err := os.ReadFile("/proc/thread-self/net/dev")
		devs = string(data)
		host, _ = os.Hostname()
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(devs, "inside0") || host != "switched" {
		t.Errorf("switched function saw devices %q, hostname %q", devs, host)
	}
	if nsLink(t, os.Getpid(), "net") != ownNet {
		t.Errorf("the caller's network namespace changed")
	}
	if h, _ := os.Hostname(); h == "switched" {
		t.Errorf("the caller's hostname changed")
	}
	if err := c.Switch(libct.NewMount, func() error { return nil }); !errors.Is(err, libct.ErrInvalidConfig) || !strings.Contains(err.Error(), "in-process") {
		t.Errorf("switching the mount namespace: %v", err)
	}
}

// TestProcesses lists the processes of a container, with and without a
// pid namespace.
func TestProcesses(t *testing.T) {
	s := newSession(t)
	for _, ns := range []libct.Namespaces{containerNS, libct.NewUTS} {
		cfg := busybox(t)
		cfg.Namespaces = ns | libct.NewMount
		c, err := s.Create(uniqueName(t), cfg)
		if err != nil {
			t.Fatal(err)
		}
		r, w := pipe(t)
		if err := c.Spawn(&libct.Process{Args: []string{"/bin/sh", "-c", "sleep 100 & sleep 100 & echo started; wait"}, Stdout: w}); err != nil {
			t.Fatal(err)
		}
		w.Close()
		buf := make([]byte, 16)
		r.Read(buf)
		pids, err := c.Processes()
		init, _ := c.Pid()
		if err != nil || len(pids) != 3 || pids[0] != init {
			t.Errorf("%s: Processes() = %v, %v; want the init %d and two sleeps", ns, pids, err, init)
		}
		c.Destroy()
	}
}
