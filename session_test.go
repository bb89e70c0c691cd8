package libct_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/libct/libct"
	"github.com/libct/libct/internal/testutil"
)

func TestOpenURL(t *testing.T) {
	root := t.TempDir()
	for _, tc := range []struct {
		name, url string
		ok        bool
	}{
		{"local", "local", true},
		{"empty means local", "", true},
		{"unix socket", "unix:///run/ctd.sock", false},
		{"unknown word", "remote", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := libct.Open(tc.url, libct.WithRoot(root))
			if tc.ok {
				if err != nil {
					t.Fatal(err)
				}
				if s.Root() != root {
					t.Errorf("Root() = %q, want %q", s.Root(), root)
				}
				if err := s.Close(); err != nil {
					t.Fatal(err)
				}
				if _, err := s.Create("x", nil); !errors.Is(err, libct.ErrClosed) {
					t.Errorf("Create after Close: %v, want ErrClosed", err)
				}
				if err := s.Close(); err != nil {
					t.Errorf("second Close: %v", err)
				}
				return
			}
			var ue *libct.URLError
			if !errors.Is(err, libct.ErrUnsupportedURL) || !errors.As(err, &ue) || ue.URL != tc.url {
				t.Fatalf("Open(%q) = %v, want a URLError naming it", tc.url, err)
			}
			if !strings.Contains(err.Error(), tc.url) {
				t.Errorf("error %q does not name the URL", err)
			}
		})
	}
	if _, err := libct.Open("local", libct.WithRoot("relative/dir")); !errors.Is(err, libct.ErrInvalidConfig) {
		t.Errorf("relative root: %v, want ErrInvalidConfig", err)
	}
}

func TestCreateNames(t *testing.T) {
	s := newSession(t)
	if _, err := s.Create("taken", nil); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, ctName string
		want         error
	}{
		{"empty", "", libct.ErrInvalidConfig},
		{"too long", strings.Repeat("a", 129), libct.ErrInvalidConfig},
		{"slash", "a/b", libct.ErrInvalidConfig},
		{"dot dot", "..", libct.ErrInvalidConfig},
		{"dot", ".", libct.ErrInvalidConfig},
		{"hidden", ".x", libct.ErrInvalidConfig},
		{"space", "a b", libct.ErrInvalidConfig},
		{"duplicate", "taken", libct.ErrExist},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := s.Create(tc.ctName, nil)
			if !errors.Is(err, tc.want) {
				t.Fatalf("Create(%q) = %v, want %v", tc.ctName, err, tc.want)
			}
			var ce *libct.ConfigError
			if tc.want == libct.ErrInvalidConfig && (!errors.As(err, &ce) || ce.Field != "name") {
				t.Errorf("error %v does not name the field \"name\"", err)
			}
		})
	}
	if _, err := s.Create(strings.Repeat("a", 128), nil); err != nil {
		t.Errorf("128-byte name refused: %v", err)
	}
	names, err := s.List()
	if err != nil || len(names) != 2 {
		t.Errorf("List() = %v, %v; want the two created containers", names, err)
	}
}

func TestLifecycle(t *testing.T) {
	s := newSession(t)
	c, err := s.Create(uniqueName(t), busybox(t))
	if err != nil {
		t.Fatal(err)
	}
	expectState(t, c, libct.Stopped)
	if err := c.Signal(syscall.SIGTERM); !errors.Is(err, libct.ErrWrongState) {
		t.Errorf("Signal on a stopped container: %v, want ErrWrongState", err)
	}
	if err := c.Start(); !errors.Is(err, libct.ErrWrongState) {
		t.Errorf("Start on a stopped container: %v, want ErrWrongState", err)
	}

	if err := c.Spawn(&libct.Process{Args: []string{"sleep", "100"}}); err != nil {
		t.Fatal(err)
	}
	expectState(t, c, libct.Running)
	if pid, err := c.Pid(); err != nil || pid <= 0 {
		t.Errorf("Pid() = %d, %v", pid, err)
	}
	var se *libct.StateError
	if err := c.Spawn(sh("true")); !errors.Is(err, libct.ErrWrongState) || !errors.As(err, &se) || se.State != libct.Running {
		t.Errorf("Spawn on a running container: %v, want a StateError saying running", err)
	}
	if err := c.SetHostname("x", ""); !errors.Is(err, libct.ErrWrongState) {
		t.Errorf("configuring a running container: %v, want ErrWrongState", err)
	}
	if err := c.Kill(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	st, err := c.Wait()
	if err != nil || st.Signal != syscall.SIGKILL || st.ExitCode() != 128+9 {
		t.Errorf("Wait() = %v, %v; want killed by SIGKILL", st, err)
	}
	expectState(t, c, libct.Stopped)

	// A stopped container starts again, this time in two steps.
	if err := c.Prepare(sh("exit 4")); err != nil {
		t.Fatal(err)
	}
	expectState(t, c, libct.Created)
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	if st, err := c.Wait(); err != nil || st.Code != 4 {
		t.Errorf("Wait() = %v, %v; want exit status 4", st, err)
	}
	if err := c.Destroy(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Container(c.Name()); !errors.Is(err, libct.ErrNotExist) {
		t.Errorf("Container after Destroy: %v, want ErrNotExist", err)
	}
	if err := c.Spawn(sh("true")); !errors.Is(err, libct.ErrNotExist) {
		t.Errorf("Spawn after Destroy: %v, want ErrNotExist", err)
	}
}

func expectState(t testing.TB, c *libct.Container, want libct.State) {
	t.Helper()
	got, err := c.State()
	if err != nil || got != want {
		t.Fatalf("State() = %q, %v; want %q", got, err, want)
	}
}

// TestEmptyContainerIsAlive is the C suite's first test: a container with
// nothing configured is merely a forked process, and it is alive.
func TestEmptyContainerIsAlive(t *testing.T) {
	s := newSession(t)
	c := sleeper(t, s, nil)
	pid, err := c.Pid()
	if err != nil {
		t.Fatal(err)
	}
	if err := syscall.Kill(pid, 0); err != nil {
		t.Fatalf("init %d is not alive: %v", pid, err)
	}
	for _, ns := range []string{"mnt", "pid", "net", "uts", "ipc", "user"} {
		if inside, host := nsLink(t, pid, ns), nsLink(t, os.Getpid(), ns); inside != host {
			t.Errorf("empty container has its own %s namespace (%s, host %s)", ns, inside, host)
		}
	}
}

func nsLink(t testing.TB, pid int, ns string) string {
	t.Helper()
	l, err := os.Readlink(filepath.Join("/proc", strconvItoa(pid), "ns", ns))
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// TestCloseKeepsDetached shows the session's lifetime rule: Close destroys
// the containers it started, but not the detached ones.
func TestCloseKeepsDetached(t *testing.T) {
	testutil.RequireRoot(t)
	root := t.TempDir()
	s, err := libct.Open("local", libct.WithRoot(root))
	if err != nil {
		t.Fatal(err)
	}
	attached, err := s.Create("attached", &libct.Config{Namespaces: libct.NewPID})
	if err != nil {
		t.Fatal(err)
	}
	detached, err := s.Create("detached", &libct.Config{Namespaces: libct.NewPID, Options: libct.Detached})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []*libct.Container{attached, detached} {
		if err := c.Spawn(&libct.Process{Args: []string{"sleep", "100"}}); err != nil {
			t.Fatal(err)
		}
	}
	attachedPid, _ := attached.Pid()
	detachedPid, _ := detached.Pid()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if processAlive(attachedPid) {
		t.Errorf("attached init %d survived Close", attachedPid)
	}
	if !processAlive(detachedPid) {
		t.Fatalf("detached init %d did not survive Close", detachedPid)
	}

	s2, err := libct.Open("local", libct.WithRoot(root))
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	if _, err := s2.Container("attached"); !errors.Is(err, libct.ErrNotExist) {
		t.Errorf("attached container still in the root: %v", err)
	}
	c, err := s2.Container("detached")
	if err != nil {
		t.Fatal(err)
	}
	expectState(t, c, libct.Running)
	if err := c.Destroy(); err != nil {
		t.Fatal(err)
	}
	// The first session's process is the init's parent: reap it here, as
	// a frontend's own child-reaping would.
	var ws syscall.WaitStatus
	syscall.Wait4(detachedPid, &ws, 0, nil)
	if processAlive(detachedPid) {
		t.Errorf("detached init %d survived Destroy", detachedPid)
	}
}

// processAlive is true while pid exists and is not a zombie.
func processAlive(pid int) bool {
	data, err := os.ReadFile("/proc/" + strconvItoa(pid) + "/stat")
	if err != nil {
		return false
	}
	i := strings.LastIndexByte(string(data), ')')
	return i > 0 && len(data) > i+2 && data[i+2] != 'Z'
}
