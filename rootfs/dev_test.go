package rootfs

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

func init() {
	devChecks := []check{
		{"nodes", func(*helperInput) error {
			for _, n := range devNodes {
				if err := wantNode("/dev/"+n.name, unix.S_IFCHR, n.major, n.minor, 0o666); err != nil {
					return err
				}
			}
			return nil
		}},
		{"null takes writes", func(*helperInput) error {
			return os.WriteFile("/dev/null", []byte("x"), 0)
		}},
		{"zero reads zeros", func(*helperInput) error {
			f, err := os.Open("/dev/zero")
			if err != nil {
				return err
			}
			defer f.Close()
			b := []byte{1, 2, 3}
			if _, err := f.Read(b); err != nil || !bytes.Equal(b, []byte{0, 0, 0}) {
				return fmt.Errorf("read /dev/zero: %v, %v", b, err)
			}
			return nil
		}},
		{"full is full", func(*helperInput) error {
			return wantErrno("write /dev/full", os.WriteFile("/dev/full", []byte("x"), 0), syscall.ENOSPC)
		}},
		{"ptmx opens a pty of its own instance", func(*helperInput) error {
			f, err := os.OpenFile("/dev/ptmx", os.O_RDWR|unix.O_NOCTTY, 0)
			if err != nil {
				return err
			}
			defer f.Close()
			n, err := unix.IoctlGetInt(int(f.Fd()), unix.TIOCGPTN)
			if err != nil {
				return err
			}
			if n != 0 {
				return fmt.Errorf("first pty is %d: devpts is shared", n)
			}
			_, err = os.Stat("/dev/pts/" + strconv.Itoa(n))
			return err
		}},
		{"shm", func(*helperInput) error {
			e, err := findMount("/dev/shm")
			if err != nil {
				return err
			}
			if err := e.has("nosuid", "nodev", "noexec"); err != nil {
				return err
			}
			// tmpfs lists mode= only when it is not its default, 1777.
			fi, err := os.Stat("/dev/shm")
			if err != nil {
				return err
			}
			if fi.Mode()&(os.ModePerm|os.ModeSticky) != os.ModePerm|os.ModeSticky {
				return fmt.Errorf("/dev/shm mode %v", fi.Mode())
			}
			return nil
		}},
		{"dev is a tmpfs", func(*helperInput) error {
			e, err := findMount("/dev")
			if err != nil {
				return err
			}
			if e.fstype != "tmpfs" {
				return fmt.Errorf("/dev is %s", e.fstype)
			}
			return e.has("nosuid", "mode=755")
		}},
		{"links", func(*helperInput) error {
			for _, l := range devLinks {
				if got, err := os.Readlink("/dev/" + l.name); err != nil || got != l.target {
					return fmt.Errorf("/dev/%s -> %q, %v; want %s", l.name, got, err, l.target)
				}
			}
			if _, err := os.Stat("/dev/core"); !errors.Is(err, os.ErrNotExist) {
				return fmt.Errorf("/dev/core: %v", err)
			}
			_, err := os.Stat("/dev/stdout")
			return err
		}},
	}
	scenarios["dev"] = scenario{
		// The umask a program had must survive Setup's zero one.
		prepare: func(*helperInput) error { unix.Umask(0o027); return nil },
		checks: append(devChecks,
			check{"console is the terminal", func(*helperInput) error {
				var con, in unix.Stat_t
				if err := unix.Stat("/dev/console", &con); err != nil {
					return err
				}
				if err := unix.Fstat(0, &in); err != nil {
					return err
				}
				if con.Rdev != in.Rdev || con.Mode&unix.S_IFMT != unix.S_IFCHR {
					return fmt.Errorf("/dev/console is %d:%d, stdin %d:%d",
						unix.Major(con.Rdev), unix.Minor(con.Rdev), unix.Major(in.Rdev), unix.Minor(in.Rdev))
				}
				return nil
			}},
			check{"device char", func(*helperInput) error {
				if err := wantNode("/dev/foo", unix.S_IFCHR, 1, 3, 0o600); err != nil {
					return err
				}
				var st unix.Stat_t
				if err := unix.Stat("/dev/foo", &st); err != nil {
					return err
				}
				if st.Uid != 1000 || st.Gid != 1001 {
					return fmt.Errorf("/dev/foo owned by %d:%d", st.Uid, st.Gid)
				}
				return nil
			}},
			check{"device block with parents made", func(*helperInput) error {
				return wantNode("/var/lib/blk", unix.S_IFBLK, 7, 0, 0o640)
			}},
			check{"device fifo", func(*helperInput) error {
				return wantNode("/run/fifo", unix.S_IFIFO, 0, 0, 0o620)
			}},
			check{"device replaces a file", func(*helperInput) error {
				return wantNode("/inside-marker", unix.S_IFCHR, 1, 5, 0o644)
			}},
			check{"device over an existing node", func(*helperInput) error {
				var st unix.Stat_t
				if err := unix.Stat("/dev/random", &st); err != nil {
					return err
				}
				if st.Uid != 1000 {
					return fmt.Errorf("/dev/random owned by %d", st.Uid)
				}
				return nil
			}},
			check{"umask restored", func(*helperInput) error {
				if m := unix.Umask(0o027); m != 0o027 {
					return fmt.Errorf("umask %#o, want 027", m)
				}
				return nil
			}},
		),
	}
	scenarios["owndev"] = scenario{
		checks: []check{
			pick(devChecks, "nodes"),
			pick(devChecks, "ptmx opens a pty of its own instance"),
			{"dev is the spec's mount", func(*helperInput) error {
				e, err := findMount("/dev")
				if err != nil {
					return err
				}
				return e.has("size=128k")
			}},
			{"mount under dev on top", func(*helperInput) error {
				e, err := findMount("/dev/mqueue")
				if err != nil {
					return err
				}
				if e.fstype != "mqueue" {
					return fmt.Errorf("/dev/mqueue is %s", e.fstype)
				}
				return nil
			}},
			{"mount under proc on top", func(*helperInput) error {
				return wantErrno("create /proc/sys/x", os.WriteFile("/proc/sys/x", nil, 0o644), syscall.EROFS)
			}},
		},
	}
	scenarios["userns"] = scenario{
		checks: append(devChecks,
			check{"in a user namespace", func(*helperInput) error {
				b, err := os.ReadFile("/proc/self/uid_map")
				if err != nil {
					return err
				}
				if bytes.Contains(b, []byte("4294967295")) {
					return fmt.Errorf("uid_map %q is the initial one", b)
				}
				return nil
			}},
			check{"no console without a terminal", func(*helperInput) error {
				if _, err := os.Lstat("/dev/console"); !errors.Is(err, os.ErrNotExist) {
					return fmt.Errorf("/dev/console: %v", err)
				}
				return nil
			}},
			check{"locked flags kept", func(*helperInput) error {
				if err := wantErrno("create /locked/x", os.WriteFile("/locked/x", nil, 0o644), syscall.EROFS); err != nil {
					return err
				}
				e, err := findMount("/locked")
				if err != nil {
					return err
				}
				return e.has("ro", "nosuid", "nodev", "noexec")
			}},
			check{"device bound from the host", func(in *helperInput) error {
				return wantNode(in.Args["hostNode"], unix.S_IFCHR, 1, 9, 0o640)
			}},
			check{"fifo made", func(*helperInput) error {
				return wantNode("/run/fifo", unix.S_IFIFO, 0, 0, 0o600)
			}},
			check{"read-only root", func(*helperInput) error {
				return wantErrno("create /new", os.WriteFile("/new", nil, 0o644), syscall.EROFS)
			}},
		),
	}
}

func TestMinimalDev(t *testing.T) {
	requireRoot(t)
	_, root := testRoot(t)
	tty := openPty(t)
	runScenario(t, helperInput{
		Scenario: "dev",
		Spec: Spec{Root: root, MountNS: true, MountProc: true, MinimalDev: true, Devices: []Device{
			{Path: "/dev/foo", Type: CharDevice, Major: 1, Minor: 3, Mode: 0o600, UID: 1000, GID: 1001},
			{Path: "/var/lib/blk", Type: BlockDevice, Major: 7, Minor: 0, Mode: 0o640},
			{Path: "/run/fifo", Type: FifoDevice, Mode: 0o620},
			{Path: "/inside-marker", Type: CharDevice, Major: 1, Minor: 5, Mode: 0o644},
			{Path: "/dev/random", Type: CharDevice, Major: 1, Minor: 8, Mode: 0o666, UID: 1000},
		}},
	}, syscall.CLONE_NEWNS|syscall.CLONE_NEWPID, tty)
}

// TestUserNamespace runs Setup where mknod is refused and the flags of the
// inherited mounts are locked, as for a rootless container.
func TestUserNamespace(t *testing.T) {
	requireRoot(t)
	dir, root := testRoot(t)
	locked := filepath.Join(dir, "locked")
	mustMkdir(t, locked)
	// A device path is the same on the host and in the container: make
	// the host's node where the host surely allows it.
	hostNode := filepath.Join(dir, "nodes", "urandom")
	mustMkdir(t, filepath.Dir(hostNode))
	if err := unix.Mknod(hostNode, unix.S_IFCHR|0o640, int(unix.Mkdev(1, 9))); err != nil {
		t.Fatal(err)
	}
	runScenario(t, helperInput{
		Scenario: "userns",
		Spec: Spec{
			Root: root, MountNS: true, UserNS: true, MountProc: true, MinimalDev: true, ReadOnly: true,
			Mounts: []Mount{{Source: locked, Destination: "/locked", Flags: Bind | ReadOnly}},
			Devices: []Device{
				{Path: hostNode, Type: CharDevice, Major: 1, Minor: 9},
				// Already there as a bind mount, which cannot be unlinked.
				{Path: "/dev/full", Type: CharDevice, Major: 1, Minor: 7},
				{Path: "/run/fifo", Type: FifoDevice, Mode: 0o600},
			},
		},
		Args:        map[string]string{"hostNode": hostNode},
		LockedTmpfs: locked,
	}, 0, nil)
}

// TestMinimalDevInOwnMount checks a /dev that Spec.Mounts provides: it is
// populated, and mounts under /dev and /proc stay on top.
func TestMinimalDevInOwnMount(t *testing.T) {
	requireRoot(t)
	_, root := testRoot(t)
	runScenario(t, helperInput{
		Scenario: "owndev",
		Spec: Spec{Root: root, MountNS: true, MountProc: true, MinimalDev: true, Mounts: []Mount{
			{Destination: "/dev", Type: "tmpfs", Data: "mode=755,size=128k"},
			{Destination: "/dev/mqueue", Type: "mqueue"},
			{Destination: "/proc/sys", Type: "tmpfs", Flags: ReadOnly},
		}},
	}, syscall.CLONE_NEWNS|syscall.CLONE_NEWPID, nil)
}

// openPty returns the terminal end of a new pty, for a child's stdin.
func openPty(t *testing.T) *os.File {
	t.Helper()
	ptmx, err := os.OpenFile("/dev/ptmx", os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ptmx.Close() })
	if err := unix.IoctlSetPointerInt(int(ptmx.Fd()), unix.TIOCSPTLCK, 0); err != nil {
		t.Fatal(err)
	}
	n, err := unix.IoctlGetInt(int(ptmx.Fd()), unix.TIOCGPTN)
	if err != nil {
		t.Fatal(err)
	}
	tty, err := os.OpenFile("/dev/pts/"+strconv.Itoa(n), os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tty.Close() })
	return tty
}
