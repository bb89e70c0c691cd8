package libct_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/libct/libct"
	"github.com/libct/libct/internal/cinit"
)

// startWith runs p in a container of cfg through the C init (useC) or the
// Go init (LIBCT_INIT=go), and tells which init ran, from the phase the
// session's trace names.
func startWith(t *testing.T, useC bool, cfg *libct.Config, p *libct.Process) (out string, st libct.ExitStatus, err error, cInit bool) {
	t.Helper()
	if !useC {
		t.Setenv("LIBCT_INIT", "go")
	} else {
		t.Setenv("LIBCT_INIT", "")
	}
	s, err := libct.Open("local", libct.WithRoot(t.TempDir()), libct.WithTrace(func(_ string, phases []libct.Phase) {
		for _, ph := range phases {
			if ph.Name == "init: program read" {
				cInit = true
			}
		}
	}))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	c, err := s.Create(uniqueName(t), cfg)
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	defer c.Destroy()
	q := *p
	out, st, err = spawnAndWait(c, &q)
	return out, st, err, cInit
}

// mountIDs are the fields of a mountinfo line that differ from one start
// to the next: the mount ids and the device numbers of anonymous file
// systems.
var mountIDs = regexp.MustCompile(`(?m)^\d+ \d+ \d+:\d+ `)

// TestCInitMatchesGoInit: a container started by the C init is the one
// the Go init makes, field by field: credentials, capabilities, seccomp,
// mounts and their options, /dev, limits, environment and working
// directory. Built without cgo, asking for the C init starts the Go init.
func TestCInitMatchesGoInit(t *testing.T) {
	newSession(t) // root, or skip
	shared := t.TempDir()
	os.WriteFile(filepath.Join(shared, "data"), []byte("hello\n"), 0o644)
	file := filepath.Join(t.TempDir(), "single")
	os.WriteFile(file, []byte("one file\n"), 0o644)
	seccomp, err := libct.SeccompProfile("default")
	if err != nil {
		t.Fatal(err)
	}
	oom := 500
	umask := os.FileMode(0o027)
	const script = `
		grep -E '^(Uid|Gid|Groups|Cap|NoNewPrivs|Seccomp)' /proc/self/status
		cut -d' ' -f4- /proc/self/mountinfo
		ls -ln /dev | cut -c1-10,30-
		hostname; pwd; umask; ulimit -n; cat /proc/self/oom_score_adj; env | sort
		ls -l /proc/self/fd | wc -l`
	for _, tc := range []struct {
		name string
		cfg  func(cfg *libct.Config)
		proc libct.Process
	}{
		{"defaults", func(*libct.Config) {}, libct.Process{}},
		{"network, hostname and sysctl", func(cfg *libct.Config) {
			cfg.Namespaces |= libct.NewNet
			cfg.Hostname, cfg.Domainname = "parity", "example.org"
			cfg.Sysctl = map[string]string{"net.ipv4.ip_forward": "1"}
		}, libct.Process{}},
		{"mounts, devices, masks and a read-only root", func(cfg *libct.Config) {
			cfg.ReadOnlyRoot = true
			cfg.RootPropagation = libct.PropagationSlave
			cfg.Mounts = []libct.Mount{
				{Source: shared, Destination: "/ro", Flags: libct.MountBind | libct.MountReadOnly},
				{Source: shared, Destination: "/rro/deep", Flags: libct.MountBind | libct.MountRecursive | libct.MountReadOnly | libct.MountRecursiveAttrs | libct.MountNoExec},
				{Source: file, Destination: "/etc/single", Flags: libct.MountBind | libct.MountReadOnly | libct.MountPrivate},
				{Destination: "/tmp", Type: "tmpfs", Data: "size=1m", Flags: libct.MountNoSuid | libct.MountNoDev},
				{Destination: "/dev/mqueue", Type: "mqueue", Flags: libct.MountNoSuid | libct.MountNoDev | libct.MountNoExec},
			}
			cfg.Devices = []libct.Device{{Path: "/dev/fuse", Type: 'c', Major: 10, Minor: 229, Mode: 0o640, UID: 1000, GID: 50}}
			cfg.MaskedPaths = []string{"/proc/kcore", "/proc/scsi", "/no/such/path"}
			cfg.ReadonlyPaths = []string{"/proc/sys", "/proc/bus"}
		}, libct.Process{}},
		{"read-only tmpfs and /dev, inherited modes, clear flags, shared masks", func(cfg *libct.Config) {
			// Every mount point exists before the first start: a tmpfs
			// on an existing directory takes its mode, and the two
			// starts share the root.
			for _, d := range []string{"real/conf/stack", "inherit", "rotmp", "rw", "m1", "m2"} {
				os.MkdirAll(filepath.Join(cfg.Root, d), 0o755)
			}
			os.Chmod(filepath.Join(cfg.Root, "inherit"), 0o710)
			cfg.Mounts = []libct.Mount{
				{Destination: "/dev", Type: "tmpfs", Data: "mode=755,size=64k", Flags: libct.MountReadOnly | libct.MountNoSuid},
				{Destination: "/real/conf/stack", Type: "tmpfs", Flags: libct.MountReadOnly},
				{Destination: "/inherit", Type: "tmpfs"},
				{Destination: "/rotmp", Type: "tmpfs", Flags: libct.MountReadOnly},
				{Destination: "/rotmp/sub", Type: "tmpfs", Data: "mode=700"},
				{Source: shared, Destination: "/rw", Flags: libct.MountBind | libct.MountDev},
			}
			cfg.MaskedPaths = []string{"/m1", "/m2"}
		}, libct.Process{}},
		{"idmapped mounts", func(cfg *libct.Config) {
			own := []libct.IDMap{{ContainerID: 0, HostID: 5000, Size: 10}}
			cfg.Mounts = []libct.Mount{
				{Source: shared, Destination: "/idm", Flags: libct.MountBind | libct.MountReadOnly,
					IDMap: &libct.MountIDMap{UIDMappings: own, GIDMappings: own}},
				{Type: "tmpfs", Destination: "/idt", Data: "size=1m", IDMap: &libct.MountIDMap{UIDMappings: own, GIDMappings: own}},
			}
		}, libct.Process{}},
		{"user, limits and security", func(cfg *libct.Config) {
			cfg.Security.NoNewPrivileges = true
			cfg.Security.Seccomp = seccomp
			cfg.Security.OOMScoreAdj = &oom
		}, libct.Process{
			User: "alice", AdditionalGroups: []string{"nogroup"}, Dir: "/tmp", Umask: &umask,
			Env:     []string{"PATH=/bin", "FOO=bar"},
			Rlimits: []libct.Rlimit{{Type: "RLIMIT_NOFILE", Soft: 300, Hard: 400}},
		}},
		{"more supplementary groups than fit a small buffer", func(*libct.Config) {}, libct.Process{
			User: "1000:1000", AdditionalGroups: manyGroups(300),
		}},
		// Entered as root, before the user changes.
		{"a working directory only root may enter", func(*libct.Config) {}, libct.Process{
			User: "1000:1000", Dir: "/root",
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := busybox(t)
			tc.cfg(cfg)
			p := tc.proc
			p.Args = []string{"sh", "-c", script}
			var outs [2]string
			for i, useC := range []bool{true, false} {
				out, st, err, cInit := startWith(t, useC, cfg, &p)
				if err != nil || st != (libct.ExitStatus{}) {
					t.Fatalf("C init %v: %v %v\n%s", useC, st, err, out)
				}
				// Without cgo there is no C init to ask for: the Go init
				// starts the container either way, and the comparison
				// below still holds.
				if want := useC && cinit.Available; cInit != want {
					t.Fatalf("asked for the C init: %v (linked in: %v); the trace says it ran: %v", useC, cinit.Available, cInit)
				}
				outs[i] = mountIDs.ReplaceAllString(out, "")
			}
			if outs[0] != outs[1] {
				c, g := strings.Split(outs[0], "\n"), strings.Split(outs[1], "\n")
				for i := 0; i < max(len(c), len(g)); i++ {
					var cl, gl string
					if i < len(c) {
						cl = c[i]
					}
					if i < len(g) {
						gl = g[i]
					}
					if cl != gl {
						t.Errorf("line %d:\n C init: %q\nGo init: %q", i+1, cl, gl)
					}
				}
			}
		})
	}
}

func manyGroups(n int) []string {
	var out []string
	for i := range n {
		out = append(out, fmt.Sprint(2000+i))
	}
	return out
}

// TestCInitErrors: the C init fails a start as the Go init does, with the
// same step, text and errno, and leaves nothing behind.
func TestCInitErrors(t *testing.T) {
	newSession(t)
	for _, tc := range []struct {
		name string
		cfg  func(cfg *libct.Config)
		proc libct.Process
		step string
	}{
		{"missing program", func(*libct.Config) {}, libct.Process{Args: []string{"no-such-program"}}, "exec"},
		{"program path missing", func(*libct.Config) {}, libct.Process{Args: []string{"/bin/nope"}}, "exec"},
		{"program is a directory", func(*libct.Config) {}, libct.Process{Args: []string{"/bin"}}, "exec"},
		{"interpreter missing", func(cfg *libct.Config) {
			os.WriteFile(filepath.Join(cfg.Root, "run.sh"), []byte("#!/mmnnttbb foo\n"), 0o755)
		}, libct.Process{Args: []string{"/run.sh"}}, "exec"},
		{"missing working directory", func(*libct.Config) {}, libct.Process{Args: []string{"true"}, Dir: "/no/such/dir"}, "cwd"},
		{"working directory is a file", func(*libct.Config) {}, libct.Process{Args: []string{"true"}, Dir: "/bin/sh"}, "cwd"},
		{"unknown file system", func(cfg *libct.Config) {
			cfg.Mounts = []libct.Mount{{Destination: "/mnt", Type: "nosuchfs"}}
		}, libct.Process{Args: []string{"true"}}, "rootfs"},
		{"mount point is the root through a symlink", func(cfg *libct.Config) {
			os.Symlink("/", filepath.Join(cfg.Root, "escape"))
			cfg.Mounts = []libct.Mount{{Destination: "/escape", Type: "tmpfs"}}
		}, libct.Process{Args: []string{"true"}}, "rootfs"},
		{"proc through a symlink", func(cfg *libct.Config) {
			os.Mkdir(filepath.Join(cfg.Root, "bad-proc"), 0o755)
			os.Remove(filepath.Join(cfg.Root, "proc"))
			os.Symlink("/bad-proc", filepath.Join(cfg.Root, "proc"))
		}, libct.Process{Args: []string{"true"}}, "rootfs"},
		{"mount point under a file", func(cfg *libct.Config) {
			cfg.Mounts = []libct.Mount{{Destination: "/bin/sh/x", Type: "tmpfs"}}
		}, libct.Process{Args: []string{"true"}}, "rootfs"},
		{"device path under a file", func(cfg *libct.Config) {
			cfg.Devices = []libct.Device{{Path: "/bin/sh/null", Type: 'c', Major: 1, Minor: 3, Mode: 0o666}}
		}, libct.Process{Args: []string{"true"}}, "rootfs"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := busybox(t)
			tc.cfg(cfg)
			var errs [2]*libct.StartError
			for i, useC := range []bool{true, false} {
				_, _, err, _ := startWith(t, useC, cfg, &tc.proc)
				if !errors.As(err, &errs[i]) {
					t.Fatalf("C init %v: want a StartError, got %v", useC, err)
				}
			}
			// The texts name the same field and end in the same cause;
			// the Go init's may name the os.Root operation in between.
			c, g := errs[0], errs[1]
			field := func(s string) string { f, _, _ := strings.Cut(s, ": "); return f }
			cause := func(s string) string { return s[strings.LastIndex(s, ": ")+2:] }
			if c.Step != tc.step || c.Step != g.Step || c.Errno != g.Errno ||
				field(c.Text) != field(g.Text) || cause(c.Text) != cause(g.Text) {
				t.Errorf("C init: step %q errno %d %q\nGo init: step %q errno %d %q", c.Step, int(c.Errno), c.Text, g.Step, int(g.Errno), g.Text)
			}
		})
	}
}

// TestTracePhases: a traced session reports the caller's phases and the
// init's, through either init, for a spawn and for a prepared container
// (whose init reports before it waits for Start).
func TestTracePhases(t *testing.T) {
	newSession(t)
	for _, goInit := range []bool{false, true} {
		for _, op := range []string{"spawn", "prepare"} {
			name := op + " through the C init"
			if goInit {
				name = op + " through the Go init"
			}
			t.Run(name, func(t *testing.T) {
				if goInit {
					t.Setenv("LIBCT_INIT", "go")
				}
				var got []libct.Phase
				s, err := libct.Open("local", libct.WithRoot(t.TempDir()), libct.WithTrace(func(_ string, phases []libct.Phase) {
					got = append(got, phases...)
				}))
				if err != nil {
					t.Fatal(err)
				}
				defer s.Close()
				c, err := s.Create(uniqueName(t), busybox(t))
				if err != nil {
					t.Fatal(err)
				}
				defer c.Destroy()
				p := &libct.Process{Args: []string{"true"}}
				if op == "spawn" {
					err = c.Spawn(p)
				} else {
					err = c.Prepare(p)
				}
				if err != nil {
					t.Fatal(err)
				}
				var names []string
				for _, ph := range got {
					names = append(names, ph.Name)
					if ph.Duration < 0 {
						t.Errorf("phase %q lasted %v", ph.Name, ph.Duration)
					}
				}
				want := []string{"clone", "init: root file system", "init: user and program lookup", "state"}
				if op == "spawn" {
					want = append(want, "init: credentials and security")
				}
				for _, w := range want {
					if !slices.Contains(names, w) {
						t.Errorf("phases %q: no %q", names, w)
					}
				}
			})
		}
	}
}
