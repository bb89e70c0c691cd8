package libct_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/libct/libct"
)

func TestBindMounts(t *testing.T) {
	s := newSession(t)
	shared := t.TempDir()
	os.WriteFile(filepath.Join(shared, "data"), []byte("hello\n"), 0o644)
	file := filepath.Join(t.TempDir(), "single")
	os.WriteFile(file, []byte("one file\n"), 0o644)
	cfg := busybox(t)
	cfg.Mounts = []libct.Mount{
		{Source: shared, Destination: "/ro", Flags: libct.MountBind | libct.MountReadOnly},
		{Source: shared, Destination: "/rw/deep/dir", Flags: libct.MountBind | libct.MountNoExec | libct.MountNoSuid | libct.MountNoDev},
		{Source: file, Destination: "/etc/single", Flags: libct.MountBind | libct.MountReadOnly},
	}
	out := mustRun(t, s, cfg, sh(`
		cat /ro/data
		touch /ro/new 2>&1
		touch /rw/deep/dir/new && echo rw-ok
		cat /etc/single
		grep -E ' /(ro|rw/deep/dir) ' /proc/self/mountinfo | awk '{print $5, $6}'`))
	for _, want := range []string{
		"hello\n",
		"Read-only file system",
		"rw-ok",
		"one file",
		"/ro ro,",
		"/rw/deep/dir rw,nosuid,nodev,noexec",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %q in:\n%s", want, out)
		}
	}
	if _, err := os.Stat(filepath.Join(shared, "new")); err != nil {
		t.Errorf("write through the read-write bind did not reach the host: %v", err)
	}
}

func TestFilesystemMounts(t *testing.T) {
	s := newSession(t)
	cfg := busybox(t)
	cfg.Mounts = []libct.Mount{
		{Source: "tmpfs", Destination: "/tmp", Type: "tmpfs", Data: "size=1m,mode=710", Flags: libct.MountNoSuid | libct.MountStrictAtime},
		{Source: "sysfs", Destination: "/sys", Type: "sysfs", Flags: libct.MountReadOnly},
		{Source: "mqueue", Destination: "/dev/mqueue", Type: "mqueue"},
	}
	out := mustRun(t, s, cfg, sh(`
		grep ' /tmp ' /proc/self/mountinfo
		stat -c %a /tmp
		grep -E ' /(sys|dev/mqueue) ' /proc/self/mountinfo | awk '{print $5, $6, $9}'`))
	for _, want := range []string{"size=1024k", "mode=710", "nosuid", "710\n", "/sys ro", "sysfs", "/dev/mqueue", "mqueue"} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %q in:\n%s", want, out)
		}
	}
	if strings.Contains(strings.SplitN(out, "\n", 2)[0], "relatime") {
		t.Errorf("strictatime not applied: %s", out)
	}
}

// TestMountActions runs a command on the host before and after a mount:
// the log shows their order, and the post action already sees the mount
// in the init's mount namespace.
func TestMountActions(t *testing.T) {
	s := newSession(t)
	log := filepath.Join(t.TempDir(), "log")
	cfg := busybox(t)
	cfg.Mounts = []libct.Mount{{
		Source: "tmpfs", Destination: "/work", Type: "tmpfs",
		PreAction:  []string{"/bin/sh", "-c", `echo "pre $LIBCT_MOUNT_DESTINATION" >> ` + log},
		PostAction: []string{"/bin/sh", "-c", `grep -q "/work " /proc/$LIBCT_PID/mountinfo && echo "post mounted" >> ` + log},
	}}
	mustRun(t, s, cfg, sh("true"))
	data, err := os.ReadFile(log)
	if err != nil || string(data) != "pre /work\npost mounted\n" {
		t.Errorf("action log = %q, %v; want pre then post with the mount in place", data, err)
	}

	cfg.Mounts[0].PreAction = []string{"/bin/sh", "-c", "echo refused >&2; exit 3"}
	c, err := s.Create(uniqueName(t), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Destroy()
	_, _, err = spawnAndWait(c, sh("true"))
	var se *libct.StartError
	if !errors.As(err, &se) || !strings.Contains(err.Error(), "mounts[0].preAction") || !strings.Contains(err.Error(), "refused") {
		t.Errorf("failing pre action: %v; want a StartError naming mounts[0].preAction with its output", err)
	}
	expectState(t, c, libct.Stopped)
}

func TestDelMount(t *testing.T) {
	s := newSession(t)
	cfg := busybox(t)
	cfg.Mounts = []libct.Mount{
		{Source: "tmpfs", Destination: "/a", Type: "tmpfs"},
		{Source: "tmpfs", Destination: "/b", Type: "tmpfs"},
	}
	c, err := s.Create(uniqueName(t), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Destroy()
	if err := c.DelMount("/a"); err != nil {
		t.Fatal(err)
	}
	if err := c.DelMount("/nowhere"); !errors.Is(err, libct.ErrInvalidConfig) {
		t.Errorf("DelMount of an unknown destination: %v", err)
	}
	if err := c.AddMount(libct.Mount{Source: "tmpfs", Destination: "/c", Type: "tmpfs"}); err != nil {
		t.Fatal(err)
	}
	out, _, err := spawnAndWait(c, sh(`awk '$9 == "tmpfs" {print $5}' /proc/self/mountinfo | grep -E '^/(a|b|c)$' | tr '\n' ' '`))
	if err != nil || out != "/b /c " {
		t.Errorf("tmpfs mounts inside = %q, %v; want /b and /c", out, err)
	}
}

// TestMountDestinationSymlinkInRoot: a symlink in a destination is
// followed inside the root, as chroot would, whether it is absolute or
// climbs out: the mount lands in the root and nothing on the host.
func TestMountDestinationSymlinkInRoot(t *testing.T) {
	s := newSession(t)
	outside := t.TempDir()
	for _, tc := range []struct{ name, target string }{
		{"absolute", outside},
		{"relative climbing out", "../../../../../../../../../../.." + outside},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := busybox(t)
			if err := os.Symlink(tc.target, filepath.Join(cfg.Root, "escape")); err != nil {
				t.Fatal(err)
			}
			cfg.Mounts = []libct.Mount{{Source: "tmpfs", Destination: "/escape/x", Type: "tmpfs"}}
			c, err := s.Create(uniqueName(t), cfg)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Destroy()
			out, _, err := spawnAndWait(c, sh("cut -d' ' -f5,9 /proc/self/mountinfo"))
			if err != nil {
				t.Fatalf("Spawn: %v\n%s", err, out)
			}
			if want := outside + "/x tmpfs"; !strings.Contains(out, want) {
				t.Errorf("mounts %q, want %q", out, want)
			}
			if _, err := os.Stat(filepath.Join(outside, "x")); err == nil {
				t.Errorf("the mount point was created on the host")
			}
		})
	}
}

// TestTmpfsKeepsTargetMode: a tmpfs given no mode= takes the mode of the
// directory it is mounted on, special bits included, when the directory
// was there; a mode= option wins, and a directory made for the mount
// gets tmpfs's default. For both inits.
func TestTmpfsKeepsTargetMode(t *testing.T) {
	s := newSession(t)
	for _, tc := range []struct {
		name string
		mode os.FileMode // of the existing directory, 0 for none
		data string
		want string
	}{
		{"every bit of the directory", 0o777 | os.ModeSetuid | os.ModeSetgid | os.ModeSticky, "", "7777"},
		{"plain permissions", 0o710, "size=1m", "710"},
		{"mode given", 0o710, "mode=0410", "410"},
		{"directory made for it", 0, "", "1777"},
	} {
		for _, goInit := range []bool{false, true} {
			name := tc.name + "/C init"
			if goInit {
				name = tc.name + "/Go init"
			}
			t.Run(name, func(t *testing.T) {
				if goInit {
					t.Setenv("LIBCT_INIT", "go")
				} else {
					t.Setenv("LIBCT_INIT", "")
				}
				base := t.TempDir()
				if tc.mode != 0 {
					dir := filepath.Join(base, "sub")
					if err := os.Mkdir(dir, 0o700); err != nil {
						t.Fatal(err)
					}
					if err := os.Chmod(dir, tc.mode); err != nil {
						t.Fatal(err)
					}
				}
				cfg := busybox(t)
				cfg.Mounts = []libct.Mount{
					{Source: base, Destination: "/base", Flags: libct.MountBind},
					{Source: "tmpfs", Destination: "/base/sub", Type: "tmpfs", Data: tc.data},
				}
				out := mustRun(t, s, cfg, sh(`stat -c %a /base/sub`))
				if strings.TrimSpace(out) != tc.want {
					t.Errorf("tmpfs mode %q, want %s", strings.TrimSpace(out), tc.want)
				}
			})
		}
	}
}
