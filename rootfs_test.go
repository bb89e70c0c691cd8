package libct_test

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/libct/libct"
	"github.com/libct/libct/internal/testutil"
)

// TestPivotRoot checks that the old root is gone: "/.." is "/", the init's
// root is "/", and a file only on the host's root is nowhere to be seen.
func TestPivotRoot(t *testing.T) {
	s := newSession(t)
	marker := filepath.Join("/", "libct-host-marker-"+strconvItoa(os.Getpid()))
	if err := os.WriteFile(marker, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	defer os.Remove(marker)
	cfg := busybox(t)
	os.WriteFile(filepath.Join(cfg.Root, "inside-marker"), nil, 0o644)
	out := mustRun(t, s, cfg, sh(`
		ls /.. | tr '\n' ' '; echo
		readlink /proc/1/root
		ls -di / /.. | awk '{print $1}' | uniq | wc -l
		test -e `+marker+` && echo host-visible || echo host-hidden
		test -e /inside-marker && echo inside-visible
		awk '$5 == "/"' /proc/self/mountinfo | wc -l`))
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 6 {
		t.Fatalf("unexpected output:\n%s", out)
	}
	if !strings.Contains(lines[0], "inside-marker") || strings.Contains(lines[0], filepath.Base(marker)) {
		t.Errorf("ls /.. = %q: not the container's root", lines[0])
	}
	for i, want := range []string{"", "/", "1", "host-hidden", "inside-visible", "1"} {
		if i > 0 && strings.TrimSpace(lines[i]) != want {
			t.Errorf("line %d = %q, want %q (output:\n%s)", i, lines[i], want, out)
		}
	}
}

// TestChrootWithoutMountNamespace: a root without a mount namespace is
// entered with chroot, and the caller's mount namespace is shared.
func TestChrootWithoutMountNamespace(t *testing.T) {
	s := newSession(t)
	root := testutil.BusyboxRootfs(t)
	os.WriteFile(filepath.Join(root, "inside-marker"), nil, 0o644)
	out := mustRun(t, s, &libct.Config{Namespaces: libct.NewPID | libct.NewUTS, Root: root},
		sh("ls /inside-marker; ls -d /bin/busybox"))
	if !strings.Contains(out, "/inside-marker") || !strings.Contains(out, "/bin/busybox") {
		t.Errorf("chrooted container sees:\n%s", out)
	}
	c := sleeper(t, s, &libct.Config{Root: root})
	pid, _ := c.Pid()
	if inside, host := nsLink(t, pid, "mnt"), nsLink(t, os.Getpid(), "mnt"); inside != host {
		t.Errorf("chroot container has its own mount namespace")
	}
	if r, _ := os.Readlink(filepath.Join("/proc", strconvItoa(pid), "root")); r != root {
		t.Errorf("init root = %q, want %q", r, root)
	}
}

func TestReadOnlyRoot(t *testing.T) {
	s := newSession(t)
	cfg := busybox(t)
	cfg.ReadOnlyRoot = true
	cfg.Mounts = []libct.Mount{{Source: "tmpfs", Destination: "/tmp", Type: "tmpfs"}}
	out := mustRun(t, s, cfg, sh("touch /x 2>&1; touch /tmp/y && echo tmp-writable"))
	if !strings.Contains(out, "Read-only file system") || !strings.Contains(out, "tmp-writable") {
		t.Errorf("read-only root:\n%s", out)
	}
}

// TestRootPropagation mounts on the host under a shared root after the
// container started: a slave container sees the mount, a private one
// does not.
func TestRootPropagation(t *testing.T) {
	s := newSession(t)
	for _, tc := range []struct {
		name string
		prop libct.Propagation
		sees bool
	}{
		{"private by default", libct.PropagationPrivate, false},
		{"rslave", libct.PropagationSlave, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root := testutil.BusyboxRootfs(t)
			os.Mkdir(filepath.Join(root, "mnt"), 0o755)
			// Make the root a shared mount of its own so host events
			// under it have somewhere to propagate from.
			mustMount(t, root, root, "", syscall.MS_BIND)
			defer syscall.Unmount(root, syscall.MNT_DETACH)
			mustMount(t, "", root, "", syscall.MS_SHARED)
			cfg := &libct.Config{Namespaces: containerNS, Root: root, RootPropagation: tc.prop}
			c, err := s.Create(uniqueName(t), cfg)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Destroy()
			ready, release := pipe(t)
			outR, outW := pipe(t)
			p := &libct.Process{Args: []string{"/bin/sh", "-c", "read x <&3; ls /mnt"}, ExtraFiles: []*os.File{ready}, Stdout: outW, Stderr: outW}
			if err := c.Spawn(p); err != nil {
				t.Fatal(err)
			}
			outW.Close()
			hostDir := t.TempDir()
			os.WriteFile(filepath.Join(hostDir, "from-host"), nil, 0o644)
			mustMount(t, hostDir, filepath.Join(root, "mnt"), "", syscall.MS_BIND)
			defer syscall.Unmount(filepath.Join(root, "mnt"), syscall.MNT_DETACH)
			release.Write([]byte("go\n"))
			out, _ := io.ReadAll(outR)
			if st, err := c.Wait(); err != nil || st.Code != 0 {
				t.Fatalf("container: %v, %v: %s", st, err, out)
			}
			if sees := strings.Contains(string(out), "from-host"); sees != tc.sees {
				t.Errorf("container saw the host's new mount: %t, want %t (ls /mnt: %q)", sees, tc.sees, out)
			}
		})
	}
}

func mustMount(t testing.TB, src, dst, fstype string, flags uintptr) {
	t.Helper()
	if err := syscall.Mount(src, dst, fstype, flags, ""); err != nil {
		t.Fatalf("mount %s on %s: %v", src, dst, err)
	}
}

// pipe returns both ends of a pipe, closed at the end of the test.
func pipe(t testing.TB) (*os.File, *os.File) {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close(); w.Close() })
	return r, w
}

// TestPrivateArea is the C suite's private-area test: the container's "/"
// shows the private directory, and after Destroy both directories can be
// removed with rmdir: nothing is left mounted.
func TestPrivateArea(t *testing.T) {
	s := newSession(t)
	for _, tc := range []struct {
		name string
		ns   libct.Namespaces
	}{
		{"with mount namespace", containerNS},
		{"chroot, bind on the host", libct.NewPID | libct.NewUTS},
	} {
		t.Run(tc.name, func(t *testing.T) {
			base := t.TempDir()
			root := filepath.Join(base, "root")
			private := filepath.Join(base, "private")
			os.Mkdir(root, 0o755)
			if err := testutil.BuildBusyboxRootfs(private); err != nil {
				t.Fatal(err)
			}
			os.WriteFile(filepath.Join(private, "private-file"), []byte("private data\n"), 0o644)
			mounts := testutil.MountCount(t)
			c, err := s.Create(uniqueName(t), &libct.Config{Namespaces: tc.ns, Root: root})
			if err != nil {
				t.Fatal(err)
			}
			if err := c.SetPrivate(libct.PrivateSubdir, private); err != nil {
				t.Fatal(err)
			}
			out, st, err := spawnAndWait(c, sh("cat /private-file"))
			if err != nil || st.Code != 0 || out != "private data\n" {
				t.Fatalf("container: %q, %v, %v", out, st, err)
			}
			if err := c.Destroy(); err != nil {
				t.Fatal(err)
			}
			if n := testutil.MountCount(t); n != mounts {
				t.Errorf("%d mounts after Destroy, %d before", n, mounts)
			}
			if err := syscall.Rmdir(root); err != nil {
				t.Errorf("rmdir root after Destroy: %v", err)
			}
			if err := os.RemoveAll(private); err != nil {
				t.Errorf("remove private after Destroy: %v", err)
			}
		})
	}
}

func TestSetPrivateErrors(t *testing.T) {
	s := newSession(t)
	c, err := s.Create(uniqueName(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.SetPrivate(libct.PrivateSubdir, t.TempDir()); !errors.Is(err, libct.ErrInvalidConfig) {
		t.Errorf("private area without a root: %v, want ErrInvalidConfig", err)
	}
	if err := c.SetPrivate(libct.PrivateNone, ""); err != nil {
		t.Errorf("PrivateNone: %v", err)
	}
}

// TestRootPropagationModes: a shared or unbindable root is that once the
// container runs (pivot_root itself needs it otherwise).
func TestRootPropagationModes(t *testing.T) {
	s := newSession(t)
	for _, tc := range []struct {
		prop libct.Propagation
		want string
	}{
		{libct.PropagationShared, "shared:"},
		{libct.PropagationUnbindable, "unbindable"},
	} {
		cfg := busybox(t)
		cfg.RootPropagation = tc.prop
		out := mustRun(t, s, cfg, sh(`awk '$5 == "/"' /proc/self/mountinfo`))
		if !strings.Contains(out, tc.want) {
			t.Errorf("root with propagation %v: %s", tc.prop, out)
		}
	}
}

// TestSharedMounts: without a mount namespace of its own, a container with
// SharedMounts gets /proc, /dev and its mounts under its root in the
// caller's mount namespace, and Destroy unmounts them all.
func TestSharedMounts(t *testing.T) {
	s := newSession(t)
	cfg := &libct.Config{Namespaces: libct.NewPID | libct.NewUTS, Root: testutil.BusyboxRootfs(t), Options: libct.SharedMounts}
	cfg.Mounts = []libct.Mount{{Source: "tmpfs", Destination: "/scratch", Type: "tmpfs"}}
	cfg.MaskedPaths = []string{"/proc/keys"}
	before := testutil.MountCount(t)
	c, err := s.Create(uniqueName(t), cfg)
	if err != nil {
		t.Fatal(err)
	}
	r, w := pipe(t)
	if err := c.Spawn(&libct.Process{Args: []string{"/bin/sh", "-c", "echo $$; test -c /dev/null && echo dev-ok; touch /scratch/x && echo scratch-ok; exec sleep 100"}, Stdout: w}); err != nil {
		t.Fatal(err)
	}
	w.Close()
	read := readUntil(r, "scratch-ok")
	if out := read; !strings.HasPrefix(out, "1\n") || !strings.Contains(out, "dev-ok") {
		t.Errorf("inside: %s", out)
	}
	pid, _ := c.Pid()
	if nsLink(t, pid, "mnt") != nsLink(t, os.Getpid(), "mnt") {
		t.Errorf("the container has a mount namespace of its own")
	}
	if got := mountPoints(t, cfg.Root); len(got) < 4 {
		t.Errorf("mounts under the root while running: %v", got)
	}
	if err := c.Destroy(); err != nil {
		t.Fatal(err)
	}
	if got := mountPoints(t, cfg.Root); len(got) != 0 {
		t.Errorf("mounts left under the root: %v", got)
	}
	if after := testutil.MountCount(t); after != before {
		t.Errorf("%d mounts after Destroy, %d before", after, before)
	}
}
