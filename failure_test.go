package libct_test

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/libct/libct"
	"github.com/libct/libct/internal/testutil"
)

// leakCheck records what a start could leave behind and, at the end,
// fails the test if any of it grew: processes, mounts, open descriptors.
type leakCheck struct {
	mounts, fds, children int
}

// The session's first start opens the sealed copy of the binary that all
// its starts share (see warmUp): take the measure after it.
// Files earlier tests dropped are closed by finalizers at a time of the
// garbage collector's choosing: let them run before each count, and count
// only what grew.
func newLeakCheck(t testing.TB) leakCheck {
	settle()
	return leakCheck{testutil.MountCount(t), testutil.OpenFDs(t), len(testutil.ChildPIDs(t))}
}

func settle() {
	for i := 0; i < 2; i++ {
		runtime.GC()
		time.Sleep(5 * time.Millisecond)
	}
}

func (l leakCheck) verify(t testing.TB) {
	t.Helper()
	settle()
	if n := testutil.MountCount(t); n != l.mounts {
		t.Errorf("%d mounts, %d before", n, l.mounts)
	}
	if n := testutil.OpenFDs(t); n > l.fds {
		t.Errorf("%d open descriptors, %d before", n, l.fds)
	}
	if n := len(testutil.ChildPIDs(t)); n > l.children {
		t.Errorf("%d child processes, %d before", n, l.children)
	}
}

// TestBadInput gives each kind of bad input and checks that the error
// names the field and the cause, and that nothing of the container is
// left: no process, no mount, no descriptor, and no state directory when
// the container could not be created, no leftovers of the start (a
// stopped container, no exec fifo) when it was.
func TestBadInput(t *testing.T) {
	s := newSession(t)
	warmUp(t, s)
	if _, err := s.Create("libct-existing", nil); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		// cfg and proc describe the container; a nil proc means the
		// error must come from Create.
		cfg      func(root string) *libct.Config
		ctName   string
		proc     *libct.Process
		field    string
		cause    string
		is       error
		wantStep string
	}{
		{
			name:  "root does not exist",
			cfg:   func(string) *libct.Config { return &libct.Config{Namespaces: containerNS, Root: "/nonexistent/root"} },
			field: "root", cause: "no such file or directory", is: fs.ErrNotExist,
		},
		{
			name: "mount source does not exist",
			cfg: func(root string) *libct.Config {
				return &libct.Config{Namespaces: containerNS, Root: root, Mounts: []libct.Mount{
					{Source: "/nonexistent/src", Destination: "/mnt", Flags: libct.MountBind}}}
			},
			field: "mounts[0].source", cause: "no such file or directory", is: fs.ErrNotExist,
		},
		{
			name: "unknown namespace",
			cfg: func(root string) *libct.Config {
				return &libct.Config{Namespaces: libct.Namespaces(1 << 40), Root: root}
			},
			field: "namespaces", cause: "unknown clone flags", is: libct.ErrInvalidConfig,
		},
		{
			name: "non-namespaced sysctl",
			cfg: func(root string) *libct.Config {
				return &libct.Config{Namespaces: containerNS, Root: root, Sysctl: map[string]string{"kernel.panic": "1"}}
			},
			field: `sysctl["kernel.panic"]`, cause: "not a namespaced sysctl", is: libct.ErrInvalidConfig,
		},
		{
			name: "relative notify socket",
			cfg: func(root string) *libct.Config {
				return &libct.Config{Namespaces: containerNS, Root: root, NotifySocket: "run/notify.sock"}
			},
			field: "notifySocket", cause: "absolute", is: libct.ErrInvalidConfig,
		},
		{
			name: "notify socket in the root directory",
			cfg: func(root string) *libct.Config {
				return &libct.Config{Namespaces: containerNS, Root: root, NotifySocket: "/notify.sock"}
			},
			field: "notifySocket", cause: "cannot be the root", is: libct.ErrInvalidConfig,
		},
		{
			name: "notify socket without a mount namespace",
			cfg: func(root string) *libct.Config {
				return &libct.Config{Namespaces: containerNS &^ libct.NewMount, Root: root, NotifySocket: "/run/notify.sock"}
			},
			field: "notifySocket", cause: "needs a mount namespace", is: libct.ErrInvalidConfig,
		},
		{
			name:   "name already exists",
			cfg:    func(root string) *libct.Config { return nil },
			ctName: "libct-existing",
			field:  `"libct-existing"`, cause: "exists", is: libct.ErrExist,
		},
		{
			name:  "proc mounted through a symlink",
			cfg:   func(root string) *libct.Config { return withProcThroughSymlink(t, root) },
			proc:  sh("true"),
			field: "mounts[0].destination", cause: "never through a symlink", wantStep: "rootfs",
		},
		{
			name:  "executable missing in the container",
			cfg:   func(root string) *libct.Config { return &libct.Config{Namespaces: containerNS, Root: root} },
			proc:  &libct.Process{Args: []string{"/bin/nope"}},
			field: `exec "/bin/nope"`, cause: "no such file or directory", is: fs.ErrNotExist, wantStep: "exec",
		},
		{
			name:  "no passwd entry for a user name",
			cfg:   func(root string) *libct.Config { return &libct.Config{Namespaces: containerNS, Root: root} },
			proc:  &libct.Process{Args: []string{"true"}, User: "bob"},
			field: `process.user "bob"`, cause: "no matching entries", wantStep: "user",
		},
		{
			name:  "mount that the kernel refuses",
			cfg:   func(root string) *libct.Config { return withMount(root, "tmpfs", "/tmp", "size=nonsense") },
			proc:  sh("true"),
			field: "mount tmpfs on /tmp", cause: "invalid argument", is: syscall.EINVAL, wantStep: "rootfs",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root := testutil.BusyboxRootfs(t)
			leaks := newLeakCheck(t)
			name := tc.ctName
			if name == "" {
				name = uniqueName(t)
			}
			c, err := s.Create(name, tc.cfg(root))
			if tc.proc != nil {
				if err != nil {
					t.Fatalf("Create: %v", err)
				}
				err = c.Spawn(tc.proc)
			}
			if err == nil {
				t.Fatal("no error")
			}
			if !strings.Contains(err.Error(), tc.field) || !strings.Contains(err.Error(), tc.cause) {
				t.Errorf("error %q does not name %q and %q", err, tc.field, tc.cause)
			}
			if tc.is != nil && !errors.Is(err, tc.is) {
				t.Errorf("error %q is not %v", err, tc.is)
			}
			if tc.wantStep != "" {
				var se *libct.StartError
				if !errors.As(err, &se) || se.Step != tc.wantStep {
					t.Errorf("error %#v is not a StartError of step %q", err, tc.wantStep)
				}
			}
			leaks.verify(t)
			checkRefusedLeftNothing(t, s, c, name, tc.proc != nil, tc.ctName == "")
		})
	}
}

// checkRefusedLeftNothing checks what a refused container named name left
// in the session's root. A container refused by Create (started false)
// has no state directory, unless it is one that existed before (fresh
// false); one whose start failed is stopped, without an exec fifo, and
// Destroy removes it.
func checkRefusedLeftNothing(t *testing.T, s *libct.Session, c *libct.Container, name string, started, fresh bool) {
	t.Helper()
	dir := filepath.Join(s.Root(), name)
	if !started {
		if _, err := os.Stat(dir); fresh && !os.IsNotExist(err) {
			t.Errorf("state directory of the refused container exists: %v", err)
		}
		return
	}
	expectState(t, c, libct.Stopped)
	if _, err := os.Stat(filepath.Join(dir, "exec.fifo")); !os.IsNotExist(err) {
		t.Errorf("exec fifo left behind")
	}
	if err := c.Destroy(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("state directory left after Destroy")
	}
}

// withProcThroughSymlink mounts a proc on a symlink of the root: a
// destination resolves inside the root as chroot would, but proc and
// sysfs are refused one reached through a symlink, where a swap could aim
// them.
func withProcThroughSymlink(t testing.TB, root string) *libct.Config {
	link := filepath.Join(root, "proc-link")
	os.Remove(link)
	if err := os.Symlink("/tmp", link); err != nil {
		t.Fatal(err)
	}
	return withMount(root, "proc", "/proc-link", "")
}

func withMount(root, fstype, dst, data string) *libct.Config {
	return &libct.Config{Namespaces: containerNS, Root: root, Mounts: []libct.Mount{
		{Source: fstype, Destination: dst, Type: fstype, Data: data}}}
}

// TestPrepareFailureLeavesNothing: a failed two-step start leaves no fifo,
// no process and no mount, like a failed Spawn.
func TestPrepareFailureLeavesNothing(t *testing.T) {
	s := newSession(t)
	c, err := s.Create(uniqueName(t), busybox(t))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Destroy()
	warmUp(t, s)
	leaks := newLeakCheck(t)
	if err := c.Prepare(&libct.Process{Args: []string{"/bin/nope"}}); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("Prepare = %v, want a missing executable", err)
	}
	leaks.verify(t)
	expectState(t, c, libct.Stopped)
}

// TestManyContainers starts 200 containers in a row, each with its own
// namespaces and root, and destroys them: nothing is left behind.
func TestManyContainers(t *testing.T) {
	testutil.RequireRoot(t)
	cfg := busybox(t)
	leaks := newLeakCheck(t)
	s, err := libct.Open("local", libct.WithRoot(t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 200; i++ {
		c, err := s.Create(uniqueName(t), cfg)
		if err != nil {
			t.Fatal(err)
		}
		if err := c.Spawn(&libct.Process{Args: []string{"true"}}); err != nil {
			t.Fatalf("container %d: %v", i, err)
		}
		if st, err := c.Wait(); err != nil || st.Code != 0 {
			t.Fatalf("container %d: %v %v", i, st, err)
		}
		if err := c.Destroy(); err != nil {
			t.Fatal(err)
		}
	}
	if names, err := s.List(); err != nil || len(names) != 0 {
		t.Errorf("state directories left: %v %v", names, err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	leaks.verify(t)
}

// warmUp runs one container so that the session has made what it keeps
// for all its starts.
func warmUp(t testing.TB, s *libct.Session) {
	t.Helper()
	mustRun(t, s, nil, &libct.Process{Args: []string{"true"}})
}
