package cinit

import (
	"encoding/binary"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/libct/libct/internal/hooks"
	"github.com/libct/libct/internal/spec"
	"github.com/libct/libct/rootfs"
	"github.com/libct/libct/security"
)

// decoded is an operation of a program, read back.
type decoded struct {
	code uint32
	args []string
}

// decode reads a program the way cinit.c's next does.
func decode(t *testing.T, prog []byte) []decoded {
	t.Helper()
	var ops []decoded
	for len(prog) > 0 {
		if len(prog) < 8 {
			t.Fatalf("truncated operation header: %d bytes left", len(prog))
		}
		op := decoded{code: binary.LittleEndian.Uint32(prog)}
		n := binary.LittleEndian.Uint32(prog[4:])
		prog = prog[8:]
		for range n {
			l := binary.LittleEndian.Uint32(prog)
			if int(l)+5 > len(prog) || prog[4+l] != 0 {
				t.Fatalf("operation %d: bad argument", op.code)
			}
			op.args = append(op.args, string(prog[4:4+l]))
			prog = prog[5+l:]
		}
		ops = append(ops, op)
	}
	return ops
}

func codes(ops []decoded) []uint32 {
	var out []uint32
	for _, op := range ops {
		out = append(out, op.code)
	}
	return out
}

// testRoot is a root with the files the user is resolved from.
func testRoot(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	os.MkdirAll(filepath.Join(root, "etc"), 0o755)
	os.WriteFile(filepath.Join(root, "etc/passwd"), []byte("root:x:0:0:root:/root:/bin/sh\nalice:x:1000:1000::/home/alice:/bin/sh\n"), 0o644)
	os.WriteFile(filepath.Join(root, "etc/group"), []byte("root:x:0:\nstaff:x:50:alice\nalice:x:1000:\n"), 0o644)
	return root
}

func baseInit(root string) *spec.Init {
	return &spec.Init{
		Rootfs:  rootfs.Spec{Root: root, MountNS: true, MountProc: true, MinimalDev: true},
		Process: spec.Process{Args: []string{"sh"}, SetgroupsAllowed: true},
	}
}

// TestCompileWithoutCInit: a binary without the C init (no cgo) compiles
// nothing, so that every start goes to the Go init; one with it compiles
// the base start.
func TestCompileWithoutCInit(t *testing.T) {
	if _, ok := Compile(baseInit(testRoot(t))); ok != Available {
		t.Errorf("Compile ok = %v with the C init linked in: %v", ok, Available)
	}
	if _, ok := CompileEnter(&spec.Init{Process: spec.Process{Args: []string{"sh"}}}, testRoot(t)); ok != Available {
		t.Errorf("CompileEnter ok = %v with the C init linked in: %v", ok, Available)
	}
}

// TestCompileLeavesToTheGoInit: each feature the C init does not have
// sends the start to the Go init, and the base start does not.
func TestCompileLeavesToTheGoInit(t *testing.T) {
	root := testRoot(t)
	u32 := uint32(0)
	for _, tc := range []struct {
		name   string
		change func(s *spec.Init)
		ok     bool
	}{
		{"base", func(*spec.Init) {}, true},
		{"time namespace", func(s *spec.Init) { s.NewTimeNS = true }, false},
		{"re-exec for a new user namespace", func(s *spec.Init) { s.Reexec = true }, false},
		{"prestart hooks", func(s *spec.Init) { s.PreSwitchHooks = true }, false},
		{"createContainer hooks", func(s *spec.Init) { s.CreateContainer = []hooks.Hook{{Path: "/bin/true"}} }, false},
		{"startContainer hooks", func(s *spec.Init) { s.StartContainer = []hooks.Hook{{Path: "/bin/true"}} }, false},
		{"registered function", func(s *spec.Init) { s.Process.Func = "f" }, false},
		{"terminal inside", func(s *spec.Init) { s.Process.TerminalInside = true }, false},
		{"personality", func(s *spec.Init) { s.Process.Personality = &u32 }, false},
		{"io priority", func(s *spec.Init) { s.Process.IOPriority = 1 }, false},
		{"AppArmor", func(s *spec.Init) { s.Process.Labels.AppArmorProfile = "p" }, false},
		{"no mount namespace", func(s *spec.Init) { s.Rootfs.MountNS = false }, false},
		{"no root", func(s *spec.Init) { s.Rootfs.Root = "" }, false},
		{"private area", func(s *spec.Init) { s.Rootfs.Private = root }, false},
		{"mount action", func(s *spec.Init) {
			s.Rootfs.Mounts = []rootfs.Mount{{Destination: "/m", Type: "tmpfs", PreAction: []string{"true"}}}
		}, false},
		{"a mount over /etc", func(s *spec.Init) {
			s.Rootfs.Mounts = []rootfs.Mount{{Destination: "/etc", Type: "tmpfs"}}
		}, false},
		{"a mount over /etc/passwd", func(s *spec.Init) {
			s.Rootfs.Mounts = []rootfs.Mount{{Source: "/etc/passwd", Destination: "//etc/./passwd", Flags: rootfs.Bind}}
		}, false},
		{"a mount under /etc elsewhere", func(s *spec.Init) {
			s.Rootfs.Mounts = []rootfs.Mount{{Source: "/etc/hosts", Destination: "/etc/hosts", Flags: rootfs.Bind}}
		}, true},
		{"a mount through a symlink to /etc", func(s *spec.Init) {
			os.Symlink("etc", filepath.Join(s.Rootfs.Root, "conf"))
			s.Rootfs.Mounts = []rootfs.Mount{{Destination: "/conf", Type: "tmpfs"}}
		}, false},
		{"a mount below a bind mount", func(s *spec.Init) {
			s.Rootfs.Mounts = []rootfs.Mount{
				{Source: "/srv", Destination: "/srv", Flags: rootfs.Bind},
				{Destination: "/srv/x/passwd", Type: "tmpfs"},
			}
		}, false},
		{"mounts below proc, dev and sys", func(s *spec.Init) {
			s.Rootfs.Mounts = []rootfs.Mount{
				{Destination: "/proc", Type: "proc"}, {Destination: "/dev", Type: "tmpfs"},
				{Destination: "/dev/mqueue", Type: "mqueue"}, {Destination: "/sys", Type: "sysfs"},
				{Destination: "/sys/fs/cgroup", Type: "cgroup2"},
			}
			s.Rootfs.MaskedPaths = []string{"/proc/kcore", "/sys/firmware"}
		}, true},
		{"a masked /etc/group", func(s *spec.Init) { s.Rootfs.MaskedPaths = []string{"/etc/group"} }, false},
		{"a device at /etc/passwd", func(s *spec.Init) {
			s.Rootfs.Devices = []rootfs.Device{{Path: "/etc/passwd", Type: rootfs.CharDevice, Major: 1, Minor: 3}}
		}, false},
		{"unknown user name", func(s *spec.Init) { s.Process.User = "nobody-here" }, false},
		{"user by name", func(s *spec.Init) { s.Process.User = "alice" }, true},
		{"unknown capability", func(s *spec.Init) {
			s.Process.Capabilities = &security.Capabilities{Bounding: []string{"CAP_NOPE"}}
		}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := baseInit(testRoot(t))
			tc.change(s)
			if _, ok := compile(s); ok != tc.ok {
				t.Errorf("Compile ok = %v, want %v", ok, tc.ok)
			}
		})
	}
	t.Run("symlinked /etc/passwd", func(t *testing.T) {
		r := testRoot(t)
		os.Rename(filepath.Join(r, "etc/passwd"), filepath.Join(r, "passwd"))
		os.Symlink("../passwd", filepath.Join(r, "etc/passwd"))
		if _, ok := compile(baseInit(r)); ok {
			t.Error("Compile ok with a symlinked /etc/passwd")
		}
	})
}

// TestCompileOrder: the program does the work in initstage's order, and
// resolves the user on the host as the Go init would in the container.
func TestCompileOrder(t *testing.T) {
	s := baseInit(testRoot(t))
	s.LoopbackUp = true
	s.Hostname = "h"
	s.ExecFifo = 5
	s.Rootfs.Mounts = []rootfs.Mount{{Source: "/srv", Destination: "/srv", Flags: rootfs.Bind | rootfs.ReadOnly | rootfs.Private}}
	s.Rootfs.MaskedPaths = []string{"/proc/kcore"}
	s.Rootfs.ReadonlyPaths = []string{"/proc/sys"}
	s.Process.User = "alice"
	s.Process.Env = []string{"PATH=/bin"}
	s.Process.Capabilities = security.DefaultCapabilities()
	s.Process.NoNewPrivs = true
	prog, ok := compile(s)
	if !ok {
		t.Fatal("Compile refused the start")
	}
	ops := decode(t, prog)
	want := []uint32{
		opLoopback, opSethostname, opOpenProcFD,
		opMount, opMount, opOpenRoot, // propagation, bind of the root, its descriptor
		opTarget, opMountTarget, // /proc
		opMinimalDev,
		opTarget, opMountTarget, opReopenTarget, opRemountBind, opPropagateTarget, // the bind mount
		opReadonlyPath, opMaskPath, opCloseRoot, opPivot,
		opLookPath, opReady,
		opCapsPrepare, opCloseRange, opChdir, opSetgroups, opSetresgid, opSetresuid, opChdir, opCapsApply, opNoNewPrivs,
		opSendTrace, opAnnounceExec, opExec,
	}
	if got := codes(ops); !slices.Equal(got, want) {
		t.Errorf("operations\n got %v\nwant %v", got, want)
	}
	for _, op := range ops {
		switch op.code {
		case opSetgroups:
			if len(op.args) != 1 || binary.LittleEndian.Uint64([]byte(op.args[0])) != 50 {
				t.Errorf("setgroups %q, want alice's group 50", op.args)
			}
		case opSetresuid:
			if binary.LittleEndian.Uint64([]byte(op.args[0])) != 1000 {
				t.Errorf("setresuid %q, want 1000", op.args)
			}
		case opExec:
			env := op.args[2:]
			if !slices.Equal(env, []string{"PATH=/bin", "HOME=/home/alice"}) {
				t.Errorf("exec environment %q", env)
			}
		}
	}
}

// TestCompileJoinsCgroups: the init moves itself into each v1 directory
// of CgroupJoin first, before the cgroup namespace it makes there.
func TestCompileJoinsCgroups(t *testing.T) {
	if !Available {
		t.Skip("built without cgo: no C init")
	}
	s := baseInit(testRoot(t))
	s.CgroupJoin = []string{"/sys/fs/cgroup/cpu/c", "/sys/fs/cgroup/pids/c"}
	s.UnshareCgroupNS = true
	prog, ok := Compile(s)
	if !ok {
		t.Fatal("Compile refused the start")
	}
	ops := decode(t, prog)
	if len(ops) < 2 {
		t.Fatalf("%d operations", len(ops))
	}
	if ops[0].code != opJoinCgroup || !slices.Equal(ops[0].args, []string{strings.Join(s.CgroupJoin, "\x00")}) {
		t.Errorf("operation 0: %d %q, want join %q", ops[0].code, ops[0].args, s.CgroupJoin)
	}
	if ops[1].code != opUnshare {
		t.Errorf("operation 1: %d, want the cgroup namespace's unshare", ops[1].code)
	}
}

// TestCompileKnowsEveryField: a field added to the init's spec must be
// taught to Compile (applied, or sent to the Go init) before this passes.
func TestCompileKnowsEveryField(t *testing.T) {
	for _, tc := range []struct {
		typ   reflect.Type
		known []string
	}{
		{reflect.TypeFor[spec.Init](), []string{"NewTimeNS", "MonotonicOffset", "BoottimeOffset", "Reexec",
			"UnshareCgroupNS", "LoopbackUp", "Rootfs", "Hostname", "Domainname", "Sysctl", "Process",
			"PreSwitchHooks", "CreateContainer", "StartContainer", "HookState", "Trace", "ExecFifo", "MountSources", "CgroupJoin"}},
		{reflect.TypeFor[spec.Process](), []string{"Args", "Func", "FuncArg", "Env", "Cwd", "User",
			"AdditionalGroups", "SetgroupsAllowed", "Rlimits", "Umask", "HasUmask", "Pdeathsig", "ExtraFiles",
			"Terminal", "TerminalInside", "ConsoleBind", "ConsoleRows", "ConsoleCols", "ConsoleRawOutput", "Personality",
			"IOPriority", "Scheduler", "CPUAffinity", "Capabilities", "NoNewPrivs", "Seccomp", "Labels",
			"OOMScoreAdj"}},
		{reflect.TypeFor[rootfs.Spec](), []string{"Root", "Private", "Propagation", "ReadOnly", "Mounts",
			"Devices", "MaskedPaths", "ReadonlyPaths", "MountProc", "MinimalDev", "MountNS", "NoPivot", "SharedMountNS",
			"UserNS", "Console", "SourcePaths", "IDMapped"}},
		{reflect.TypeFor[rootfs.Mount](), []string{"Source", "Destination", "Type", "Data", "Flags",
			"PreAction", "PostAction", "IDMap"}},
		{reflect.TypeFor[security.Labels](), []string{"AppArmorProfile", "SELinuxLabel", "SELinuxMountLabel"}},
	} {
		var got []string
		for f := range tc.typ.Fields() {
			got = append(got, f.Name)
		}
		if !slices.Equal(got, tc.known) {
			t.Errorf("%v has fields %q; Compile knows %q", tc.typ, got, tc.known)
		}
	}
}
