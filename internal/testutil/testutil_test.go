package testutil

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/libct/libct/internal/nsenter"
)

// fakeTB records what RequireRoot asks of a test. Its embedded TB is nil:
// calling any other method panics, which fails the real test.
type fakeTB struct {
	testing.TB
	fatal, skip string
}

func (f *fakeTB) Helper()                        {}
func (f *fakeTB) Fatalf(format string, a ...any) { f.fatal = format }
func (f *fakeTB) Skipf(format string, a ...any)  { f.skip = format }
func (f *fakeTB) Skip(a ...any)                  { f.skip = fmt.Sprint(a...) }

func TestRequireRoot(t *testing.T) {
	for _, tc := range []struct {
		name        string
		euid        int
		ci          string
		fatal, skip bool
	}{
		{"root", 0, "", false, false},
		{"root in CI", 0, "true", false, false},
		{"user", 1000, "", false, true},
		{"user with CI=false", 1000, "false", false, true},
		{"user in CI", 1000, "true", true, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := &fakeTB{}
			requireRoot(f, tc.euid, tc.ci)
			if got := f.fatal != ""; got != tc.fatal {
				t.Errorf("fatal = %v (%q), want %v", got, f.fatal, tc.fatal)
			}
			if got := f.skip != ""; got != tc.skip {
				t.Errorf("skip = %v (%q), want %v", got, f.skip, tc.skip)
			}
		})
	}
}

func TestBusyboxRootfsLayout(t *testing.T) {
	dir := BusyboxRootfs(t)

	modes := map[string]os.FileMode{
		".":           os.ModeDir | 0o755,
		"tmp":         os.ModeDir | os.ModeSticky | 0o777,
		"root":        os.ModeDir | 0o700,
		"bin":         os.ModeDir | 0o755,
		"etc/passwd":  0o644,
		"bin/busybox": 0o755,
	}
	for _, d := range []string{"sbin", "etc", "proc", "sys", "dev", "home", "usr/bin", "var", "run"} {
		modes[d] = 0 // only needs to be a directory
	}
	for path, want := range modes {
		fi, err := os.Lstat(filepath.Join(dir, path))
		if err != nil {
			t.Errorf("%s: %v", path, err)
			continue
		}
		if want == 0 {
			if !fi.IsDir() {
				t.Errorf("%s is %v, want a directory", path, fi.Mode())
			}
		} else if fi.Mode() != want {
			t.Errorf("%s has mode %v, want %v", path, fi.Mode(), want)
		}
	}

	// bin/busybox is a copy: another inode than the host binary.
	host, err := os.Stat(BusyboxPath)
	if err != nil {
		t.Fatal(err)
	}
	copied, err := os.Lstat(filepath.Join(dir, "bin/busybox"))
	if err != nil {
		t.Fatal(err)
	}
	if os.SameFile(host, copied) || !copied.Mode().IsRegular() || copied.Size() != host.Size() {
		t.Errorf("bin/busybox is not a private copy of %s: %v, %d bytes", BusyboxPath, copied.Mode(), copied.Size())
	}

	// Every applet has a relative symlink in bin/.
	out, err := exec.Command(BusyboxPath, "--list").Output()
	if err != nil {
		t.Fatal(err)
	}
	applets := strings.Fields(string(out))
	for _, a := range []string{"sh", "ls", "cat", "echo", "id", "ps", "mount", "hostname", "sleep", "true", "false", "test", "grep"} {
		if !slices.Contains(applets, a) {
			t.Errorf("host busybox has no %s applet", a)
		}
	}
	for _, a := range applets {
		if a == "busybox" {
			continue
		}
		target, err := os.Readlink(filepath.Join(dir, "bin", a))
		if err != nil {
			t.Errorf("bin/%s: %v", a, err)
		} else if target != "busybox" {
			t.Errorf("bin/%s -> %s, want busybox", a, target)
		}
	}
}

// chrootRun runs /bin/sh -c script chrooted into dir with the given ids.
func chrootRun(t *testing.T, dir string, cred *syscall.Credential, script string) string {
	t.Helper()
	cmd := exec.Command("/bin/sh", "-c", script)
	cmd.Dir = "/"
	cmd.Env = []string{"PATH=/bin:/sbin:/usr/bin:/usr/sbin", "HOME=/"}
	cmd.SysProcAttr = &syscall.SysProcAttr{Chroot: dir, Credential: cred}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("chroot %s: sh -c %q: %v\n%s", dir, script, err, out)
	}
	return string(out)
}

func TestBusyboxRootfsRunsAsRoot(t *testing.T) {
	RequireRoot(t)
	dir := BusyboxRootfs(t)
	got := chrootRun(t, dir, nil, "id -un; cat /etc/hostname")
	if want := "root\n" + RootfsHostname + "\n"; got != want {
		t.Errorf("output %q, want %q", got, want)
	}
}

func TestBusyboxRootfsRunsAsAlice(t *testing.T) {
	RequireRoot(t)
	dir := BusyboxRootfs(t)
	cred := &syscall.Credential{Uid: AliceUID, Gid: AliceGID, Groups: []uint32{StaffGID}}
	got := chrootRun(t, dir, cred, "id -un; id -gn; id -Gn; ls / | grep -qx bin && echo ok; touch /tmp/x && echo tmp; stat -c %U:%G /home/alice")
	want := "alice\nalice\nalice staff\nok\ntmp\nalice:alice\n"
	if got != want {
		t.Errorf("output %q, want %q", got, want)
	}
	// Group membership comes from etc/group, not only from the credential.
	if got := chrootRun(t, dir, nil, "id -Gn alice; id -u nobody; grep -c . /etc/group"); got != "alice staff\n"+strconv.Itoa(NobodyUID)+"\n5\n" {
		t.Errorf("user database: %q", got)
	}
}

func TestCheckBusybox(t *testing.T) {
	if err := checkBusybox(BusyboxPath); err != nil {
		t.Fatalf("host busybox: %v", err)
	}
	dynamic, err := exec.LookPath("true") // Debian's coreutils are dynamic
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{filepath.Join(t.TempDir(), "busybox"), dynamic} {
		err := checkBusybox(path)
		if err == nil || !strings.Contains(err.Error(), "apt-get install busybox-static") {
			t.Errorf("checkBusybox(%s) = %v, want an error telling to install busybox-static", path, err)
		}
	}
}

func TestBuildBusyboxRootfsRefusesNonEmptyDir(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "x"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := BuildBusyboxRootfs(dir); err == nil {
		t.Fatal("BuildBusyboxRootfs into a non-empty directory succeeded")
	}
}

func TestBuildBusyboxRootfsCreatesDir(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "a", "rootfs")
	if err := os.Mkdir(filepath.Dir(dir), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := BuildBusyboxRootfs(dir); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "bin/sh")); err != nil {
		t.Fatal(err)
	}
}

func TestMountCount(t *testing.T) {
	RequireRoot(t)
	before := MountCount(t)
	if before < 1 {
		t.Fatalf("MountCount = %d", before)
	}
	dir := t.TempDir()
	if err := syscall.Mount("testutil", dir, "tmpfs", 0, "size=64k"); err != nil {
		t.Fatal(err)
	}
	mounted := MountCount(t)
	if err := syscall.Unmount(dir, syscall.MNT_DETACH); err != nil {
		t.Fatal(err)
	}
	if mounted != before+1 {
		t.Errorf("MountCount after a mount = %d, want %d", mounted, before+1)
	}
	if after := MountCount(t); after != before {
		t.Errorf("MountCount after unmount = %d, want %d", after, before)
	}
}

func TestOpenFDs(t *testing.T) {
	before := OpenFDs(t)
	if before < 3 {
		t.Fatalf("OpenFDs = %d, want at least stdin, stdout, stderr", before)
	}
	f, err := os.Open(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	opened := OpenFDs(t)
	f.Close()
	if opened != before+1 {
		t.Errorf("OpenFDs with one more file = %d, want %d", opened, before+1)
	}
	if after := OpenFDs(t); after != before {
		t.Errorf("OpenFDs after close = %d, want %d", after, before)
	}
}

func TestChildPIDs(t *testing.T) {
	cmd := exec.Command(BusyboxPath, "sleep", "60")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pid := cmd.Process.Pid
	running := ChildPIDs(t)
	cmd.Process.Kill()
	cmd.Wait()
	if !slices.Contains(running, pid) {
		t.Errorf("ChildPIDs = %v, does not list child %d", running, pid)
	}
	if after := ChildPIDs(t); slices.Contains(after, pid) {
		t.Errorf("ChildPIDs = %v after the child was reaped", after)
	}
	if slices.Contains(running, os.Getpid()) {
		t.Errorf("ChildPIDs lists the process itself")
	}
}

func BenchmarkBusyboxRootfs(b *testing.B) {
	for b.Loop() {
		BusyboxRootfs(b)
	}
}

func TestRequireEnterStage(t *testing.T) {
	f := &fakeTB{}
	requireEnterStage(f, true)
	if f.skip != "" || f.fatal != "" {
		t.Errorf("with the stage: skip %q, fatal %q; want neither", f.skip, f.fatal)
	}
	f = &fakeTB{}
	requireEnterStage(f, false)
	if f.skip != nsenter.ErrMissing.Error() || f.fatal != "" {
		t.Errorf("without the stage: skip %q, fatal %q; want skip %q", f.skip, f.fatal, nsenter.ErrMissing.Error())
	}
	for _, words := range []string{"enter stage", "user, mount or time namespace", "cgo", "CGO_ENABLED=1"} {
		if !strings.Contains(nsenter.ErrMissing.Error(), words) {
			t.Errorf("skip reason %q does not name %q", nsenter.ErrMissing.Error(), words)
		}
	}
}
