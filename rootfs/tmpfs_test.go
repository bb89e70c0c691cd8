package rootfs

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
)

func init() {
	scenarios["tmpfs"] = scenario{
		checks: []check{
			{"mode of the directory inherited", func(*helperInput) error {
				return wantMode("/inherit", os.ModeDir|0o710)
			}},
			{"no directory: the tmpfs default", func(*helperInput) error {
				if err := wantMode("/new/deep", os.ModeDir|os.ModeSticky|0o777); err != nil {
					return err
				}
				e, err := findMount("/new/deep")
				if err != nil {
					return err
				}
				if slices.ContainsFunc(e.opts, func(o string) bool { return strings.HasPrefix(o, "mode=") }) {
					return fmt.Errorf("/new/deep: options %q name a mode", e.opts)
				}
				return nil
			}},
			{"explicit mode wins", func(*helperInput) error {
				return wantMode("/explicit", os.ModeDir|os.ModeSticky|0o500)
			}},
			{"copied up", func(*helperInput) error {
				if _, err := findMount("/copy"); err != nil {
					return err
				}
				if err := wantMode("/copy/dir2", os.ModeDir|0o777); err != nil {
					return err
				}
				if err := wantMode("/copy/f", 0o640); err != nil {
					return err
				}
				if b, err := os.ReadFile("/copy/f"); err != nil || string(b) != "data\n" {
					return fmt.Errorf("read /copy/f: %q, %v", b, err)
				}
				if l, err := os.Readlink("/copy/l"); err != nil || l != "f" {
					return fmt.Errorf("readlink /copy/l: %q, %v", l, err)
				}
				return nil
			}},
			{"read-only tmpfs made read-only after its submounts", func(*helperInput) error {
				if _, err := findMount("/rotmp/sub"); err != nil {
					return err
				}
				return wantErrno("create /rotmp/new", os.WriteFile("/rotmp/new", nil, 0o644), syscall.EROFS)
			}},
		},
	}
}

func wantMode(p string, want os.FileMode) error {
	fi, err := os.Lstat(p)
	if err != nil {
		return err
	}
	if fi.Mode() != want {
		return fmt.Errorf("%s: mode %v, want %v", p, fi.Mode(), want)
	}
	return nil
}

// TestTmpfs checks what a tmpfs gets from the directory it is mounted on:
// its mode when no mode= is given, its content with CopyUp, and that a
// read-only one is read-only only once what goes into it is made.
func TestTmpfs(t *testing.T) {
	requireRoot(t)
	_, root := testRoot(t)
	for _, d := range []struct {
		path string
		mode os.FileMode
	}{{"inherit", 0o710}, {"explicit", 0o710}, {"copy/dir2", 0o777}} {
		mustMkdir(t, filepath.Join(root, d.path))
		if err := os.Chmod(filepath.Join(root, d.path), d.mode); err != nil {
			t.Fatal(err)
		}
	}
	writeFile(t, filepath.Join(root, "copy", "f"), "data\n")
	if err := os.Chmod(filepath.Join(root, "copy", "f"), 0o640); err != nil {
		t.Fatal(err)
	}
	mustSymlink(t, "f", filepath.Join(root, "copy", "l"))
	runScenario(t, helperInput{
		Scenario: "tmpfs",
		Spec: Spec{Root: root, MountNS: true, MountProc: true, Mounts: []Mount{
			{Destination: "/inherit", Type: "tmpfs"},
			{Destination: "/new/deep", Type: "tmpfs"},
			{Destination: "/explicit", Type: "tmpfs", Data: "mode=1500"},
			{Destination: "/copy", Type: "tmpfs", Flags: CopyUp | ReadOnly},
			{Destination: "/rotmp", Type: "tmpfs", Flags: ReadOnly},
			{Destination: "/rotmp/sub", Type: "tmpfs"},
		}},
	}, syscall.CLONE_NEWNS|syscall.CLONE_NEWPID, nil)
	if fi, err := os.Stat(filepath.Join(root, "new", "deep")); err != nil || fi.Mode().Perm() != 0o755 {
		t.Errorf("the mount point made for /new/deep: %v, %v; want 0755", fi.Mode(), err)
	}
	if _, err := os.Stat(filepath.Join(root, "rotmp", "sub")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("/rotmp/sub was made on the root, not in the tmpfs: %v", err)
	}
}

func init() {
	scenarios["rodev"] = scenario{
		checks: []check{
			{"nodes made before the read-only remount", func(*helperInput) error {
				if _, err := os.Stat("/dev/null"); err != nil {
					return err
				}
				return wantErrno("create /dev/new", os.WriteFile("/dev/new", nil, 0o644), syscall.EROFS)
			}},
			{"console left for the terminal", func(*helperInput) error {
				return wantMode("/dev/console", 0o600)
			}},
		},
	}
}

// TestReadOnlyDev: a read-only /dev of the config gets the minimal /dev
// and the empty /dev/console a later terminal is bound on, then turns
// read-only.
func TestReadOnlyDev(t *testing.T) {
	requireRoot(t)
	_, root := testRoot(t)
	runScenario(t, helperInput{
		Scenario: "rodev",
		Spec: Spec{Root: root, MountNS: true, MountProc: true, MinimalDev: true, Console: true, Mounts: []Mount{
			{Destination: "/dev", Type: "tmpfs", Data: "mode=755", Flags: ReadOnly | NoSuid},
			{Destination: "/dev/mqueue", Type: "mqueue"},
		}},
	}, syscall.CLONE_NEWNS|syscall.CLONE_NEWPID, nil)
}
