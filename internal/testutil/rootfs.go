package testutil

import (
	"bytes"
	"debug/elf"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// BusyboxPath is the host busybox that root filesystems are built from. It
// must be the static build of Debian's busybox-static package.
const BusyboxPath = "/bin/busybox"

// Identities and names found in a busybox root filesystem.
const (
	RootfsHostname = "libct-rootfs" // content of etc/hostname
	AliceUID       = 1000           // user "alice", home /home/alice
	AliceGID       = 1000           // group "alice", primary group of alice
	StaffGID       = 50             // group "staff", alice is a member
	NobodyUID      = 65534          // user "nobody"
	NogroupGID     = 65534          // group "nogroup"
)

const installHint = "apt-get install busybox-static (or make deps)"

type rootfsDir struct {
	path string
	mode os.FileMode
}

// rootfsDirs are created in every root filesystem, parents first.
func rootfsDirs() []rootfsDir {
	return []rootfsDir{
		{"bin", 0o755},
		{"sbin", 0o755},
		{"etc", 0o755},
		{"proc", 0o555},
		{"sys", 0o555},
		{"dev", 0o755},
		{"tmp", 0o777 | os.ModeSticky},
		{"root", 0o700},
		{"home", 0o755},
		{"home/alice", 0o755},
		{"usr", 0o755},
		{"usr/bin", 0o755},
		{"var", 0o755},
		{"run", 0o755},
	}
}

type rootfsFile struct {
	path, content string
}

// rootfsFiles are written in every root filesystem.
func rootfsFiles() []rootfsFile {
	return []rootfsFile{
		{"etc/passwd", "" +
			"root:x:0:0:root:/root:/bin/sh\n" +
			"daemon:x:1:1:daemon:/:/bin/false\n" +
			"alice:x:1000:1000:alice:/home/alice:/bin/sh\n" +
			"nobody:x:65534:65534:nobody:/nonexistent:/bin/false\n"},
		{"etc/group", "" +
			"root:x:0:\n" +
			"daemon:x:1:\n" +
			"staff:x:50:alice\n" +
			"alice:x:1000:\n" +
			"nogroup:x:65534:\n"},
		{"etc/hostname", RootfsHostname + "\n"},
		{"etc/hosts", "127.0.0.1\tlocalhost\n::1\tlocalhost\n"},
	}
}

// BusyboxRootfs builds a minimal root filesystem (see BuildBusyboxRootfs) in
// a fresh t.TempDir and returns its path. It fails t when busybox-static is
// missing. The directory and the test's temporary parent directory are made
// world-traversable, so that a container whose root is mapped to another
// host uid can still reach it.
func BusyboxRootfs(t testing.TB) string {
	t.Helper()
	dir := t.TempDir()
	if err := BuildBusyboxRootfs(dir); err != nil {
		t.Fatalf("busybox rootfs: %v", err)
	}
	// t.TempDir's per-test parent is created 0700.
	if err := os.Chmod(filepath.Dir(dir), 0o755); err != nil {
		t.Fatalf("busybox rootfs: %v", err)
	}
	return dir
}

// BuildBusyboxRootfs builds a minimal root filesystem in dir, which must be
// empty or not exist. It holds the usual top-level directories (tmp is
// 1777, root is 0700), a private copy of BusyboxPath as bin/busybox, a
// relative symlink bin/APPLET -> busybox for every applet that
// "busybox --list" names, and etc/passwd, etc/group, etc/hostname and
// etc/hosts with root, daemon, nobody and alice (uid and gid 1000, also in
// group staff, gid 50). When run as root, home/alice is owned by alice.
func BuildBusyboxRootfs(dir string) error {
	if err := checkBusybox(BusyboxPath); err != nil {
		return err
	}
	applets, err := busyboxApplets()
	if err != nil {
		return err
	}
	if err := prepareEmptyDir(dir); err != nil {
		return err
	}
	for _, d := range rootfsDirs() {
		p := filepath.Join(dir, d.path)
		if err := os.Mkdir(p, d.mode); err != nil {
			return err
		}
		// The umask may have cleared bits; Chmod also sets the sticky bit.
		if err := os.Chmod(p, d.mode); err != nil {
			return err
		}
	}
	if os.Geteuid() == 0 {
		if err := os.Lchown(filepath.Join(dir, "home/alice"), AliceUID, AliceGID); err != nil {
			return err
		}
	}
	for _, f := range rootfsFiles() {
		if err := writeFile(filepath.Join(dir, f.path), f.content, 0o644); err != nil {
			return err
		}
	}
	if err := copyFile(BusyboxPath, filepath.Join(dir, "bin/busybox"), 0o755); err != nil {
		return err
	}
	// Each symlink costs an inode: on ext4 without a journal, allocating
	// one right after many deletions (tests removing their temporary
	// directories) costs up to about a millisecond, so make no more than
	// the one per applet in bin/.
	for _, a := range applets {
		if err := os.Symlink("busybox", filepath.Join(dir, "bin", a)); err != nil {
			return err
		}
	}
	return nil
}

// checkBusybox makes sure the busybox at path exists and is statically
// linked: the dynamic build of Debian's "busybox" package cannot run in a
// root filesystem without a dynamic loader.
func checkBusybox(path string) error {
	f, err := elf.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("%s is missing: %s", path, installHint)
	}
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			return fmt.Errorf("%s is dynamically linked: %s", path, installHint)
		}
	}
	return nil
}

// busyboxApplets asks busybox for the names of its applets.
func busyboxApplets() ([]string, error) {
	var stderr bytes.Buffer
	cmd := exec.Command(BusyboxPath, "--list")
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("%s --list: %v: %s", BusyboxPath, err, bytes.TrimSpace(stderr.Bytes()))
	}
	var applets []string
	hasSh := false
	for _, name := range strings.Fields(string(out)) {
		if name == "." || name == ".." || name == "busybox" || strings.Contains(name, "/") {
			continue
		}
		hasSh = hasSh || name == "sh"
		applets = append(applets, name)
	}
	if !hasSh {
		return nil, fmt.Errorf("%s has no sh applet; is it Debian's busybox-static? %s", BusyboxPath, installHint)
	}
	return applets, nil
}

// prepareEmptyDir creates dir (0755) or checks that it is empty, and makes
// it 0755 so that non-root users of the root filesystem can traverse it.
func prepareEmptyDir(dir string) error {
	if err := os.Mkdir(dir, 0o755); err != nil && !errors.Is(err, os.ErrExist) {
		return err
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	names, err := d.Readdirnames(1)
	d.Close()
	if err != nil && err != io.EOF {
		return err
	}
	if len(names) > 0 {
		return fmt.Errorf("%s is not empty", dir)
	}
	return os.Chmod(dir, 0o755)
}

func writeFile(path, content string, mode os.FileMode) error {
	if err := os.WriteFile(path, []byte(content), mode); err != nil {
		return err
	}
	return os.Chmod(path, mode)
}

// copyFile makes dst a new file with src's content: a copy, never a link, so
// that nothing done to dst can reach src.
func copyFile(src, dst string, mode os.FileMode) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return fmt.Errorf("copy %s to %s: %w", src, dst, err)
	}
	if err := out.Chmod(mode); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
