//go:build amd64

package security

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math/rand"
	"slices"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// run interprets the filter on one struct seccomp_data, as the kernel
// would, for the instructions the compiler emits.
func run(t testing.TB, prog []unix.SockFilter, arch, nr uint32, args [6]uint64) uint32 {
	t.Helper()
	data := make([]byte, 64)
	binary.LittleEndian.PutUint32(data[0:], nr)
	binary.LittleEndian.PutUint32(data[4:], arch)
	for i, a := range args {
		binary.LittleEndian.PutUint64(data[16+8*i:], a)
	}
	var acc uint32
	for pc := 0; pc < len(prog); pc++ {
		in := prog[pc]
		switch in.Code {
		case bpfLdAbsW:
			if in.K%4 != 0 || in.K+4 > 64 {
				t.Fatalf("pc %d: load at %d", pc, in.K)
			}
			acc = binary.LittleEndian.Uint32(data[in.K:])
		case bpfAndK:
			acc &= in.K
		case bpfJa:
			pc += int(in.K)
		case bpfJeqK, bpfJgtK, bpfJgeK:
			var ok bool
			switch in.Code {
			case bpfJeqK:
				ok = acc == in.K
			case bpfJgtK:
				ok = acc > in.K
			default:
				ok = acc >= in.K
			}
			if ok {
				pc += int(in.Jt)
			} else {
				pc += int(in.Jf)
			}
		case bpfRetK:
			return in.K
		default:
			t.Fatalf("pc %d: unexpected instruction %+v", pc, in)
		}
	}
	t.Fatal("ran off the end of the program")
	return 0
}

func errnoRet(e unix.Errno) *uint {
	v := uint(e)
	return &v
}

const (
	retAllow = unix.SECCOMP_RET_ALLOW
	retKill  = unix.SECCOMP_RET_KILL_PROCESS
)

func retErrno(e unix.Errno) uint32 { return unix.SECCOMP_RET_ERRNO | uint32(e) }

func TestValidateSeccomp(t *testing.T) {
	ok := specs.LinuxSyscall{Names: []string{"read"}, Action: specs.ActAllow}
	with := func(sc ...specs.LinuxSyscall) *specs.LinuxSeccomp {
		return &specs.LinuxSeccomp{DefaultAction: specs.ActErrno, Syscalls: append([]specs.LinuxSyscall{ok, ok, ok}, sc...)}
	}
	tests := []struct {
		name string
		p    *specs.LinuxSeccomp
		want string
	}{
		{name: "nil"},
		{name: "default profile", p: DefaultProfile()},
		{name: "every action", p: &specs.LinuxSeccomp{DefaultAction: specs.ActKillProcess, Syscalls: []specs.LinuxSyscall{
			{Names: []string{"a"}, Action: specs.ActKill}, {Names: []string{"a"}, Action: specs.ActKillThread},
			{Names: []string{"a"}, Action: specs.ActTrap}, {Names: []string{"a"}, Action: specs.ActErrno, ErrnoRet: errnoRet(unix.EIO)},
			{Names: []string{"a"}, Action: specs.ActTrace, ErrnoRet: errnoRet(7)}, {Names: []string{"a"}, Action: specs.ActAllow},
			{Names: []string{"a"}, Action: specs.ActLog}, {Names: []string{"a"}, Action: specs.ActNotify},
		}, Flags: []specs.LinuxSeccompFlag{"SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_SPEC_ALLOW", "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV"}}},
		{
			name: "unknown default action",
			p:    &specs.LinuxSeccomp{DefaultAction: "SCMP_ACT_DENY"},
			want: `seccomp.defaultAction "SCMP_ACT_DENY": unknown action`,
		},
		{
			name: "missing default action",
			p:    &specs.LinuxSeccomp{},
			want: `seccomp.defaultAction "": unknown action`,
		},
		{
			name: "unknown syscall action",
			p:    with(specs.LinuxSyscall{Names: []string{"mkdir"}, Action: "SCMP_ACT_FOO"}),
			want: `seccomp.syscalls[3].action "SCMP_ACT_FOO": unknown action`,
		},
		{
			name: "unknown operator",
			p: with(specs.LinuxSyscall{Names: []string{"personality"}, Action: specs.ActAllow, Args: []specs.LinuxSeccompArg{
				{Index: 0, Op: specs.OpEqualTo}, {Index: 1, Op: "SCMP_CMP_FOO"},
			}}),
			want: `seccomp.syscalls[3].args[1].op "SCMP_CMP_FOO": unknown operator`,
		},
		{
			name: "argument index out of range",
			p:    with(specs.LinuxSyscall{Names: []string{"read"}, Action: specs.ActAllow, Args: []specs.LinuxSeccompArg{{Index: 6, Op: specs.OpEqualTo}}}),
			want: `seccomp.syscalls[3].args[0].index 6: out of range 0..5`,
		},
		{
			name: "unknown architecture",
			p:    &specs.LinuxSeccomp{DefaultAction: specs.ActAllow, Architectures: []specs.Arch{specs.ArchX86_64, "SCMP_ARCH_VAX"}},
			want: `seccomp.architectures[1] "SCMP_ARCH_VAX": unknown architecture`,
		},
		{
			name: "foreign architecture",
			p:    &specs.LinuxSeccomp{DefaultAction: specs.ActAllow, Architectures: []specs.Arch{specs.ArchAARCH64}},
		},
		{
			name: "unknown flag",
			p:    &specs.LinuxSeccomp{DefaultAction: specs.ActAllow, Flags: []specs.LinuxSeccompFlag{"SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_FOO"}},
			want: `seccomp.flags[1] "SECCOMP_FILTER_FLAG_FOO": unknown flag`,
		},
		{
			name: "killable receive without notify",
			p:    &specs.LinuxSeccomp{DefaultAction: specs.ActAllow, Flags: []specs.LinuxSeccompFlag{specs.LinuxSeccompFlagWaitKillableRecv}},
			want: `seccomp.flags[0] "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV": needs an SCMP_ACT_NOTIFY rule`,
		},
		{
			name: "errnoRet with allow",
			p:    with(specs.LinuxSyscall{Names: []string{"read"}, Action: specs.ActAllow, ErrnoRet: errnoRet(1)}),
			want: `seccomp.syscalls[3].errnoRet: only for SCMP_ACT_ERRNO and SCMP_ACT_TRACE, not SCMP_ACT_ALLOW`,
		},
		{
			name: "errnoRet too large",
			p:    with(specs.LinuxSyscall{Names: []string{"read"}, Action: specs.ActErrno, ErrnoRet: errnoRet(5000)}),
			want: `seccomp.syscalls[3].errnoRet 5000: out of range 0..4095`,
		},
		{
			name: "defaultErrnoRet with kill",
			p:    &specs.LinuxSeccomp{DefaultAction: specs.ActKill, DefaultErrnoRet: errnoRet(1)},
			want: `seccomp.defaultErrnoRet: only for SCMP_ACT_ERRNO and SCMP_ACT_TRACE, not SCMP_ACT_KILL`,
		},
		{
			name: "notify by default",
			p:    &specs.LinuxSeccomp{DefaultAction: specs.ActNotify},
			want: `seccomp.defaultAction "SCMP_ACT_NOTIFY": not allowed as the default action: the init could not hand the listener over`,
		},
		{
			name: "notify on sendmsg",
			p:    with(specs.LinuxSyscall{Names: []string{"mkdir", "sendmsg"}, Action: specs.ActNotify}),
			want: `seccomp.syscalls[3].names[1] "sendmsg": SCMP_ACT_NOTIFY cannot be used for the sendmsg syscall: the init hands the listener over with it`,
		},
		{
			name: "notify on write",
			p:    with(specs.LinuxSyscall{Names: []string{"write"}, Action: specs.ActNotify}),
			want: `seccomp.syscalls[3].names[0] "write": SCMP_ACT_NOTIFY cannot be used for the write syscall: the init reports to its parent with it once the filter is installed, also when the agent is gone`,
		},
		{
			name: "write under another action is no error",
			p:    with(specs.LinuxSyscall{Names: []string{"write"}, Action: specs.ActErrno}),
		},
		{
			name: "no names",
			p:    with(specs.LinuxSyscall{Action: specs.ActAllow}),
			want: `seccomp.syscalls[3].names: empty`,
		},
		{
			name: "empty name",
			p:    with(specs.LinuxSyscall{Names: []string{"read", ""}, Action: specs.ActAllow}),
			want: `seccomp.syscalls[3].names[1]: empty name`,
		},
		{
			name: "unknown syscall name is no error",
			p:    with(specs.LinuxSyscall{Names: []string{"no_such_syscall"}, Action: specs.ActAllow}),
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := ValidateSeccomp(tc.p)
			got := ""
			if err != nil {
				got = err.Error()
			}
			if got != tc.want {
				t.Fatalf("ValidateSeccomp() = %q, want %q", got, tc.want)
			}
			f, err := CompileSeccomp(tc.p)
			if (err != nil) != (tc.want != "") || (err != nil && err.Error() != tc.want) {
				t.Fatalf("CompileSeccomp() error %v, want %q", err, tc.want)
			}
			if tc.p == nil && f != nil {
				t.Fatal("a nil profile compiled to a filter")
			}
		})
	}
}

// compare is the reference for the argument operators.
func compare(op specs.LinuxSeccompOperator, arg, value, valueTwo uint64) bool {
	switch op {
	case specs.OpEqualTo:
		return arg == value
	case specs.OpNotEqual:
		return arg != value
	case specs.OpLessThan:
		return arg < value
	case specs.OpLessEqual:
		return arg <= value
	case specs.OpGreaterThan:
		return arg > value
	case specs.OpGreaterEqual:
		return arg >= value
	case specs.OpMaskedEqual:
		return arg&value == valueTwo
	}
	panic(op)
}

var allOps = []specs.LinuxSeccompOperator{
	specs.OpEqualTo, specs.OpNotEqual, specs.OpLessThan, specs.OpLessEqual,
	specs.OpGreaterThan, specs.OpGreaterEqual, specs.OpMaskedEqual,
}

// boundary are values around the 32-bit halves' edges.
var boundary = []uint64{
	0, 1, 2, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff, 0x100000000, 0x100000001,
	0x1fffffffe, 0x1ffffffff, 0x200000000, 0xffffffff00000000, 0xffffffff00000001,
	0xfffffffffffffffe, 0xffffffffffffffff, 0x8000000000000000, 0x7fffffffffffffff,
}

// TestArgumentOperators checks every operator against the reference on
// the boundary values and on random ones, for each argument index.
func TestArgumentOperators(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	values := slices.Clone(boundary)
	for range 12 {
		values = append(values, rng.Uint64(), rng.Uint64()&0xffffffff, rng.Uint64()<<32)
	}
	for _, op := range allOps {
		for _, v := range values {
			valueTwo := v & 0x0000ffff0000ff00
			for idx := uint(0); idx < 6; idx++ {
				p := &specs.LinuxSeccomp{DefaultAction: specs.ActAllow, Syscalls: []specs.LinuxSyscall{{
					Names: []string{"getpgid"}, Action: specs.ActErrno, ErrnoRet: errnoRet(unix.EXDEV),
					Args: []specs.LinuxSeccompArg{{Index: idx, Op: op, Value: v, ValueTwo: valueTwo}},
				}}}
				f, err := CompileSeccomp(p)
				if err != nil {
					t.Fatal(err)
				}
				for _, arg := range values {
					var args [6]uint64
					for i := range args {
						args[i] = ^arg // the other arguments must not matter
					}
					args[idx] = arg
					want := uint32(retAllow)
					if compare(op, arg, v, valueTwo) {
						want = retErrno(unix.EXDEV)
					}
					if got := run(t, f.program, unix.AUDIT_ARCH_X86_64, unix.SYS_GETPGID, args); got != want {
						t.Fatalf("%s(arg%d=%#x, value %#x, valueTwo %#x) = %#x, want %#x", op, idx, arg, v, valueTwo, got, want)
					}
				}
			}
		}
	}
}

// TestCompile checks what filters return, case by case.
func TestCompile(t *testing.T) {
	type call struct {
		arch uint32
		nr   uint32
		args [6]uint64
		want uint32
	}
	x86 := func(nr int, want uint32, args ...uint64) call {
		c := call{arch: unix.AUDIT_ARCH_X86_64, nr: uint32(nr), want: want}
		copy(c.args[:], args)
		return c
	}
	i386 := func(nr int, want uint32, args ...uint64) call {
		c := x86(nr, want, args...)
		c.arch = unix.AUDIT_ARCH_I386
		return c
	}
	denyMkdir := []specs.LinuxSyscall{{Names: []string{"mkdir"}, Action: specs.ActErrno, ErrnoRet: errnoRet(unix.EPERM)}}
	tests := []struct {
		name    string
		p       specs.LinuxSeccomp
		calls   []call
		skipped []string
		flags   uint
	}{
		{
			name: "deny list",
			p:    specs.LinuxSeccomp{DefaultAction: specs.ActAllow, Syscalls: denyMkdir},
			calls: []call{
				x86(unix.SYS_MKDIR, retErrno(unix.EPERM)), x86(unix.SYS_MKDIRAT, retAllow), x86(unix.SYS_RMDIR, retAllow),
				x86(unix.SYS_READ, retAllow), x86(471, retAllow), x86(1000, retAllow),
				// x32 not listed: killed; i386 not listed: killed.
				x86(unix.SYS_MKDIR|x32SyscallBit, retKill), x86(0xffffffff, retKill), i386(39, retKill),
				{arch: 0xdeadbeef, nr: 0, want: retKill},
			},
		},
		{
			name: "deny list with x32 and i386",
			p: specs.LinuxSeccomp{
				DefaultAction: specs.ActAllow, Syscalls: denyMkdir,
				Architectures: []specs.Arch{specs.ArchX86_64, specs.ArchX86, specs.ArchX32},
			},
			calls: []call{
				x86(unix.SYS_MKDIR, retErrno(unix.EPERM)),
				// An x32 mkdir must not get past the rule for mkdir.
				x86(unix.SYS_MKDIR|x32SyscallBit, retErrno(unix.ENOSYS)), x86(0x40000000+512, retErrno(unix.ENOSYS)),
				i386(39, retErrno(unix.EPERM)), // mkdir on i386
				i386(83, retAllow),             // symlink on i386, mkdir on x86_64
			},
		},
		{
			name: "allow list with errno default and ENOSYS for unknown numbers",
			p: specs.LinuxSeccomp{
				DefaultAction: specs.ActErrno, DefaultErrnoRet: errnoRet(unix.EACCES),
				Architectures: []specs.Arch{specs.ArchX86_64, specs.ArchX32},
				Syscalls:      []specs.LinuxSyscall{{Names: []string{"read", "write", "exit_group", "socketcall"}, Action: specs.ActAllow}},
			},
			calls: []call{
				x86(unix.SYS_READ, retAllow), x86(unix.SYS_WRITE, retAllow), x86(unix.SYS_OPEN, retErrno(unix.EACCES)),
				x86(unix.SYS_EXIT_GROUP, retAllow), x86(sysX86_64Max, retErrno(unix.EACCES)),
				x86(sysX86_64Max+1, retErrno(unix.ENOSYS)), x86(0x3fffffff, retErrno(unix.ENOSYS)),
				x86(unix.SYS_READ|x32SyscallBit, retErrno(unix.EACCES)),
			},
			skipped: []string{"socketcall"},
		},
		{
			name: "default errno is EPERM",
			p:    specs.LinuxSeccomp{DefaultAction: specs.ActErrno, Syscalls: []specs.LinuxSyscall{{Names: []string{"read"}, Action: specs.ActErrno}}},
			calls: []call{
				x86(unix.SYS_READ, retErrno(unix.EPERM)), x86(unix.SYS_WRITE, retErrno(unix.EPERM)),
			},
		},
		{
			name: "actions",
			p: specs.LinuxSeccomp{DefaultAction: specs.ActKillThread, Syscalls: []specs.LinuxSyscall{
				{Names: []string{"read"}, Action: specs.ActKill},
				{Names: []string{"write"}, Action: specs.ActKillProcess},
				{Names: []string{"open"}, Action: specs.ActTrap},
				{Names: []string{"close"}, Action: specs.ActTrace, ErrnoRet: errnoRet(1234)},
				{Names: []string{"stat"}, Action: specs.ActTrace},
				{Names: []string{"fstat"}, Action: specs.ActLog},
				{Names: []string{"lstat"}, Action: specs.ActNotify},
				{Names: []string{"poll"}, Action: specs.ActAllow},
				{Names: []string{"lseek"}, Action: specs.ActErrno, ErrnoRet: errnoRet(0)},
			}, Flags: []specs.LinuxSeccompFlag{"SECCOMP_FILTER_FLAG_TSYNC", specs.LinuxSeccompFlagLog}},
			calls: []call{
				x86(unix.SYS_READ, unix.SECCOMP_RET_KILL_THREAD), x86(unix.SYS_WRITE, retKill),
				x86(unix.SYS_OPEN, unix.SECCOMP_RET_TRAP), x86(unix.SYS_CLOSE, unix.SECCOMP_RET_TRACE|1234),
				x86(unix.SYS_STAT, unix.SECCOMP_RET_TRACE|uint32(unix.EPERM)), x86(unix.SYS_FSTAT, unix.SECCOMP_RET_LOG),
				x86(unix.SYS_LSTAT, unix.SECCOMP_RET_USER_NOTIF), x86(unix.SYS_POLL, retAllow),
				x86(unix.SYS_LSEEK, unix.SECCOMP_RET_ERRNO), x86(unix.SYS_MMAP, unix.SECCOMP_RET_KILL_THREAD),
				// Killing by default leaves unknown numbers killed too.
				x86(1000, unix.SECCOMP_RET_KILL_THREAD),
			},
			// TSYNC is accepted and left out: the init's thread that
			// execs is the one that matters.
			flags: unix.SECCOMP_FILTER_FLAG_LOG | unix.SECCOMP_FILTER_FLAG_NEW_LISTENER,
		},
		{
			name: "conditions of one entry all hold",
			p: specs.LinuxSeccomp{DefaultAction: specs.ActAllow, Syscalls: []specs.LinuxSyscall{{
				Names: []string{"kill"}, Action: specs.ActErrno, ErrnoRet: errnoRet(unix.ESRCH),
				Args: []specs.LinuxSeccompArg{{Index: 0, Value: 1, Op: specs.OpEqualTo}, {Index: 1, Value: 9, Op: specs.OpEqualTo}},
			}}},
			calls: []call{
				x86(unix.SYS_KILL, retErrno(unix.ESRCH), 1, 9), x86(unix.SYS_KILL, retAllow, 1, 15),
				x86(unix.SYS_KILL, retAllow, 2, 9),
			},
		},
		{
			name: "conditions on one index are alternatives",
			p: specs.LinuxSeccomp{DefaultAction: specs.ActErrno, Syscalls: []specs.LinuxSyscall{{
				Names: []string{"personality"}, Action: specs.ActAllow,
				Args: []specs.LinuxSeccompArg{{Index: 0, Value: 0, Op: specs.OpEqualTo}, {Index: 0, Value: 8, Op: specs.OpEqualTo}},
			}}},
			calls: []call{
				x86(unix.SYS_PERSONALITY, retAllow, 0), x86(unix.SYS_PERSONALITY, retAllow, 8),
				x86(unix.SYS_PERSONALITY, retErrno(unix.EPERM), 9), x86(unix.SYS_PERSONALITY, retErrno(unix.EPERM), 8|1<<32),
			},
		},
		{
			name: "conditional entries first, in order, then the unconditional one",
			p: specs.LinuxSeccomp{DefaultAction: specs.ActErrno, Syscalls: []specs.LinuxSyscall{
				{Names: []string{"ioctl"}, Action: specs.ActAllow},
				{Names: []string{"ioctl"}, Action: specs.ActErrno, ErrnoRet: errnoRet(unix.ENOTTY), Args: []specs.LinuxSeccompArg{{Index: 1, Value: 0x5412, Op: specs.OpEqualTo}}},
				{Names: []string{"ioctl"}, Action: specs.ActErrno, ErrnoRet: errnoRet(unix.EIO), Args: []specs.LinuxSeccompArg{{Index: 1, Value: 0x5400, Op: specs.OpGreaterEqual}}},
				{Names: []string{"ioctl"}, Action: specs.ActKill},
			}},
			calls: []call{
				x86(unix.SYS_IOCTL, retErrno(unix.ENOTTY), 0, 0x5412), x86(unix.SYS_IOCTL, retErrno(unix.EIO), 0, 0x5413),
				x86(unix.SYS_IOCTL, retAllow, 0, 0x5401-2),
			},
		},
		{
			name: "unknown names are skipped",
			p: specs.LinuxSeccomp{DefaultAction: specs.ActErrno, Architectures: []specs.Arch{specs.ArchX86_64, specs.ArchX86}, Syscalls: []specs.LinuxSyscall{
				{Names: []string{"no_such_syscall", "read", "arm_fadvise64_64", "socketcall", "arch_prctl"}, Action: specs.ActAllow},
			}},
			calls: []call{
				x86(unix.SYS_READ, retAllow), x86(unix.SYS_ARCH_PRCTL, retAllow),
				i386(3, retAllow),   // read
				i386(102, retAllow), // socketcall
				i386(384, retAllow), // arch_prctl
				i386(4, retErrno(unix.EPERM)),
			},
			skipped: []string{"no_such_syscall", "arm_fadvise64_64"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f, err := CompileSeccomp(&tc.p)
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range tc.calls {
				if got := run(t, f.program, c.arch, c.nr, c.args); got != c.want {
					t.Errorf("arch %#x nr %#x args %x: %#x, want %#x", c.arch, c.nr, c.args[:2], got, c.want)
				}
			}
			if !slices.Equal(f.Skipped, tc.skipped) {
				t.Errorf("skipped %q, want %q", f.Skipped, tc.skipped)
			}
			if f.Flags() != tc.flags {
				t.Errorf("flags %#x, want %#x", f.Flags(), tc.flags)
			}
		})
	}
}

// TestCompileFarJumps compiles a profile whose code is longer than a
// conditional jump reaches, and checks every syscall number of it.
func TestCompileFarJumps(t *testing.T) {
	p, want := bigProfile()
	f, err := CompileSeccomp(p)
	if err != nil {
		t.Fatal(err)
	}
	if len(f.program) < 1000 {
		t.Fatalf("only %d instructions: not far enough", len(f.program))
	}
	for nr := uint32(0); nr <= sysX86_64Max+2; nr++ {
		for _, arg := range []uint64{uint64(nr), uint64(nr) + 1} {
			w, ok := want[nr]
			if !ok {
				w = retErrno(unix.EPERM)
				if nr > sysX86_64Max {
					w = retErrno(unix.ENOSYS)
				}
			} else if arg != uint64(nr) {
				w = retErrno(unix.EACCES)
			}
			if got := run(t, f.program, unix.AUDIT_ARCH_X86_64, nr, [6]uint64{arg}); got != w {
				t.Fatalf("nr %d arg %d: %#x, want %#x", nr, arg, got, w)
			}
		}
	}
}

// bigProfile allows every syscall but a few the Go runtime needs only when
// its first argument equals its number; and what it should return for
// those numbers when it does.
func bigProfile() (*specs.LinuxSeccomp, map[uint32]uint32) {
	p := &specs.LinuxSeccomp{DefaultAction: specs.ActErrno}
	want := map[uint32]uint32{}
	for _, e := range sysX86_64 {
		if e.nr%3 == 0 {
			continue
		}
		p.Syscalls = append(p.Syscalls, specs.LinuxSyscall{
			Names: []string{e.name}, Action: specs.ActAllow,
			Args: []specs.LinuxSeccompArg{{Index: 0, Value: uint64(e.nr), Op: specs.OpEqualTo}},
		}, specs.LinuxSyscall{Names: []string{e.name}, Action: specs.ActErrno, ErrnoRet: errnoRet(unix.EACCES)})
		want[e.nr] = retAllow
	}
	return p, want
}

func TestFilterJSON(t *testing.T) {
	f, err := CompileSeccomp(DefaultProfile())
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(f)
	if err != nil {
		t.Fatal(err)
	}
	var g Filter
	if err := json.Unmarshal(b, &g); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(f.program, g.program) || f.flags != g.flags {
		t.Fatal("filter changed in a JSON round trip")
	}
	t.Logf("default profile: %d instructions, %d bytes of JSON", len(f.program), len(b))
	if err := json.Unmarshal([]byte(`{"flags":0,"program":"AAE="}`), &g); err == nil {
		t.Fatal("a truncated program was accepted")
	}
}

func TestSyscallTables(t *testing.T) {
	for _, tc := range []struct {
		name  string
		table sysTable
		max   uint32
	}{{"x86_64", sysX86_64, sysX86_64Max}, {"i386", sysI386, sysI386Max}} {
		t.Run(tc.name, func(t *testing.T) {
			if !slices.IsSortedFunc(tc.table, func(a, b sysEntry) int { return strings.Compare(a.name, b.name) }) {
				t.Fatal("table not sorted")
			}
			for _, e := range tc.table {
				if nr, ok := tc.table.lookup(e.name); !ok || nr != e.nr {
					t.Fatalf("lookup(%q) = %d, %v", e.name, nr, ok)
				}
				if e.nr > tc.max {
					t.Fatalf("%s: %d above max %d", e.name, e.nr, tc.max)
				}
			}
			if _, ok := tc.table.lookup("no_such_syscall"); ok {
				t.Fatal("found no_such_syscall")
			}
		})
	}
	// Spot checks against the kernel's numbers.
	for name, nr := range map[string]int{"read": 0, "mkdir": 83, "personality": 135, "clone3": 435, "_sysctl": 156} {
		if got, ok := SyscallNumber(name); !ok || got != nr {
			t.Errorf("SyscallNumber(%q) = %d, %v; want %d", name, got, ok, nr)
		}
	}
	for name, nr := range map[string]uint32{"read": 3, "mkdir": 39, "socketcall": 102, "_llseek": 140} {
		if got, ok := sysI386.lookup(name); !ok || got != nr {
			t.Errorf("i386 %q = %d, %v; want %d", name, got, ok, nr)
		}
	}
}

func TestProfileByName(t *testing.T) {
	p, err := ProfileByName("default")
	if err != nil || p == nil || p.DefaultAction != specs.ActErrno {
		t.Fatalf("default: %v %v", p, err)
	}
	if p, err := ProfileByName("unconfined"); err != nil || p != nil {
		t.Fatalf("unconfined: %v %v", p, err)
	}
	_, err = ProfileByName("strict")
	if want := `seccomp profile "strict": unknown profile (known: "default", "unconfined")`; err == nil || err.Error() != want {
		t.Fatalf("strict: %v, want %s", err, want)
	}
}

// TestDefaultProfile checks the default profile's decisions.
func TestDefaultProfile(t *testing.T) {
	// Every name in the lists must exist in one of the ABIs: a typo would
	// be skipped silently.
	var names []string
	for _, g := range allowed {
		names = append(names, g...)
	}
	for _, c := range capAllowed {
		names = append(names, c.names...)
	}
	seen := map[string]bool{}
	for _, n := range names {
		_, ok64 := sysX86_64.lookup(n)
		_, ok32 := sysI386.lookup(n)
		if !ok64 && !ok32 {
			t.Errorf("%q is no x86 syscall", n)
		}
		if seen[n] && n != "syslog" && n != "bpf" && n != "perf_event_open" {
			t.Errorf("%q listed twice", n)
		}
		seen[n] = true
	}
	n64 := 0
	for _, g := range allowed {
		for _, n := range g {
			if _, ok := sysX86_64.lookup(n); ok {
				n64++
			}
		}
	}
	t.Logf("%d names allowed to every container, %d of them on x86_64", len(names), n64)

	perm, nosys := retErrno(unix.EPERM), retErrno(unix.ENOSYS)
	tests := []struct {
		name string
		caps []string
		nr   int
		args []uint64
		want uint32
	}{
		{"read", defaultCaps, unix.SYS_READ, nil, retAllow},
		{"execve", defaultCaps, unix.SYS_EXECVE, nil, retAllow},
		{"keyctl", defaultCaps, unix.SYS_KEYCTL, nil, perm},
		{"add_key", defaultCaps, unix.SYS_ADD_KEY, nil, perm},
		{"mount", defaultCaps, unix.SYS_MOUNT, nil, perm},
		{"mount with CAP_SYS_ADMIN", append(slices.Clone(defaultCaps), "CAP_SYS_ADMIN"), unix.SYS_MOUNT, nil, retAllow},
		{"unshare", defaultCaps, unix.SYS_UNSHARE, []uint64{unix.CLONE_NEWUSER}, perm},
		{"setns", defaultCaps, unix.SYS_SETNS, nil, perm},
		{"io_uring_setup", defaultCaps, unix.SYS_IO_URING_SETUP, nil, perm},
		{"userfaultfd", defaultCaps, unix.SYS_USERFAULTFD, nil, perm},
		{"kexec_load", AllCapabilityNames(), unix.SYS_KEXEC_LOAD, nil, perm},
		{"chroot with CAP_SYS_CHROOT", defaultCaps, unix.SYS_CHROOT, nil, retAllow},
		{"chroot without", []string{"CAP_CHOWN"}, unix.SYS_CHROOT, nil, perm},
		{"reboot", defaultCaps, unix.SYS_REBOOT, nil, perm},
		{"reboot with CAP_SYS_BOOT", []string{"CAP_SYS_BOOT"}, unix.SYS_REBOOT, nil, retAllow},
		{"ptrace", defaultCaps, unix.SYS_PTRACE, nil, retAllow},
		{"kcmp", defaultCaps, unix.SYS_KCMP, nil, perm},
		{"bpf with CAP_BPF", []string{"CAP_BPF"}, unix.SYS_BPF, nil, retAllow},
		{"clone a thread", defaultCaps, unix.SYS_CLONE, []uint64{unix.CLONE_VM | unix.CLONE_THREAD | unix.CLONE_SIGHAND}, retAllow},
		{"clone a user namespace", defaultCaps, unix.SYS_CLONE, []uint64{unix.CLONE_NEWUSER | 17}, perm},
		{"clone a network namespace", defaultCaps, unix.SYS_CLONE, []uint64{unix.CLONE_NEWNET}, perm},
		{"clone with high bits", defaultCaps, unix.SYS_CLONE, []uint64{1 << 40}, retAllow},
		{"clone a namespace with CAP_SYS_ADMIN", []string{"CAP_SYS_ADMIN"}, unix.SYS_CLONE, []uint64{unix.CLONE_NEWNS}, retAllow},
		{"clone3", defaultCaps, unix.SYS_CLONE3, nil, nosys},
		{"clone3 with CAP_SYS_ADMIN", []string{"CAP_SYS_ADMIN"}, unix.SYS_CLONE3, nil, retAllow},
		{"personality linux", defaultCaps, unix.SYS_PERSONALITY, []uint64{0}, retAllow},
		{"personality query", defaultCaps, unix.SYS_PERSONALITY, []uint64{0xffffffff}, retAllow},
		{"personality linux32|uname26", defaultCaps, unix.SYS_PERSONALITY, []uint64{0x20008}, retAllow},
		{"personality read_implies_exec", defaultCaps, unix.SYS_PERSONALITY, []uint64{0x0400000}, perm},
		{"socket inet", defaultCaps, unix.SYS_SOCKET, []uint64{unix.AF_INET}, retAllow},
		{"socket vsock", defaultCaps, unix.SYS_SOCKET, []uint64{unix.AF_VSOCK}, perm},
		{"a syscall newer than the table", defaultCaps, sysX86_64Max + 1, nil, nosys},
		{"x32 read", defaultCaps, unix.SYS_READ | x32SyscallBit, nil, perm},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f, err := CompileSeccomp(DefaultProfileFor(tc.caps))
			if err != nil {
				t.Fatal(err)
			}
			if len(f.Skipped) != 0 {
				t.Errorf("skipped %q", f.Skipped)
			}
			var args [6]uint64
			copy(args[:], tc.args)
			if got := run(t, f.program, unix.AUDIT_ARCH_X86_64, uint32(tc.nr), args); got != tc.want {
				t.Fatalf("%#x, want %#x", got, tc.want)
			}
		})
	}
	f, err := CompileSeccomp(DefaultProfile())
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		nr   uint32
		want uint32
	}{{3, retAllow}, {39, retAllow}, {102, retAllow}, {21, perm} /* mount */, {288, perm} /* keyctl */} {
		if got := run(t, f.program, unix.AUDIT_ARCH_I386, c.nr, [6]uint64{}); got != c.want {
			t.Errorf("i386 nr %d: %#x, want %#x", c.nr, got, c.want)
		}
	}
	if got := run(t, f.program, unix.AUDIT_ARCH_AARCH64, 63, [6]uint64{}); got != retKill {
		t.Errorf("aarch64: %#x, want kill", got)
	}
}

func ExampleCompileSeccomp() {
	f, err := CompileSeccomp(&specs.LinuxSeccomp{
		DefaultAction: specs.ActAllow,
		Syscalls: []specs.LinuxSyscall{
			{Names: []string{"mkdir", "mkdirat"}, Action: specs.ActErrno, ErrnoRet: errnoRet(unix.EPERM)},
			{Names: []string{"no_such_call"}, Action: specs.ActErrno},
		},
	})
	fmt.Println(len(f.Instructions()), f.Skipped, err)
	// Output: 15 [no_such_call] <nil>
}

// BenchmarkCompileDefaultProfile is the parent's cost of the default
// profile.
func BenchmarkCompileDefaultProfile(b *testing.B) {
	for b.Loop() {
		if _, err := CompileSeccomp(DefaultProfile()); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkFilterUnmarshal is the init stage's cost of receiving the
// compiled default profile.
func BenchmarkFilterUnmarshal(b *testing.B) {
	f, err := CompileSeccomp(DefaultProfile())
	if err != nil {
		b.Fatal(err)
	}
	raw, err := json.Marshal(f)
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		var g Filter
		if err := json.Unmarshal(raw, &g); err != nil {
			b.Fatal(err)
		}
	}
}
