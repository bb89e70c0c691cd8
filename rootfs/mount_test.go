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

	"golang.org/x/sys/unix"
)

func init() {
	scenarios["mounts"] = scenario{
		// A submount in the source of the recursive bind, made in the
		// child's own namespace so that the host never has it.
		prepare: func(in *helperInput) error {
			if err := unix.Mount("", "/", "", unix.MS_REC|unix.MS_PRIVATE, ""); err != nil {
				return err
			}
			return unix.Mount("tmpfs", in.Args["rsub"], "tmpfs", 0, "size=64k")
		},
		checks: []check{
			{"bind read-only refuses writes", func(*helperInput) error {
				return wantErrno("create /ro/new", os.WriteFile("/ro/new", nil, 0o644), syscall.EROFS)
			}},
			{"bind shows the source", func(*helperInput) error {
				b, err := os.ReadFile("/ro/f")
				if err != nil || string(b) != "source\n" {
					return fmt.Errorf("read /ro/f: %q, %v", b, err)
				}
				return nil
			}},
			{"bind flags", func(*helperInput) error {
				e, err := findMount("/ro")
				if err != nil {
					return err
				}
				return e.has("ro", "nosuid", "nodev", "noexec")
			}},
			{"tmpfs data applied", func(*helperInput) error {
				e, err := findMount("/tmp/deep/t")
				if err != nil {
					return err
				}
				return e.has("size=1024k", "mode=711", "nosuid")
			}},
			{"file bound on a new file", func(*helperInput) error {
				b, err := os.ReadFile("/etc/motd")
				if err != nil || string(b) != "file\n" {
					return fmt.Errorf("read /etc/motd: %q, %v", b, err)
				}
				return nil
			}},
			{"file symlink inside the root followed", func(*helperInput) error {
				b, err := os.ReadFile("/etc/real")
				if err != nil || string(b) != "file\n" {
					return fmt.Errorf("read /etc/real: %q, %v", b, err)
				}
				return nil
			}},
			{"symlink inside the root followed", func(*helperInput) error {
				if _, err := findMount("/target"); err != nil {
					return err
				}
				if _, err := findMount("/link"); err == nil {
					return errors.New("mounted on the link itself")
				}
				return nil
			}},
			{"recursive bind read-only down to submounts", func(*helperInput) error {
				if err := wantErrno("create /rro/new", os.WriteFile("/rro/new", nil, 0o644), syscall.EROFS); err != nil {
					return err
				}
				return wantErrno("create /rro/sub/new", os.WriteFile("/rro/sub/new", nil, 0o644), syscall.EROFS)
			}},
			{"rbind read-only at the top only", func(*helperInput) error {
				if err := wantErrno("create /rtop/new", os.WriteFile("/rtop/new", nil, 0o644), syscall.EROFS); err != nil {
					return err
				}
				return os.WriteFile("/rtop/sub/new", nil, 0o644)
			}},
			{"atime and unbindable", func(*helperInput) error {
				e, err := findMount("/noatime")
				if err != nil {
					return err
				}
				if !slices.Contains(e.opts, "noatime") {
					return fmt.Errorf("/noatime: options %q", e.opts)
				}
				if e, err = findMount("/unbindable"); err != nil {
					return err
				}
				if !slices.Contains(e.optional, "unbindable") {
					return fmt.Errorf("/unbindable: optional fields %v", e.optional)
				}
				return nil
			}},
			{"shared propagation", func(*helperInput) error {
				e, err := findMount("/shared")
				if err != nil {
					return err
				}
				if !slices.ContainsFunc(e.optional, func(o string) bool { return strings.HasPrefix(o, "shared:") }) {
					return fmt.Errorf("/shared: optional fields %v", e.optional)
				}
				return nil
			}},
		},
	}
	scenarios["inroot"] = scenario{
		checks: []check{
			{"mounted where chroot resolves", func(in *helperInput) error {
				e, err := findMount(in.Args["mounted"])
				if err != nil {
					return err
				}
				if want := in.Args["fstype"]; want != "" && e.fstype != want {
					return fmt.Errorf("%s: a %s, want a %s", in.Args["mounted"], e.fstype, in.Args["fstype"])
				}
				return nil
			}},
		},
	}
	scenarios["actions"] = scenario{}
	scenarios["fails"] = scenario{}
}

func TestMounts(t *testing.T) {
	requireRoot(t)
	dir, root := testRoot(t)
	src := filepath.Join(dir, "src")
	writeFile(t, filepath.Join(src, "f"), "source\n")
	file := filepath.Join(dir, "file")
	writeFile(t, file, "file\n")
	rsrc := filepath.Join(dir, "rsrc")
	if err := os.MkdirAll(filepath.Join(rsrc, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(root, "target"), 0o755); err != nil {
		t.Fatal(err)
	}
	mustSymlink(t, "target", filepath.Join(root, "link"))
	writeFile(t, filepath.Join(root, "etc", "real"), "")
	mustSymlink(t, "../etc/./real", filepath.Join(root, "etc", "alias"))
	runScenario(t, helperInput{
		Scenario: "mounts",
		Spec: Spec{Root: root, MountNS: true, MountProc: true, Mounts: []Mount{
			{Source: src, Destination: "/ro", Flags: Bind | ReadOnly | NoSuid | NoDev | NoExec},
			{Destination: "/tmp/deep/t", Type: "tmpfs", Data: "size=1m,mode=711", Flags: NoSuid},
			{Source: file, Destination: "/etc/motd", Flags: Bind},
			{Source: file, Destination: "/etc/alias", Flags: Bind},
			{Destination: "/link", Type: "tmpfs"},
			{Source: rsrc, Destination: "/rro", Flags: Bind | Recursive | RecursiveAttrs | ReadOnly},
			{Source: rsrc, Destination: "/rtop", Flags: Bind | Recursive | ReadOnly},
			{Destination: "/noatime", Type: "tmpfs", Flags: NoAtime},
			{Destination: "/unbindable", Type: "tmpfs", Flags: Unbindable},
			{Destination: "/shared", Type: "tmpfs", Flags: Shared},
		}},
		Args: map[string]string{"rsub": filepath.Join(rsrc, "sub")},
	}, syscall.CLONE_NEWNS|syscall.CLONE_NEWPID, nil)
}

// TestEscapingDestination checks that no device path reaches out of the
// root through a symlink, and that the error names the field.
func TestEscapingDestination(t *testing.T) {
	requireRoot(t)
	tests := []struct {
		name string
		// setup plants links in root; dir is the directory holding root.
		setup   func(t *testing.T, dir, root string)
		spec    func(dir, root string) Spec
		want    string
		outside string // relative to dir: must not exist afterwards
	}{
		{
			name: "device path",
			setup: func(t *testing.T, dir, root string) {
				mustSymlink(t, filepath.Join(dir, "out"), filepath.Join(root, "esc"))
			},
			spec: func(dir, root string) Spec {
				return Spec{Root: root, MountNS: true, Devices: []Device{
					{Path: "/esc/null", Type: CharDevice, Major: 1, Minor: 3, Mode: 0o666},
				}}
			},
			want:    `devices[0].path "/esc/null": `,
			outside: "out/null",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir, root := testRoot(t)
			mustMkdir(t, filepath.Join(dir, "out"))
			tt.setup(t, dir, root)
			out := runHelper(t, helperInput{Scenario: "fails", Spec: tt.spec(dir, root)},
				syscall.CLONE_NEWNS|syscall.CLONE_NEWPID, nil)
			if !strings.HasPrefix(out.SetupErr, tt.want) || !strings.Contains(out.SetupErr, "escapes") {
				t.Errorf("Setup: %q, want %q and the escape", out.SetupErr, tt.want+"...")
			}
			if tt.outside != "" {
				if _, err := os.Lstat(filepath.Join(dir, tt.outside)); !errors.Is(err, os.ErrNotExist) {
					t.Errorf("%s was created outside the root: %v", tt.outside, err)
				}
			}
		})
	}
}

// TestDestinationInRoot checks that a destination is resolved inside the
// root as chroot would resolve it: absolute and climbing symlinks stay in
// the root, dangling ones lead to where their target would be, and nothing
// is created outside.
func TestDestinationInRoot(t *testing.T) {
	requireRoot(t)
	tests := []struct {
		name string
		// setup plants links in root; dir is the directory holding root.
		setup func(t *testing.T, dir, root string)
		mount func(dir string) Mount
		// mounted is where the mount must be, in the container.
		mounted func(dir string) string
		fstype  string // "" for a bind mount, of the host's
	}{
		{
			name: "absolute symlink",
			setup: func(t *testing.T, dir, root string) {
				mustSymlink(t, filepath.Join(dir, "out"), filepath.Join(root, "esc"))
			},
			mount:   func(string) Mount { return Mount{Destination: "/esc/x", Type: "tmpfs"} },
			mounted: func(dir string) string { return filepath.Join(dir, "out", "x") },
			fstype:  "tmpfs",
		},
		{
			name: "relative symlink climbing out",
			setup: func(t *testing.T, dir, root string) {
				mustMkdir(t, filepath.Join(root, "a"))
				mustSymlink(t, "../../out", filepath.Join(root, "a", "up"))
			},
			mount:   func(string) Mount { return Mount{Destination: "/a/up/x", Type: "tmpfs"} },
			mounted: func(string) string { return "/out/x" },
			fstype:  "tmpfs",
		},
		{
			name: "dangling symlink component",
			setup: func(t *testing.T, dir, root string) {
				mustSymlink(t, "/tmp/foo/bar", filepath.Join(root, "jump"))
				mustMkdir(t, filepath.Join(root, "etc"))
				mustSymlink(t, "/jump/baz/hosts", filepath.Join(root, "etc", "hosts"))
			},
			mount: func(dir string) Mount {
				return Mount{Source: filepath.Join(dir, "host-marker"), Destination: "/etc/hosts", Flags: Bind}
			},
			mounted: func(string) string { return "/tmp/foo/bar/baz/hosts" },
		},
		{
			name: "trailing dangling symlink",
			setup: func(t *testing.T, dir, root string) {
				mustSymlink(t, "/tmp/d", filepath.Join(root, "d"))
			},
			mount:   func(string) Mount { return Mount{Destination: "/d", Type: "tmpfs"} },
			mounted: func(string) string { return "/tmp/d" },
			fstype:  "tmpfs",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir, root := testRoot(t)
			tt.setup(t, dir, root)
			runScenario(t, helperInput{
				Scenario: "inroot",
				Spec:     Spec{Root: root, MountNS: true, MountProc: true, Mounts: []Mount{tt.mount(dir)}},
				Args:     map[string]string{"mounted": tt.mounted(dir), "fstype": tt.fstype},
			}, syscall.CLONE_NEWNS|syscall.CLONE_NEWPID, nil)
			if _, err := os.Lstat(filepath.Join(dir, "out")); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("out was created outside the root: %v", err)
			}
		})
	}
}

// TestSymlinkRefused checks the mount points that symlinks may not lead
// to: the root itself, a loop, and any for a proc or sysfs.
func TestSymlinkRefused(t *testing.T) {
	requireRoot(t)
	tests := []struct {
		name  string
		setup func(t *testing.T, root string)
		spec  func(root string) Spec
		want  string
		errno syscall.Errno
	}{
		{
			name: "proc through a symlink",
			setup: func(t *testing.T, root string) {
				mustMkdir(t, filepath.Join(root, "bad-proc"))
				mustSymlink(t, "/bad-proc", filepath.Join(root, "proc"))
			},
			spec: func(root string) Spec { return Spec{Root: root, MountNS: true, MountProc: true} },
			want: "mountProc: leads through a symlink to /bad-proc: proc must be mounted on a directory, never through a symlink",
		},
		{
			name: "sysfs through a symlink",
			setup: func(t *testing.T, root string) {
				mustSymlink(t, "/bad-sys", filepath.Join(root, "sys"))
			},
			spec: func(root string) Spec {
				return Spec{Root: root, MountNS: true, Mounts: []Mount{{Destination: "/sys", Type: "sysfs"}}}
			},
			want: `mounts[0].destination "/sys": leads through a symlink to /bad-sys: sysfs must be mounted on a directory, never through a symlink`,
		},
		{
			name: "the root itself",
			setup: func(t *testing.T, root string) {
				mustSymlink(t, "/", filepath.Join(root, "top"))
			},
			spec: func(root string) Spec {
				return Spec{Root: root, MountNS: true, Mounts: []Mount{{Destination: "/top", Type: "tmpfs"}}}
			},
			want: `mounts[0].destination "/top": leads through a symlink to the root itself`,
		},
		{
			name: "loop",
			setup: func(t *testing.T, root string) {
				mustSymlink(t, "b", filepath.Join(root, "a"))
				mustSymlink(t, "a", filepath.Join(root, "b"))
			},
			spec: func(root string) Spec {
				return Spec{Root: root, MountNS: true, Mounts: []Mount{{Destination: "/a/x", Type: "tmpfs"}}}
			},
			want:  `mounts[0].destination "/a/x": resolve /a/x: too many levels of symbolic links`,
			errno: syscall.ELOOP,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, root := testRoot(t)
			tt.setup(t, root)
			out := runHelper(t, helperInput{Scenario: "fails", Spec: tt.spec(root)},
				syscall.CLONE_NEWNS|syscall.CLONE_NEWPID, nil)
			if out.SetupErr != tt.want || syscall.Errno(out.Errno) != tt.errno {
				t.Errorf("Setup: %q (errno %d), want %q (errno %d)", out.SetupErr, out.Errno, tt.want, tt.errno)
			}
		})
	}
}

func TestActions(t *testing.T) {
	requireRoot(t)
	mounts := []Mount{
		{Destination: "/a", Type: "tmpfs"},
		{Destination: "/b", Type: "tmpfs", PreAction: []string{"pre"}, PostAction: []string{"post"}},
		{Destination: "/c", Type: "tmpfs", PostAction: []string{"post"}},
	}
	tests := []struct {
		name    string
		failAt  string
		wantErr string
		want    []string
	}{
		{
			name: "in order around their mount",
			want: []string{"before 1: not mounted", "after 1: mounted", "after 2: mounted", "switch: all mounted"},
		},
		{
			name:    "failing switch action stops before the switch",
			failAt:  "switch",
			wantErr: "action failed",
			want:    []string{"before 1: not mounted", "after 1: mounted", "after 2: mounted", "switch: all mounted"},
		},
		{
			name:    "failing pre-action stops before the mount",
			failAt:  "before 1",
			wantErr: "mounts[1].preAction: action failed",
			want:    []string{"before 1: not mounted"},
		},
		{
			name:    "failing post-action stops the rest",
			failAt:  "after 1",
			wantErr: "mounts[1].postAction: action failed",
			want:    []string{"before 1: not mounted", "after 1: mounted"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, root := testRoot(t)
			out := runHelper(t, helperInput{
				Scenario: "actions",
				Spec:     Spec{Root: root, MountNS: true, Mounts: mounts},
				FailAt:   tt.failAt,
			}, syscall.CLONE_NEWNS|syscall.CLONE_NEWPID, nil)
			if out.SetupErr != tt.wantErr {
				t.Errorf("Setup: %q, want %q", out.SetupErr, tt.wantErr)
			}
			if !slices.Equal(out.Calls, tt.want) {
				t.Errorf("calls %q, want %q", out.Calls, tt.want)
			}
		})
	}
}

// TestSyscallErrors checks the shape the init stage relies on to report a
// failure: the field, the operation on the container path, and the errno.
func TestSyscallErrors(t *testing.T) {
	requireRoot(t)
	tests := []struct {
		name  string
		spec  func(root string) Spec
		want  string
		errno syscall.Errno
	}{
		{
			name: "unknown file system",
			spec: func(root string) Spec {
				return Spec{Root: root, MountNS: true, Mounts: []Mount{
					{Destination: "/x", Type: "tmpfs"},
					{Destination: "/y/../z", Type: "nosuchfs"},
				}}
			},
			want:  "mounts[1]: mount nosuchfs on /z: no such device",
			errno: syscall.ENODEV,
		},
		{
			name: "bad tmpfs data",
			spec: func(root string) Spec {
				return Spec{Root: root, MountNS: true, Mounts: []Mount{
					{Destination: "/tmp", Type: "tmpfs", Data: "size=lots"},
				}}
			},
			want:  "mounts[0]: mount tmpfs on /tmp: invalid argument",
			errno: syscall.EINVAL,
		},
		{
			name: "destination is a file",
			spec: func(root string) Spec {
				return Spec{Root: root, MountNS: true, Mounts: []Mount{
					{Destination: "/inside-marker/x", Type: "tmpfs"},
				}}
			},
			want:  `mounts[0].destination "/inside-marker/x": resolve /inside-marker/x: not a directory`,
			errno: syscall.ENOTDIR,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, root := testRoot(t)
			out := runHelper(t, helperInput{Scenario: "fails", Spec: tt.spec(root)},
				syscall.CLONE_NEWNS|syscall.CLONE_NEWPID, nil)
			if out.SetupErr != tt.want || syscall.Errno(out.Errno) != tt.errno {
				t.Errorf("Setup: %q (errno %d), want %q (errno %d)", out.SetupErr, out.Errno, tt.want, tt.errno)
			}
		})
	}
}

func mustSymlink(t *testing.T, target, name string) {
	t.Helper()
	if err := os.Symlink(target, name); err != nil {
		t.Fatal(err)
	}
}

func mustMkdir(t *testing.T, name string) {
	t.Helper()
	if err := os.MkdirAll(name, 0o755); err != nil {
		t.Fatal(err)
	}
}
