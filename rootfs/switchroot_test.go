package rootfs

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"syscall"
	"testing"
)

func init() {
	escapeChecks := []check{
		{"dotdot is the root", func(*helperInput) error {
			root, err := os.Stat("/")
			if err != nil {
				return err
			}
			up, err := os.Stat("/..")
			if err != nil {
				return err
			}
			if !os.SameFile(root, up) {
				return errors.New(`"/.." is not "/"`)
			}
			return nil
		}},
		{"host marker unreachable", func(in *helperInput) error {
			for _, p := range []string{in.Args["hostMarker"], "/../host-marker", "/../../host-marker"} {
				if _, err := os.Stat(p); !errors.Is(err, os.ErrNotExist) {
					return fmt.Errorf("stat %s: %v, want it missing", p, err)
				}
			}
			return nil
		}},
		{"busybox runs", func(*helperInput) error {
			out, err := command("/bin/cat", "/inside-marker").Output()
			if err != nil || string(out) != "inside\n" {
				return fmt.Errorf("cat /inside-marker: %q, %v", out, err)
			}
			return nil
		}},
	}
	scenarios["nopivot"] = scenario{checks: append(slices.Clone(escapeChecks),
		check{"only the container's proc and sysfs left", func(*helperInput) error {
			es, err := mounts()
			if err != nil {
				return err
			}
			var got []string
			for _, e := range es {
				if e.fstype == "proc" || e.fstype == "sysfs" {
					got = append(got, e.point)
				}
			}
			if !slices.Equal(got, []string{"/proc"}) {
				return fmt.Errorf("proc and sysfs mounts %q, want the container's /proc only", got)
			}
			return nil
		}},
	)}
	scenarios["pivot"] = scenario{checks: append(slices.Clone(escapeChecks),
		check{"proc 1 root stays inside", func(*helperInput) error {
			if os.Getpid() != 1 {
				return fmt.Errorf("pid %d, want 1", os.Getpid())
			}
			if l, err := os.Readlink("/proc/1/root"); err != nil || l != "/" {
				return fmt.Errorf("/proc/1/root -> %q, %v", l, err)
			}
			_, err := os.Stat("/proc/1/root/inside-marker")
			return err
		}},
		check{"old root detached", func(*helperInput) error {
			es, err := mounts()
			if err != nil {
				return err
			}
			var points []string
			for _, e := range es {
				points = append(points, e.point)
			}
			if !slices.Equal(points, []string{"/", "/proc"}) {
				return fmt.Errorf("mounts %v, want only / and /proc", points)
			}
			return nil
		}},
		check{"proc flags", func(*helperInput) error {
			e, err := findMount("/proc")
			if err != nil {
				return err
			}
			return e.has("nosuid", "nodev", "noexec")
		}},
	)}
	scenarios["chroot"] = scenario{checks: escapeChecks}
	scenarios["private"] = scenario{checks: []check{
		{"private area is the root", func(*helperInput) error {
			if _, err := os.Stat("/private-marker"); err != nil {
				return err
			}
			if _, err := os.Stat("/root-only"); !errors.Is(err, os.ErrNotExist) {
				return fmt.Errorf("stat /root-only: %v, want it hidden", err)
			}
			return nil
		}},
		{"busybox runs", func(*helperInput) error {
			_, err := command("/bin/ls", "/").Output()
			return err
		}},
	}}
	scenarios["readonly"] = scenario{checks: []check{
		{"root refuses writes", func(*helperInput) error {
			return wantErrno("create /new", os.WriteFile("/new", nil, 0o644), syscall.EROFS)
		}},
		{"root mount is ro", func(*helperInput) error {
			e, err := findMount("/")
			if err != nil {
				return err
			}
			return e.has("ro")
		}},
		{"dev/shm still writable", func(*helperInput) error {
			return os.WriteFile("/dev/shm/x", nil, 0o644)
		}},
	}}
	scenarios["noroot"] = scenario{checks: []check{
		{"fresh proc on host path", func(*helperInput) error {
			b, err := os.ReadFile("/proc/1/comm")
			if err != nil {
				return err
			}
			if os.Getpid() != 1 {
				return fmt.Errorf("pid %d, want 1 (comm %q)", os.Getpid(), b)
			}
			return nil
		}},
		{"mount on a host path", func(in *helperInput) error {
			e, err := findMount(in.Args["tmpfs"])
			if err != nil {
				return err
			}
			if e.fstype != "tmpfs" {
				return fmt.Errorf("%s is %s", e.point, e.fstype)
			}
			return nil
		}},
	}}
}

// command is exec.Command for a root without /dev/null, which os/exec
// opens for a nil Stdin, Stdout or Stderr: use Output.
func command(name string, args ...string) *exec.Cmd {
	cmd := exec.Command(name, args...)
	cmd.Stdin, cmd.Stderr = os.Stdin, os.Stderr
	return cmd
}

func TestPivotRoot(t *testing.T) {
	requireRoot(t)
	dir, root := testRoot(t)
	runScenario(t, helperInput{
		Scenario: "pivot",
		Spec:     Spec{Root: root, MountNS: true, MountProc: true},
		Args:     map[string]string{"hostMarker": filepath.Join(dir, "host-marker")},
	}, syscall.CLONE_NEWNS|syscall.CLONE_NEWPID, nil)
}

// TestNoPivot: the root moved onto "/" and entered by chroot hides the
// host as pivot_root does, and leaves no proc or sysfs of the host's in
// the mount namespace.
func TestNoPivot(t *testing.T) {
	requireRoot(t)
	dir, root := testRoot(t)
	runScenario(t, helperInput{
		Scenario: "nopivot",
		Spec:     Spec{Root: root, MountNS: true, MountProc: true, NoPivot: true},
		Args:     map[string]string{"hostMarker": filepath.Join(dir, "host-marker")},
	}, syscall.CLONE_NEWNS|syscall.CLONE_NEWPID, nil)
}

func TestChroot(t *testing.T) {
	requireRoot(t)
	dir, root := testRoot(t)
	// No new namespace at all: without MountNS, Setup must not mount.
	runScenario(t, helperInput{
		Scenario: "chroot",
		Spec:     Spec{Root: root},
		Args:     map[string]string{"hostMarker": filepath.Join(dir, "host-marker")},
	}, 0, nil)
}

func TestPrivateArea(t *testing.T) {
	requireRoot(t)
	dir, private := testRoot(t)
	writeFile(t, filepath.Join(private, "private-marker"), "")
	root := filepath.Join(dir, "empty-root")
	writeFile(t, filepath.Join(root, "root-only"), "")
	runScenario(t, helperInput{
		Scenario: "private",
		Spec:     Spec{Root: root, Private: private, MountNS: true},
	}, syscall.CLONE_NEWNS|syscall.CLONE_NEWPID, nil)
	// The bind lived in the child's namespace only.
	if _, err := os.Stat(filepath.Join(root, "private-marker")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the private area is still bound on the host: %v", err)
	}
}

func TestReadOnlyRoot(t *testing.T) {
	requireRoot(t)
	_, root := testRoot(t)
	runScenario(t, helperInput{
		Scenario: "readonly",
		Spec:     Spec{Root: root, MountNS: true, MountProc: true, MinimalDev: true, ReadOnly: true},
	}, syscall.CLONE_NEWNS|syscall.CLONE_NEWPID, nil)
}

func TestNoRoot(t *testing.T) {
	requireRoot(t)
	dir := t.TempDir()
	// Without a root, destinations are host paths in the new namespace.
	tmpfs := filepath.Join(dir, "t")
	runScenario(t, helperInput{
		Scenario: "noroot",
		Spec: Spec{MountNS: true, MountProc: true, Mounts: []Mount{
			{Destination: tmpfs, Type: "tmpfs"},
		}},
		Args: map[string]string{"tmpfs": tmpfs},
	}, syscall.CLONE_NEWNS|syscall.CLONE_NEWPID, nil)
}
