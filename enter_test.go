package libct_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/libct/libct"
	"github.com/libct/libct/internal/testutil"
)

// allNamespaces is every namespace a container can have.
const allNamespaces = libct.NewMount | libct.NewUTS | libct.NewIPC | libct.NewPID | libct.NewNet |
	libct.NewUser | libct.NewCgroup | libct.NewTime

// TestEnter enters a container with all eight namespaces: the entered
// process is in the init's very namespaces, sees its root and hostname,
// has a small pid, and its exit status comes back.
func TestEnter(t *testing.T) {
	s := newSession(t)
	testutil.RequireEnterStage(t) // it enters a container with a mount namespace
	cfg := busybox(t)
	cfg.Namespaces = allNamespaces
	cfg.Hostname = "entered"
	cfg.UIDMappings = []libct.IDMap{{ContainerID: 0, HostID: 100000, Size: 65536}}
	cfg.GIDMappings = cfg.UIDMappings
	os.WriteFile(filepath.Join(cfg.Root, "only-inside"), []byte("inside\n"), 0o644)
	c := sleeper(t, s, cfg)
	initPid, _ := c.Pid()

	r, w := pipe(t)
	task, err := c.Enter(&libct.Process{
		Args:   []string{"/bin/sh", "-c", nsScript + `; hostname; cat /only-inside; echo "mypid $$"; echo "uid $(id -u)"; exit 7`},
		Stdout: w, Stderr: w,
	})
	if err != nil {
		t.Fatal(err)
	}
	w.Close()
	st, err := task.Wait()
	if err != nil || st.Code != 7 {
		t.Errorf("entered task: %v, %v; want exit status 7", st, err)
	}
	out := readAll(t, r)
	for _, n := range nsFiles {
		want := n.file + " " + nsLink(t, initPid, n.file)
		if !strings.Contains(out, want) {
			t.Errorf("entered process: missing %q in\n%s", want, out)
		}
	}
	for _, want := range []string{"entered\n", "inside\n", "uid 0\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %q in\n%s", want, out)
		}
	}
	if f := strings.Fields(out[strings.Index(out, "mypid "):]); len(f) < 2 || atoi(f[1]) <= 1 || atoi(f[1]) > 10 {
		t.Errorf("pid inside: %q", out)
	}
}

// TestEnterForksKilled: what an entered process forks dies with Kill.
func TestEnterForksKilled(t *testing.T) {
	s := newSession(t)
	testutil.RequireEnterStage(t) // it enters a container with a mount namespace
	c := sleeper(t, s, busybox(t))
	r, w := pipe(t)
	task, err := c.Enter(&libct.Process{Args: []string{"/bin/sh", "-c", "sleep 100 & sleep 100 & echo $!; wait"}, Stdout: w})
	if err != nil {
		t.Fatal(err)
	}
	w.Close()
	buf := make([]byte, 32)
	r.Read(buf)
	if err := c.Kill(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	if st, err := task.Wait(); err != nil || st.Signal != syscall.SIGKILL {
		t.Errorf("entered task after Kill: %v, %v", st, err)
	}
	c.Wait()
	if pids, _ := descendantsOf(os.Getpid()); len(pids) != 0 {
		t.Errorf("processes left after Kill: %v", pids)
	}
}

func TestEnterErrors(t *testing.T) {
	s := newSession(t)
	c, err := s.Create(uniqueName(t), busybox(t))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Destroy()
	if _, err := c.Enter(sh("true")); !errors.Is(err, libct.ErrWrongState) {
		t.Errorf("Enter into a stopped container: %v, want ErrWrongState", err)
	}
	if err := c.Spawn(&libct.Process{Args: []string{"sleep", "100"}}); err != nil {
		t.Fatal(err)
	}
	testutil.RequireEnterStage(t) // the rest enters a container with a mount namespace
	_, err = c.Enter(&libct.Process{Args: []string{"/bin/nope"}})
	if !errors.Is(err, os.ErrNotExist) || !strings.Contains(err.Error(), `exec "/bin/nope"`) {
		t.Errorf("Enter of a missing program: %v", err)
	}
}

// TestEnterFunc runs a registered function in a live container.
func TestEnterFunc(t *testing.T) {
	s := newSession(t)
	testutil.RequireEnterStage(t) // it enters a container with a mount namespace
	cfg := busybox(t)
	cfg.Hostname = "fn-host"
	c := sleeper(t, s, cfg)
	r, w := pipe(t)
	task, err := c.Enter(&libct.Process{Func: "observe", FuncArg: []byte("x"), ExtraFiles: []*os.File{w}})
	if err != nil {
		t.Fatal(err)
	}
	w.Close()
	if st, err := task.Wait(); err != nil || st.Code != 0 {
		t.Fatalf("%v %v", st, err)
	}
	if out := readAll(t, r); !strings.Contains(out, "host=fn-host") {
		t.Errorf("function saw %q", out)
	}
}

func readAll(t testing.TB, f *os.File) string {
	t.Helper()
	var b strings.Builder
	buf := make([]byte, 4096)
	for {
		n, err := f.Read(buf)
		b.Write(buf[:n])
		if err != nil {
			return b.String()
		}
	}
}

func atoi(s string) int {
	n, _ := strconv.Atoi(strings.TrimSpace(s))
	return n
}

// descendantsOf lists the live (non-zombie) descendants of pid.
func descendantsOf(pid int) ([]int, error) {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil, err
	}
	parent := map[int]int{}
	for _, e := range entries {
		p, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", p))
		if err != nil {
			continue
		}
		i := strings.LastIndexByte(string(data), ')')
		f := strings.Fields(string(data[i+1:]))
		if len(f) > 1 && f[0] != "Z" {
			parent[p] = atoi(f[1])
		}
	}
	var out []int
	for p := range parent {
		for q := parent[p]; q != 0; q = parent[q] {
			if q == pid {
				out = append(out, p)
				break
			}
		}
	}
	return out, nil
}

// TestEnterDetached: a task entered detached is not reaped behind the
// caller's back: its exit status stays for whoever waits for it (here the
// caller itself, later).
func TestEnterDetached(t *testing.T) {
	s := newSession(t)
	testutil.RequireEnterStage(t) // it enters a container with a mount namespace
	c := sleeper(t, s, busybox(t))
	task, err := c.EnterDetached(sh("exit 3"))
	if err != nil {
		t.Fatal(err)
	}
	// Long enough for an automatic reaper to have taken it.
	time.Sleep(200 * time.Millisecond)
	var ws syscall.WaitStatus
	if pid, err := syscall.Wait4(task.Pid(), &ws, syscall.WNOHANG, nil); pid != task.Pid() || err != nil || ws.ExitStatus() != 3 {
		t.Errorf("Wait4(%d) = %d, %v, status %d; want the exit status 3 still there", task.Pid(), pid, err, ws.ExitStatus())
	}
}
