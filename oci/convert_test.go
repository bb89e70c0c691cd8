package oci

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/libct/libct"
	"github.com/libct/libct/internal/nsenter"
	"github.com/libct/libct/internal/testutil"
	"github.com/libct/libct/security"
)

// convertCase is one table case: mod edits a minimalSpec; either check
// looks at the result or errPath names the field the error must name.
type convertCase struct {
	name     string
	mod      func(s *specs.Spec)
	check    func(t *testing.T, cfg *libct.Config, p *libct.Process)
	errPath  string
	errParts []string
	// unsupported tells that the error must match ErrUnsupported.
	unsupported bool
}

func runConvertCases(t *testing.T, cases []convertCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			bundle := testBundle(t)
			s := minimalSpec()
			if tc.mod != nil {
				tc.mod(s)
			}
			cfg, p, err := Convert("ct1", bundle, s)
			if tc.errPath != "" {
				wantFieldError(t, err, tc.errPath, tc.errParts...)
				if cfg != nil || p != nil {
					t.Error("a refused spec still gave a config or a process")
				}
				if got := errors.Is(err, ErrUnsupported); got != tc.unsupported {
					t.Errorf("errors.Is(%q, ErrUnsupported) = %v, want %v", err, got, tc.unsupported)
				}
				return
			}
			if err != nil {
				t.Fatalf("Convert: %v", err)
			}
			if tc.check != nil {
				tc.check(t, cfg, p)
			}
		})
	}
}

func TestConvertTopLevel(t *testing.T) {
	runConvertCases(t, []convertCase{
		{
			name: "minimal",
			check: func(t *testing.T, cfg *libct.Config, p *libct.Process) {
				if cfg.Options != libct.Detached|libct.NoAutoProc {
					t.Errorf("options %b, want Detached|NoAutoProc", cfg.Options)
				}
				if filepath.Base(cfg.Root) != "rootfs" || !filepath.IsAbs(cfg.Root) {
					t.Errorf("root %q", cfg.Root)
				}
				if filepath.Dir(cfg.Root) != cfg.Bundle {
					t.Errorf("root %q is not in bundle %q", cfg.Root, cfg.Bundle)
				}
				want := libct.NewMount | libct.NewPID | libct.NewUTS | libct.NewIPC | libct.NewNet
				if cfg.Namespaces != want {
					t.Errorf("namespaces %v, want %v", cfg.Namespaces, want)
				}
				if cfg.RootPropagation != libct.PropagationSlave {
					t.Errorf("root propagation %v, want slave (runc's default)", cfg.RootPropagation)
				}
				if cfg.ReadOnlyRoot {
					t.Error("read-only root")
				}
				if !slices.Equal(p.Args, []string{"sh"}) || p.Dir != "/" || p.User != "0:0" {
					t.Errorf("process %+v", p)
				}
				if p.Security != nil {
					t.Error("the init has its own profile: the container's should do")
				}
			},
		},
		{
			name: "absolute root, read-only",
			mod: func(s *specs.Spec) {
				s.Root.Path = "/"
				s.Root.Readonly = true
			},
			check: func(t *testing.T, cfg *libct.Config, _ *libct.Process) {
				if cfg.Root != "/" || !cfg.ReadOnlyRoot {
					t.Errorf("root %q read-only %v", cfg.Root, cfg.ReadOnlyRoot)
				}
			},
		},
		{
			name: "hostname, domainname, annotations",
			mod: func(s *specs.Spec) {
				s.Hostname, s.Domainname = "box", "example.org"
				s.Annotations = map[string]string{"a": "b"}
			},
			check: func(t *testing.T, cfg *libct.Config, _ *libct.Process) {
				if cfg.Hostname != "box" || cfg.Domainname != "example.org" {
					t.Errorf("hostname %q domainname %q", cfg.Hostname, cfg.Domainname)
				}
				if !reflect.DeepEqual(cfg.Annotations, map[string]string{"a": "b"}) {
					t.Errorf("annotations %v", cfg.Annotations)
				}
			},
		},
		{
			name: "no linux section: chroot and no namespace",
			mod:  func(s *specs.Spec) { s.Linux = nil },
			check: func(t *testing.T, cfg *libct.Config, _ *libct.Process) {
				if cfg.Namespaces != 0 || cfg.Root == "" {
					t.Errorf("namespaces %v root %q", cfg.Namespaces, cfg.Root)
				}
			},
		},
		{name: "missing version", mod: func(s *specs.Spec) { s.Version = "" }, errPath: "ociVersion", errParts: []string{"missing"}},
		{name: "version 2", mod: func(s *specs.Spec) { s.Version = "2.0.0" }, errPath: "ociVersion", errParts: []string{`"2.0.0"`, "want 1.x"}, unsupported: true},
		{name: "windows section", mod: func(s *specs.Spec) { s.Windows = &specs.Windows{} }, errPath: "windows", unsupported: true},
		{name: "vm section", mod: func(s *specs.Spec) { s.VM = &specs.VM{} }, errPath: "vm", unsupported: true},
		{name: "missing root", mod: func(s *specs.Spec) { s.Root = nil }, errPath: "root", errParts: []string{"missing"}},
		{name: "empty root path", mod: func(s *specs.Spec) { s.Root.Path = "" }, errPath: "root.path", errParts: []string{"empty"}},
		{name: "rootfs does not exist", mod: func(s *specs.Spec) { s.Root.Path = "nope" }, errPath: "root.path", errParts: []string{"/nope", "no such file or directory"}},
		{name: "rootfs is a file", mod: func(s *specs.Spec) { s.Root.Path = "/etc/hostname" }, errPath: "root.path", errParts: []string{"not a directory"}},
		{
			name: "read-only root without a mount namespace: shared mounts",
			mod:  func(s *specs.Spec) { s.Linux.Namespaces = nil; s.Root.Readonly = true },
			check: func(t *testing.T, cfg *libct.Config, _ *libct.Process) {
				if cfg.Options&libct.SharedMounts == 0 {
					t.Errorf("options %b lack SharedMounts", cfg.Options)
				}
			},
		},
		{name: "missing process", mod: func(s *specs.Spec) { s.Process = nil }, errPath: "process", errParts: []string{"missing"}},
		{
			name:     "hostname without uts namespace",
			mod:      func(s *specs.Spec) { s.Linux.Namespaces = s.Linux.Namespaces[:2]; s.Hostname = "h" },
			errPath:  "hostname",
			errParts: []string{"needs a uts namespace"},
		},
		{
			name:     "domainname too long",
			mod:      func(s *specs.Spec) { s.Domainname = string(make([]byte, 65)) },
			errPath:  "domainname",
			errParts: []string{"longer than 64 bytes"},
		},
	})
}

func TestConvertNamespaces(t *testing.T) {
	netns := "/proc/self/ns/net"
	runConvertCases(t, []convertCase{
		{
			name: "every type",
			mod: func(s *specs.Spec) {
				s.Linux.Namespaces = append(s.Linux.Namespaces,
					specs.LinuxNamespace{Type: specs.UserNamespace},
					specs.LinuxNamespace{Type: specs.CgroupNamespace},
					specs.LinuxNamespace{Type: specs.TimeNamespace})
			},
			check: func(t *testing.T, cfg *libct.Config, _ *libct.Process) {
				want := libct.NewMount | libct.NewPID | libct.NewUTS | libct.NewIPC | libct.NewNet |
					libct.NewUser | libct.NewCgroup | libct.NewTime
				if cfg.Namespaces != want {
					t.Errorf("namespaces %v, want %v", cfg.Namespaces, want)
				}
			},
		},
		{
			name: "joined by path",
			mod: func(s *specs.Spec) {
				s.Linux.Namespaces[4] = specs.LinuxNamespace{Type: specs.NetworkNamespace, Path: netns}
			},
			check: func(t *testing.T, cfg *libct.Config, _ *libct.Process) {
				if cfg.Namespaces.Has(libct.NewNet) {
					t.Error("a joined namespace is also created")
				}
				if cfg.NamespacePaths[libct.NewNet] != netns {
					t.Errorf("namespace paths %v", cfg.NamespacePaths)
				}
			},
		},
		{
			name:     "path of another type",
			mod:      func(s *specs.Spec) { s.Linux.Namespaces[4].Path = "/proc/self/ns/uts" },
			errPath:  "linux.namespaces[4].path",
			errParts: []string{`"/proc/self/ns/uts": is a uts namespace, not net`},
		},
		{
			name:     "path that does not exist",
			mod:      func(s *specs.Spec) { s.Linux.Namespaces[4].Path = "/run/netns/nope" },
			errPath:  "linux.namespaces[4].path",
			errParts: []string{"no such file or directory"},
		},
		{
			name:     "path that is no namespace",
			mod:      func(s *specs.Spec) { s.Linux.Namespaces[4].Path = "/etc/hostname" },
			errPath:  "linux.namespaces[4].path",
			errParts: []string{"not a namespace file"},
		},
		{
			name:     "unknown type",
			mod:      func(s *specs.Spec) { s.Linux.Namespaces[2].Type = "foo" },
			errPath:  "linux.namespaces[2].type",
			errParts: []string{`linux.namespaces[2].type "foo": unknown namespace type`},
		},
		{
			name:     "duplicate type",
			mod:      func(s *specs.Spec) { s.Linux.Namespaces[3].Type = specs.PIDNamespace },
			errPath:  "linux.namespaces[3].type",
			errParts: []string{"also in linux.namespaces[1]"},
		},
		{
			name:     "relative path",
			mod:      func(s *specs.Spec) { s.Linux.Namespaces[4].Path = "ns/net" },
			errPath:  "linux.namespaces[4].path",
			errParts: []string{"absolute"},
		},
		{
			name: "user namespace with mappings",
			mod: func(s *specs.Spec) {
				s.Linux.Namespaces = append(s.Linux.Namespaces, specs.LinuxNamespace{Type: specs.UserNamespace})
				s.Linux.UIDMappings = []specs.LinuxIDMapping{{ContainerID: 0, HostID: 100000, Size: 65536}}
				s.Linux.GIDMappings = []specs.LinuxIDMapping{{ContainerID: 0, HostID: 200000, Size: 1}, {ContainerID: 1, HostID: 300000, Size: 10}}
			},
			check: func(t *testing.T, cfg *libct.Config, _ *libct.Process) {
				if !reflect.DeepEqual(cfg.UIDMappings, []libct.IDMap{{ContainerID: 0, HostID: 100000, Size: 65536}}) {
					t.Errorf("uid maps %v", cfg.UIDMappings)
				}
				if len(cfg.GIDMappings) != 2 || cfg.GIDMappings[1] != (libct.IDMap{ContainerID: 1, HostID: 300000, Size: 10}) {
					t.Errorf("gid maps %v", cfg.GIDMappings)
				}
			},
		},
		{
			name:     "mappings without a user namespace",
			mod:      func(s *specs.Spec) { s.Linux.GIDMappings = []specs.LinuxIDMapping{{Size: 1}} },
			errPath:  "linux.gidMappings",
			errParts: []string{"need a new user namespace"},
		},
		{
			name: "empty mapping",
			mod: func(s *specs.Spec) {
				s.Linux.Namespaces = append(s.Linux.Namespaces, specs.LinuxNamespace{Type: specs.UserNamespace})
				s.Linux.UIDMappings = []specs.LinuxIDMapping{{Size: 1}, {ContainerID: 1, HostID: 5}}
			},
			errPath: "linux.uidMappings[1].size",
		},
		{
			name: "time offsets",
			mod: func(s *specs.Spec) {
				s.Linux.Namespaces = append(s.Linux.Namespaces, specs.LinuxNamespace{Type: specs.TimeNamespace})
				s.Linux.TimeOffsets = map[string]specs.LinuxTimeOffset{
					"monotonic": {Secs: 3600, Nanosecs: 5},
					"boottime":  {Secs: -10},
				}
			},
			check: func(t *testing.T, cfg *libct.Config, _ *libct.Process) {
				want := libct.TimeOffsets{Monotonic: time.Hour + 5, Boottime: -10 * time.Second}
				if cfg.TimeOffsets != want {
					t.Errorf("time offsets %+v, want %+v", cfg.TimeOffsets, want)
				}
			},
		},
		{
			name:     "time offsets without a time namespace",
			mod:      func(s *specs.Spec) { s.Linux.TimeOffsets = map[string]specs.LinuxTimeOffset{"boottime": {Secs: 1}} },
			errPath:  "linux.timeOffsets",
			errParts: []string{"need a new time namespace"},
		},
		{
			name: "unknown clock",
			mod: func(s *specs.Spec) {
				s.Linux.Namespaces = append(s.Linux.Namespaces, specs.LinuxNamespace{Type: specs.TimeNamespace})
				s.Linux.TimeOffsets = map[string]specs.LinuxTimeOffset{"realtime": {Secs: 1}}
			},
			errPath:  `linux.timeOffsets["realtime"]`,
			errParts: []string{"unknown clock"},
		},
		{
			name: "nanoseconds above a second",
			mod: func(s *specs.Spec) {
				s.Linux.Namespaces = append(s.Linux.Namespaces, specs.LinuxNamespace{Type: specs.TimeNamespace})
				s.Linux.TimeOffsets = map[string]specs.LinuxTimeOffset{"monotonic": {Nanosecs: 1e9}}
			},
			errPath: `linux.timeOffsets["monotonic"].nanosecs`,
		},
	})
}

// TestConvertJoinWithoutEnterStage: a spec joining a mount namespace by
// path converts to a Config that joins it, when the build has the enter
// stage; without it the path is refused as unsupported with libct's one
// error for that (libct.ErrNoEnterStage), whose text is the whole reason.
func TestConvertJoinWithoutEnterStage(t *testing.T) {
	s := minimalSpec()
	s.Linux.Namespaces[0].Path = "/proc/self/ns/mnt"
	cfg, p, err := Convert("ct1", testBundle(t), s)
	if nsenter.Available {
		if err != nil {
			t.Fatalf("Convert: %v", err)
		}
		if cfg.NamespacePaths[libct.NewMount] != "/proc/self/ns/mnt" || cfg.Namespaces.Has(libct.NewMount) {
			t.Errorf("namespaces %v, paths %v", cfg.Namespaces, cfg.NamespacePaths)
		}
		return
	}
	wantFieldError(t, err, "linux.namespaces[0].path", `"/proc/self/ns/mnt": `+libct.ErrNoEnterStage.Error())
	if !errors.Is(err, libct.ErrNoEnterStage) || !errors.Is(err, ErrUnsupported) {
		t.Errorf("error %q is not both libct.ErrNoEnterStage and ErrUnsupported", err)
	}
	if cfg != nil || p != nil {
		t.Error("a refused spec still gave a config or a process")
	}
}

func TestConvertProcessFields(t *testing.T) {
	umask := uint32(0o027)
	runConvertCases(t, []convertCase{
		{
			name: "user, env, terminal",
			mod: func(s *specs.Spec) {
				s.Process.User = specs.User{UID: 1000, GID: 50, Umask: &umask, AdditionalGids: []uint32{4, 27}, Username: "ignored"}
				s.Process.Env = []string{"A=1", "B="}
				s.Process.Terminal = true
				s.Process.ConsoleSize = &specs.Box{Height: 40, Width: 120}
				s.Process.Cwd = "/tmp"
			},
			check: func(t *testing.T, _ *libct.Config, p *libct.Process) {
				if p.User != "1000:50" || !slices.Equal(p.AdditionalGroups, []string{"4", "27"}) {
					t.Errorf("user %q groups %v", p.User, p.AdditionalGroups)
				}
				if p.Umask == nil || *p.Umask != 0o027 {
					t.Errorf("umask %v", p.Umask)
				}
				if !slices.Equal(p.Env, []string{"A=1", "B="}) || p.Dir != "/tmp" {
					t.Errorf("env %v dir %q", p.Env, p.Dir)
				}
				if !p.Terminal || p.ConsoleSize == nil || *p.ConsoleSize != (libct.ConsoleSize{Rows: 40, Cols: 120}) {
					t.Errorf("terminal %v size %v", p.Terminal, p.ConsoleSize)
				}
			},
		},
		{
			name: "console size without a terminal is ignored",
			mod:  func(s *specs.Spec) { s.Process.ConsoleSize = &specs.Box{Height: 1, Width: 1} },
			check: func(t *testing.T, _ *libct.Config, p *libct.Process) {
				if p.Terminal || p.ConsoleSize != nil {
					t.Errorf("terminal %v size %v", p.Terminal, p.ConsoleSize)
				}
			},
		},
		{
			name: "no capabilities means none",
			check: func(t *testing.T, cfg *libct.Config, _ *libct.Process) {
				c := cfg.Security.Capabilities
				if c == nil {
					t.Fatal("nil capabilities: libct would give its default set")
				}
				if len(c.Bounding)+len(c.Effective)+len(c.Permitted)+len(c.Inheritable)+len(c.Ambient) != 0 {
					t.Errorf("capabilities %+v", c)
				}
			},
		},
		{
			name: "capabilities, no_new_privs, oom score",
			mod: func(s *specs.Spec) {
				s.Process.Capabilities = &specs.LinuxCapabilities{
					Bounding:    []string{"CAP_KILL", "CAP_NET_BIND_SERVICE", "CAP_CHOWN"},
					Effective:   []string{"CAP_KILL"},
					Permitted:   []string{"CAP_KILL", "CAP_CHOWN"},
					Inheritable: []string{"CAP_CHOWN"},
					Ambient:     []string{"CAP_CHOWN"},
				}
				s.Process.NoNewPrivileges = true
				s.Process.OOMScoreAdj = ptr(-500)
			},
			check: func(t *testing.T, cfg *libct.Config, _ *libct.Process) {
				c := cfg.Security.Capabilities
				if !slices.Equal(c.Bounding, []string{"CAP_KILL", "CAP_NET_BIND_SERVICE", "CAP_CHOWN"}) ||
					!slices.Equal(c.Effective, []string{"CAP_KILL"}) || !slices.Equal(c.Ambient, []string{"CAP_CHOWN"}) {
					t.Errorf("capabilities %+v", c)
				}
				if !cfg.Security.NoNewPrivileges || cfg.Security.OOMScoreAdj == nil || *cfg.Security.OOMScoreAdj != -500 {
					t.Errorf("security %+v", cfg.Security)
				}
			},
		},
		{
			name: "rlimits",
			mod: func(s *specs.Spec) {
				s.Process.Rlimits = []specs.POSIXRlimit{{Type: "RLIMIT_NOFILE", Soft: 1024, Hard: 4096}, {Type: "RLIMIT_CORE"}}
			},
			check: func(t *testing.T, _ *libct.Config, p *libct.Process) {
				want := []libct.Rlimit{{Type: "RLIMIT_NOFILE", Soft: 1024, Hard: 4096}, {Type: "RLIMIT_CORE"}}
				if !reflect.DeepEqual(p.Rlimits, want) {
					t.Errorf("rlimits %+v", p.Rlimits)
				}
			},
		},
		{
			name: "scheduling",
			mod: func(s *specs.Spec) {
				s.Process.IOPriority = &specs.LinuxIOPriority{Class: specs.IOPRIO_CLASS_BE, Priority: 6}
				s.Process.Scheduler = &specs.Scheduler{Policy: specs.SchedBatch, Nice: 5,
					Flags: []specs.LinuxSchedulerFlag{specs.SchedFlagResetOnFork}}
				s.Process.ExecCPUAffinity = &specs.CPUAffinity{Initial: "0", Final: "0-1"}
				s.Linux.Personality = &specs.LinuxPersonality{Domain: specs.PerLinux32}
			},
			check: func(t *testing.T, _ *libct.Config, p *libct.Process) {
				if p.IOPriority == nil || *p.IOPriority != (libct.IOPriority{Class: libct.IOPrioBestEffort, Level: 6}) {
					t.Errorf("io priority %+v", p.IOPriority)
				}
				if p.Scheduler == nil || p.Scheduler.Policy != 3 || p.Scheduler.Nice != 5 || p.Scheduler.Flags != 1 {
					t.Errorf("scheduler %+v", p.Scheduler)
				}
				if p.CPUAffinity == nil || *p.CPUAffinity != (libct.CPUAffinity{Initial: "0", Final: "0-1"}) {
					t.Errorf("cpu affinity %+v", p.CPUAffinity)
				}
				if p.Personality == nil || *p.Personality != 8 {
					t.Errorf("personality %v", p.Personality)
				}
			},
		},
		{name: "empty args", mod: func(s *specs.Spec) { s.Process.Args = nil }, errPath: "process.args", errParts: []string{"empty"}},
		{name: "empty program", mod: func(s *specs.Spec) { s.Process.Args = []string{""} }, errPath: "process.args[0]"},
		{
			name:        "commandLine alone",
			mod:         func(s *specs.Spec) { s.Process.Args = nil; s.Process.CommandLine = "sh -c true" },
			errPath:     "process.commandLine",
			errParts:    []string{"Windows"},
			unsupported: true,
		},
		{name: "env without =", mod: func(s *specs.Spec) { s.Process.Env = []string{"A=1", "B"} }, errPath: "process.env[1]", errParts: []string{`"B": not KEY=value`}},
		{name: "empty cwd", mod: func(s *specs.Spec) { s.Process.Cwd = "" }, errPath: "process.cwd", errParts: []string{"absolute"}},
		{name: "relative cwd", mod: func(s *specs.Spec) { s.Process.Cwd = "tmp" }, errPath: "process.cwd", errParts: []string{`"tmp"`, "absolute"}},
		{name: "umask", mod: func(s *specs.Spec) { s.Process.User.Umask = ptr(uint32(0o1022)) }, errPath: "process.user.umask"},
		{
			name: "huge console",
			mod: func(s *specs.Spec) {
				s.Process.Terminal = true
				s.Process.ConsoleSize = &specs.Box{Height: 1 << 16, Width: 1}
			},
			errPath: "process.consoleSize",
		},
		{
			name:     "unknown rlimit",
			mod:      func(s *specs.Spec) { s.Process.Rlimits = []specs.POSIXRlimit{{Type: "RLIMIT_FOO"}} },
			errPath:  "process.rlimits[0].type",
			errParts: []string{`"RLIMIT_FOO": unknown resource limit`},
		},
		{
			name:    "rlimit without RLIMIT_",
			mod:     func(s *specs.Spec) { s.Process.Rlimits = []specs.POSIXRlimit{{Type: "NOFILE"}} },
			errPath: "process.rlimits[0].type",
		},
		{
			name: "duplicate rlimit",
			mod: func(s *specs.Spec) {
				s.Process.Rlimits = []specs.POSIXRlimit{{Type: "RLIMIT_CORE"}, {Type: "RLIMIT_CORE"}}
			},
			errPath:  "process.rlimits[1].type",
			errParts: []string{"also set by process.rlimits[0]"},
		},
		{
			name:     "soft above hard",
			mod:      func(s *specs.Spec) { s.Process.Rlimits = []specs.POSIXRlimit{{Type: "RLIMIT_CORE", Soft: 2, Hard: 1}} },
			errPath:  "process.rlimits[0]",
			errParts: []string{"soft limit 2 above hard limit 1"},
		},
		{name: "oom score", mod: func(s *specs.Spec) { s.Process.OOMScoreAdj = ptr(1001) }, errPath: "process.oomScoreAdj"},
		{
			name:    "io class",
			mod:     func(s *specs.Spec) { s.Process.IOPriority = &specs.LinuxIOPriority{Class: "IOPRIO_CLASS_NONE"} },
			errPath: "process.ioPriority.class",
		},
		{
			name: "io level",
			mod: func(s *specs.Spec) {
				s.Process.IOPriority = &specs.LinuxIOPriority{Class: specs.IOPRIO_CLASS_RT, Priority: 8}
			},
			errPath: "process.ioPriority.priority",
		},
		{
			name:        "SCHED_ISO",
			mod:         func(s *specs.Spec) { s.Process.Scheduler = &specs.Scheduler{Policy: specs.SchedISO} },
			errPath:     "process.scheduler.policy",
			unsupported: true,
		},
		{
			name: "scheduler flag",
			mod: func(s *specs.Spec) {
				s.Process.Scheduler = &specs.Scheduler{Policy: specs.SchedOther, Flags: []specs.LinuxSchedulerFlag{"X"}}
			},
			errPath: "process.scheduler.flags[0]",
		},
		{
			name:    "scheduler nice",
			mod:     func(s *specs.Spec) { s.Process.Scheduler = &specs.Scheduler{Policy: specs.SchedOther, Nice: 20} },
			errPath: "process.scheduler.nice",
		},
		{
			name:    "cpu affinity",
			mod:     func(s *specs.Spec) { s.Process.ExecCPUAffinity = &specs.CPUAffinity{Final: "1-0"} },
			errPath: "process.execCPUAffinity.final",
		},
		{
			name:    "personality domain",
			mod:     func(s *specs.Spec) { s.Linux.Personality = &specs.LinuxPersonality{Domain: "BSD"} },
			errPath: "linux.personality.domain",
		},
		{
			name: "personality flags",
			mod: func(s *specs.Spec) {
				s.Linux.Personality = &specs.LinuxPersonality{Domain: specs.PerLinux, Flags: []specs.LinuxPersonalityFlag{"ADDR_NO_RANDOMIZE"}}
			},
			errPath:     "linux.personality.flags[0]",
			unsupported: true,
		},
	})
}

// TestConvertCapabilityWarnings checks that capabilities that cannot be
// granted are dropped with a warning naming the field, not refused: the
// spec says they "MUST be logged as a warning" and runtimes "SHOULD NOT
// fail".
func TestConvertCapabilityWarnings(t *testing.T) {
	for _, tc := range []struct {
		name string
		caps specs.LinuxCapabilities
		want specs.LinuxCapabilities
		// warnings are the paths and values warned about, in order.
		warnings []string
	}{
		{
			name:     "unknown name",
			caps:     specs.LinuxCapabilities{Bounding: []string{"CAP_KILL", "CAP_FOO"}, Permitted: []string{"CAP_FOO"}},
			want:     specs.LinuxCapabilities{Bounding: []string{"CAP_KILL"}},
			warnings: []string{`process.capabilities.bounding[1] "CAP_FOO": unknown capability, ignored`, `process.capabilities.permitted[0] "CAP_FOO": unknown capability, ignored`},
		},
		{
			name:     "spelled without CAP_",
			caps:     specs.LinuxCapabilities{Effective: []string{"CAP_KILL"}, Permitted: []string{"kill", "CAP_KILL"}},
			want:     specs.LinuxCapabilities{Effective: []string{"CAP_KILL"}, Permitted: []string{"CAP_KILL"}},
			warnings: []string{`process.capabilities.permitted[0] "kill": unknown capability, ignored`},
		},
		{
			name:     "effective not permitted",
			caps:     specs.LinuxCapabilities{Effective: []string{"CAP_CHOWN", "CAP_KILL"}, Permitted: []string{"CAP_KILL"}},
			want:     specs.LinuxCapabilities{Effective: []string{"CAP_KILL"}, Permitted: []string{"CAP_KILL"}},
			warnings: []string{`process.capabilities.effective[0] "CAP_CHOWN": not in the permitted set, ignored`},
		},
		{
			name: "ambient not inheritable",
			caps: specs.LinuxCapabilities{Permitted: []string{"CAP_KILL", "CAP_CHOWN"}, Inheritable: []string{"CAP_KILL"},
				Ambient: []string{"CAP_KILL", "CAP_CHOWN"}},
			want: specs.LinuxCapabilities{Permitted: []string{"CAP_KILL", "CAP_CHOWN"}, Inheritable: []string{"CAP_KILL"},
				Ambient: []string{"CAP_KILL"}},
			warnings: []string{`process.capabilities.ambient[1] "CAP_CHOWN": can't raise ambient capability CAP_CHOWN: not in the inheritable set, ignored`},
		},
		{
			name:     "ambient not permitted",
			caps:     specs.LinuxCapabilities{Inheritable: []string{"CAP_KILL"}, Ambient: []string{"CAP_KILL"}},
			want:     specs.LinuxCapabilities{Inheritable: []string{"CAP_KILL"}},
			warnings: []string{`process.capabilities.ambient[0] "CAP_KILL": can't raise ambient capability CAP_KILL: not in the permitted set, ignored`},
		},
		{
			name: "all known",
			caps: specs.LinuxCapabilities{Bounding: []string{"CAP_CHOWN", "CAP_KILL"}, Ambient: []string{"CAP_KILL"},
				Inheritable: []string{"CAP_KILL"}, Permitted: []string{"CAP_KILL"}},
			want: specs.LinuxCapabilities{Bounding: []string{"CAP_CHOWN", "CAP_KILL"}, Ambient: []string{"CAP_KILL"},
				Inheritable: []string{"CAP_KILL"}, Permitted: []string{"CAP_KILL"}},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := minimalSpec()
			s.Process.Capabilities = &tc.caps
			var warnings []string
			cfg, _, err := Convert("ct1", testBundle(t), s, WithWarnings(func(fe *FieldError) {
				warnings = append(warnings, fe.Error())
			}))
			if err != nil {
				t.Fatalf("Convert: %v", err)
			}
			if !slices.Equal(warnings, tc.warnings) {
				t.Errorf("warnings %q, want %q", warnings, tc.warnings)
			}
			got := cfg.Security.Capabilities
			want := &libct.Capabilities{Bounding: tc.want.Bounding, Effective: tc.want.Effective,
				Permitted: tc.want.Permitted, Inheritable: tc.want.Inheritable, Ambient: tc.want.Ambient}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("capabilities %+v, want %+v", got, want)
			}
		})
	}
}

// TestConvertCapabilityNotInBoundingSet drops CAP_SYS_RESOURCE from the
// bounding set of one thread and converts a spec there: the capability
// cannot be granted, so it is dropped with a warning and the spec still
// converts, as with a privileged spec on a restricted host.
func TestConvertCapabilityNotInBoundingSet(t *testing.T) {
	testutil.RequireRoot(t)
	type result struct {
		caps     *libct.Capabilities
		warnings []string
		err      error
	}
	done := make(chan result)
	go func() {
		// The bounding set is per thread: this one is never unlocked, so
		// it ends with the goroutine instead of going back to the pool.
		runtime.LockOSThread()
		var r result
		if r.err = unix.Prctl(unix.PR_CAPBSET_DROP, unix.CAP_SYS_RESOURCE, 0, 0, 0); r.err != nil {
			done <- r
			return
		}
		s := minimalSpec()
		s.Process.Capabilities = &specs.LinuxCapabilities{Bounding: []string{"CAP_KILL", "CAP_SYS_RESOURCE"}}
		var cfg *libct.Config
		cfg, _, r.err = Convert("ct1", testBundle(t), s, WithWarnings(func(fe *FieldError) {
			r.warnings = append(r.warnings, fe.Error())
		}))
		if cfg != nil {
			r.caps = cfg.Security.Capabilities
		}
		done <- r
	}()
	r := <-done
	if r.err != nil {
		t.Fatal(r.err)
	}
	if len(r.warnings) != 1 || !strings.HasPrefix(r.warnings[0], `process.capabilities.bounding[1] "CAP_SYS_RESOURCE": cannot be granted`) {
		t.Errorf("warnings %q", r.warnings)
	}
	if !slices.Equal(r.caps.Bounding, []string{"CAP_KILL"}) {
		t.Errorf("bounding %q, want [CAP_KILL]", r.caps.Bounding)
	}
}

func TestConvertLabels(t *testing.T) {
	lsm := security.DetectLSMs()
	if lsm.AppArmor {
		t.Skip("AppArmor is enabled here: the refusal cannot be tested")
	}
	runConvertCases(t, []convertCase{{
		name:        "apparmor profile on a host without AppArmor",
		mod:         func(s *specs.Spec) { s.Process.ApparmorProfile = "acme" },
		errPath:     "process.apparmorProfile",
		errParts:    []string{`"acme"`, "AppArmor is not enabled on this host"},
		unsupported: true,
	}})
}

func TestConvertMountLabelWithoutSELinux(t *testing.T) {
	if security.DetectLSMs().SELinux {
		t.Skip("SELinux is enabled here")
	}
	runConvertCases(t, []convertCase{{
		name: "dropped",
		mod:  func(s *specs.Spec) { s.Linux.MountLabel = "system_u:object_r:svirt_sandbox_file_t:s0:c715,c811" },
		check: func(t *testing.T, cfg *libct.Config, _ *libct.Process) {
			if cfg.Security.Labels != (libct.Labels{}) {
				t.Errorf("labels %+v", cfg.Security.Labels)
			}
		},
	}})
}

func TestConvertHooks(t *testing.T) {
	runConvertCases(t, []convertCase{
		{
			name: "all six",
			mod: func(s *specs.Spec) {
				h := func(name string) []specs.Hook {
					return []specs.Hook{{Path: "/bin/" + name, Args: []string{name, "x"}, Env: []string{"K=v"}, Timeout: ptr(3)}}
				}
				s.Hooks = &specs.Hooks{
					Prestart: h("prestart"), CreateRuntime: h("createRuntime"), CreateContainer: h("createContainer"),
					StartContainer: h("startContainer"), Poststart: h("poststart"), Poststop: h("poststop"),
				}
			},
			check: func(t *testing.T, cfg *libct.Config, _ *libct.Process) {
				for name, l := range map[string][]libct.Hook{
					"prestart": cfg.Hooks.Prestart, "createRuntime": cfg.Hooks.CreateRuntime,
					"createContainer": cfg.Hooks.CreateContainer, "startContainer": cfg.Hooks.StartContainer,
					"poststart": cfg.Hooks.Poststart, "poststop": cfg.Hooks.Poststop,
				} {
					want := []libct.Hook{{Path: "/bin/" + name, Args: []string{name, "x"}, Env: []string{"K=v"}, Timeout: 3 * time.Second}}
					if !reflect.DeepEqual(l, want) {
						t.Errorf("%s: %+v, want %+v", name, l, want)
					}
				}
			},
		},
		{
			name: "zero timeout",
			mod: func(s *specs.Spec) {
				s.Hooks = &specs.Hooks{Poststop: []specs.Hook{{Path: "/a"}, {Path: "/b", Timeout: ptr(0)}}}
			},
			errPath:  "hooks.poststop[1].timeout",
			errParts: []string{"must be > 0"},
		},
		{
			name:    "relative path",
			mod:     func(s *specs.Spec) { s.Hooks = &specs.Hooks{CreateRuntime: []specs.Hook{{Path: "hook"}}} },
			errPath: "hooks.createRuntime[0].path",
		},
	})
}

func TestConvertLinuxFields(t *testing.T) {
	runConvertCases(t, []convertCase{
		{
			name: "sysctl",
			mod:  func(s *specs.Spec) { s.Linux.Sysctl = map[string]string{"net.ipv4.ip_forward": "1"} },
			check: func(t *testing.T, cfg *libct.Config, _ *libct.Process) {
				if cfg.Sysctl["net.ipv4.ip_forward"] != "1" {
					t.Errorf("sysctl %v", cfg.Sysctl)
				}
			},
		},
		{
			name: "devices",
			mod: func(s *specs.Spec) {
				s.Linux.Devices = []specs.LinuxDevice{
					{Path: "/dev/fuse", Type: "c", Major: 10, Minor: 229, FileMode: ptr(os.FileMode(0o20666)), UID: ptr(uint32(1)), GID: ptr(uint32(2))},
					{Path: "/dev/sda", Type: "b", Major: 8, Minor: 0, FileMode: ptr(os.FileMode(0o640))},
					{Path: "/dev/kmsg2", Type: "u", Major: 1, Minor: 11},
					{Path: "/run/fifo", Type: "p"},
				}
			},
			check: func(t *testing.T, cfg *libct.Config, _ *libct.Process) {
				want := []libct.Device{
					{Path: "/dev/fuse", Type: 'c', Major: 10, Minor: 229, Mode: 0o666, UID: 1, GID: 2},
					{Path: "/dev/sda", Type: 'b', Major: 8, Minor: 0, Mode: 0o640},
					{Path: "/dev/kmsg2", Type: 'c', Major: 1, Minor: 11, Mode: 0o666},
					{Path: "/run/fifo", Type: 'p', Mode: 0o666},
				}
				if !reflect.DeepEqual(cfg.Devices, want) {
					t.Errorf("devices %+v", cfg.Devices)
				}
			},
		},
		{
			name: "net devices",
			mod: func(s *specs.Spec) {
				s.Linux.NetDevices = map[string]specs.LinuxNetDevice{"eth1": {Name: "inside0"}, "dummy0": {}}
			},
			check: func(t *testing.T, cfg *libct.Config, _ *libct.Process) {
				want := []libct.HostNIC{{Name: "dummy0"}, {Name: "eth1", Container: libct.Link{Name: "inside0"}}}
				if !reflect.DeepEqual(cfg.Network.HostNICs, want) {
					t.Errorf("host NICs %+v", cfg.Network.HostNICs)
				}
			},
		},
		{
			name: "seccomp",
			mod: func(s *specs.Spec) {
				s.Linux.Seccomp = &specs.LinuxSeccomp{DefaultAction: specs.ActAllow,
					Syscalls: []specs.LinuxSyscall{{Names: []string{"getcwd"}, Action: specs.ActErrno}}}
			},
			check: func(t *testing.T, cfg *libct.Config, _ *libct.Process) {
				sc := cfg.Security.Seccomp
				if sc == nil || sc.DefaultAction != specs.ActAllow || len(sc.Syscalls) != 1 {
					t.Errorf("seccomp %+v", sc)
				}
			},
		},
		{
			name: "seccomp without flags gets SPEC_ALLOW",
			mod: func(s *specs.Spec) {
				s.Linux.Seccomp = &specs.LinuxSeccomp{DefaultAction: specs.ActAllow}
			},
			check: func(t *testing.T, cfg *libct.Config, _ *libct.Process) {
				want := []specs.LinuxSeccompFlag{specs.LinuxSeccompFlagSpecAllow}
				if !security.FlagSupported(specs.LinuxSeccompFlagSpecAllow) {
					want = nil
				}
				if got := cfg.Security.Seccomp.Flags; !slices.Equal(got, want) {
					t.Errorf("flags %v, want %v", got, want)
				}
			},
		},
		{
			name: "seccomp with empty flags keeps them empty",
			mod: func(s *specs.Spec) {
				s.Linux.Seccomp = &specs.LinuxSeccomp{DefaultAction: specs.ActAllow, Flags: []specs.LinuxSeccompFlag{}}
			},
			check: func(t *testing.T, cfg *libct.Config, _ *libct.Process) {
				if got := cfg.Security.Seccomp.Flags; len(got) != 0 {
					t.Errorf("flags %v, want none", got)
				}
			},
		},
		{
			name: "seccomp flags kept as given",
			mod: func(s *specs.Spec) {
				s.Linux.Seccomp = &specs.LinuxSeccomp{DefaultAction: specs.ActAllow, Flags: []specs.LinuxSeccompFlag{specs.LinuxSeccompFlagLog}}
			},
			check: func(t *testing.T, cfg *libct.Config, _ *libct.Process) {
				if got := cfg.Security.Seccomp.Flags; !slices.Equal(got, []specs.LinuxSeccompFlag{specs.LinuxSeccompFlagLog}) {
					t.Errorf("flags %v, want [SECCOMP_FILTER_FLAG_LOG]", got)
				}
			},
		},
		{
			name: "seccomp notify with a listener",
			mod: func(s *specs.Spec) {
				s.Linux.Seccomp = &specs.LinuxSeccomp{DefaultAction: specs.ActAllow, ListenerPath: "/run/agent.sock",
					Syscalls: []specs.LinuxSyscall{{Names: []string{"mkdir"}, Action: specs.ActNotify}}}
			},
			check: func(t *testing.T, cfg *libct.Config, _ *libct.Process) {
				if cfg.Security.Seccomp.ListenerPath != "/run/agent.sock" {
					t.Errorf("seccomp %+v", cfg.Security.Seccomp)
				}
			},
		},
		{
			name: "propagation private",
			mod:  func(s *specs.Spec) { s.Linux.RootfsPropagation = "rprivate" },
			check: func(t *testing.T, cfg *libct.Config, _ *libct.Process) {
				if cfg.RootPropagation != libct.PropagationPrivate {
					t.Errorf("propagation %v", cfg.RootPropagation)
				}
			},
		},
		{
			name: "propagation slave",
			mod:  func(s *specs.Spec) { s.Linux.RootfsPropagation = "slave" },
			check: func(t *testing.T, cfg *libct.Config, _ *libct.Process) {
				if cfg.RootPropagation != libct.PropagationSlave {
					t.Errorf("propagation %v", cfg.RootPropagation)
				}
			},
		},
		{
			name: "masked and read-only paths",
			mod: func(s *specs.Spec) {
				s.Linux.MaskedPaths = []string{"/proc/kcore", "/sys/firmware/"}
				s.Linux.ReadonlyPaths = []string{"/proc/sys"}
			},
			check: func(t *testing.T, cfg *libct.Config, _ *libct.Process) {
				if !slices.Equal(cfg.MaskedPaths, []string{"/proc/kcore", "/sys/firmware"}) || !slices.Equal(cfg.ReadonlyPaths, []string{"/proc/sys"}) {
					t.Errorf("masked %v read-only %v", cfg.MaskedPaths, cfg.ReadonlyPaths)
				}
			},
		},
		{
			name: "device path",
			mod: func(s *specs.Spec) {
				s.Linux.Devices = []specs.LinuxDevice{{Path: "dev/null", Type: "c", Major: 1, Minor: 3}}
			},
			errPath: "linux.devices[0].path",
		},
		{
			name:     "device type",
			mod:      func(s *specs.Spec) { s.Linux.Devices = []specs.LinuxDevice{{Path: "/dev/x", Type: "x"}} },
			errPath:  "linux.devices[0].type",
			errParts: []string{`"x": unknown device type`},
		},
		{
			name:    "device major",
			mod:     func(s *specs.Spec) { s.Linux.Devices = []specs.LinuxDevice{{Path: "/dev/x", Type: "c", Major: -1}} },
			errPath: "linux.devices[0].major",
		},
		{
			name: "device mode with another type",
			mod: func(s *specs.Spec) {
				s.Linux.Devices = []specs.LinuxDevice{{Path: "/dev/x", Type: "c", FileMode: ptr(os.FileMode(0o60666))}}
			},
			errPath: "linux.devices[0].fileMode",
		},
		{
			name: "device mode setuid",
			mod: func(s *specs.Spec) {
				s.Linux.Devices = []specs.LinuxDevice{{Path: "/dev/x", Type: "c", FileMode: ptr(os.FileMode(0o4666))}}
			},
			errPath: "linux.devices[0].fileMode",
		},
		{
			name: "devices without a mount namespace: shared mounts",
			mod: func(s *specs.Spec) {
				s.Linux.Namespaces = s.Linux.Namespaces[1:]
				s.Linux.Devices = []specs.LinuxDevice{{Path: "/dev/x", Type: "p"}}
			},
			check: func(t *testing.T, cfg *libct.Config, _ *libct.Process) {
				if cfg.Options&libct.SharedMounts == 0 {
					t.Errorf("options %b lack SharedMounts", cfg.Options)
				}
			},
		},
		{
			name: "net devices without a network namespace",
			mod: func(s *specs.Spec) {
				s.Linux.Namespaces = s.Linux.Namespaces[:4]
				s.Linux.NetDevices = map[string]specs.LinuxNetDevice{"eth1": {}}
			},
			errPath: "linux.netDevices",
		},
		{
			name: "seccomp action",
			mod: func(s *specs.Spec) {
				s.Linux.Seccomp = &specs.LinuxSeccomp{DefaultAction: specs.ActAllow,
					Syscalls: []specs.LinuxSyscall{{Names: []string{"getcwd"}, Action: "SCMP_ACT_FOO"}}}
			},
			errPath:  "linux.seccomp.syscalls[0].action",
			errParts: []string{`"SCMP_ACT_FOO": unknown action`},
		},
		{
			name: "seccomp notify without a listener",
			mod: func(s *specs.Spec) {
				s.Linux.Seccomp = &specs.LinuxSeccomp{DefaultAction: specs.ActAllow,
					Syscalls: []specs.LinuxSyscall{{Names: []string{"getcwd"}, Action: specs.ActErrno}, {Names: []string{"mkdir"}, Action: specs.ActNotify}}}
			},
			errPath:  "linux.seccomp.listenerPath",
			errParts: []string{"linux.seccomp.syscalls[1]"},
		},
		{
			name: "shared root propagation",
			mod:  func(s *specs.Spec) { s.Linux.RootfsPropagation = "shared" },
			check: func(t *testing.T, cfg *libct.Config, _ *libct.Process) {
				if cfg.RootPropagation != libct.PropagationShared {
					t.Errorf("root propagation %v", cfg.RootPropagation)
				}
			},
		},
		{
			name: "unbindable root propagation",
			mod:  func(s *specs.Spec) { s.Linux.RootfsPropagation = "unbindable" },
			check: func(t *testing.T, cfg *libct.Config, _ *libct.Process) {
				if cfg.RootPropagation != libct.PropagationUnbindable {
					t.Errorf("root propagation %v", cfg.RootPropagation)
				}
			},
		},
		{
			name:    "unknown root propagation",
			mod:     func(s *specs.Spec) { s.Linux.RootfsPropagation = "sideways" },
			errPath: "linux.rootfsPropagation",
		},
		{
			name:    "relative masked path",
			mod:     func(s *specs.Spec) { s.Linux.MaskedPaths = []string{"/proc/kcore", "proc/keys"} },
			errPath: "linux.maskedPaths[1]",
		},
		{
			name:    "read-only root path",
			mod:     func(s *specs.Spec) { s.Linux.ReadonlyPaths = []string{"/"} },
			errPath: "linux.readonlyPaths[0]",
		},
		{
			name: "masked paths without a mount namespace: shared mounts",
			mod: func(s *specs.Spec) {
				s.Linux.Namespaces = s.Linux.Namespaces[1:]
				s.Linux.MaskedPaths = []string{"/proc/kcore"}
			},
			check: func(t *testing.T, cfg *libct.Config, _ *libct.Process) {
				if cfg.Options&libct.SharedMounts == 0 {
					t.Errorf("options %b lack SharedMounts", cfg.Options)
				}
			},
		},
		{
			name:        "intel RDT",
			mod:         func(s *specs.Spec) { s.Linux.IntelRdt = &specs.LinuxIntelRdt{ClosID: "x"} },
			errPath:     "linux.intelRdt",
			errParts:    []string{"not supported"},
			unsupported: true,
		},
		{
			name:        "memory policy",
			mod:         func(s *specs.Spec) { s.Linux.MemoryPolicy = &specs.LinuxMemoryPolicy{Mode: specs.MpolBind, Nodes: "0"} },
			errPath:     "linux.memoryPolicy",
			unsupported: true,
		},
	})
}

func TestConvertIntelRdtNamesTheHost(t *testing.T) {
	if resctrlMounted() {
		t.Skip("this host has resctrl mounted")
	}
	s := minimalSpec()
	s.Linux.IntelRdt = &specs.LinuxIntelRdt{}
	_, _, err := Convert("x", testBundle(t), s)
	wantFieldError(t, err, "linux.intelRdt", "linux.intelRdt: not supported on this host")
}
