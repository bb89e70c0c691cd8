//go:build amd64

package security

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
	"unsafe"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/libct/libct/internal/testutil"
)

// rawCall is one syscall a child makes under its filter. Path, when set,
// replaces argument PathArg with a pointer to it.
type rawCall struct {
	Nr      uint64
	Args    [6]uint64
	Path    string
	PathArg int
}

type seccompArg struct {
	Profile    *specs.LinuxSeccomp
	NoNewPrivs bool
	Calls      []rawCall
	Exec       []string
	// SendListener sends the listener over fd 3.
	SendListener bool
}

type seccompResult struct {
	Errnos          []int
	Rets            []uint64
	ListenerCloexec bool
}

func (c rawCall) do() (uint64, int) {
	args := c.Args
	var p *byte
	if c.Path != "" {
		var err error
		if p, err = unix.BytePtrFromString(c.Path); err != nil {
			return 0, -1
		}
		args[c.PathArg] = uint64(uintptr(unsafe.Pointer(p)))
	}
	r, _, errno := unix.Syscall6(uintptr(c.Nr), uintptr(args[0]), uintptr(args[1]), uintptr(args[2]), uintptr(args[3]), uintptr(args[4]), uintptr(args[5]))
	_ = p // keep the string alive until here
	return uint64(r), int(errno)
}

func init() {
	roles["seccomp"] = func(raw json.RawMessage) (any, error) {
		var a seccompArg
		if err := json.Unmarshal(raw, &a); err != nil {
			return nil, err
		}
		// A kill must not leave a core file behind.
		if err := unix.Setrlimit(unix.RLIMIT_CORE, &unix.Rlimit{}); err != nil {
			return nil, err
		}
		f, err := CompileSeccomp(a.Profile)
		if err != nil {
			return nil, err
		}
		if a.NoNewPrivs {
			if err := SetNoNewPrivs(); err != nil {
				return nil, err
			}
		}
		listener, err := f.Install()
		if err != nil {
			return nil, err
		}
		var r seccompResult
		if listener >= 0 {
			flags, err := unix.FcntlInt(uintptr(listener), unix.F_GETFD, 0)
			if err != nil {
				return nil, err
			}
			r.ListenerCloexec = flags&unix.FD_CLOEXEC != 0
			if a.SendListener {
				if err := SendFd(3, listener, []byte("listener")); err != nil {
					return nil, err
				}
			}
			unix.Close(listener)
		}
		for _, c := range a.Calls {
			ret, errno := c.do()
			r.Rets = append(r.Rets, ret)
			r.Errnos = append(r.Errnos, errno)
		}
		if len(a.Exec) > 0 {
			return execAfter{r, a.Exec}, nil
		}
		return r, nil
	}
}

func call(nr int, args ...uint64) rawCall {
	c := rawCall{Nr: uint64(nr)}
	copy(c.Args[:], args)
	return c
}

func pathCall(nr int, pathArg int, path string, args ...uint64) rawCall {
	c := call(nr, args...)
	c.Path, c.PathArg = path, pathArg
	return c
}

func checkErrnos(t *testing.T, calls []string, got []int, want []unix.Errno) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%d results, want %d", len(got), len(want))
	}
	for i := range want {
		if unix.Errno(got[i]) != want[i] {
			t.Errorf("%s: errno %d (%v), want %d (%v)", calls[i], got[i], unix.Errno(got[i]), int(want[i]), want[i])
		}
	}
}

func TestSeccompDenyMkdir(t *testing.T) {
	requireRoot(t)
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "old"), 0o755); err != nil {
		t.Fatal(err)
	}
	p := &specs.LinuxSeccomp{
		DefaultAction: specs.ActAllow,
		Architectures: []specs.Arch{specs.ArchX86_64, specs.ArchX86, specs.ArchX32},
		Syscalls: []specs.LinuxSyscall{
			{Names: []string{"mkdir", "mkdirat"}, Action: specs.ActErrno, ErrnoRet: errnoRet(unix.EPERM)},
		},
	}
	fdcwd := int64(unix.AT_FDCWD)
	at := uint64(fdcwd)
	calls := []rawCall{
		pathCall(unix.SYS_MKDIR, 0, filepath.Join(dir, "a"), 0, 0o755),
		pathCall(unix.SYS_MKDIRAT, 1, filepath.Join(dir, "b"), at, 0, 0o755),
		// The same mkdir through the x32 ABI must not get past the rule.
		pathCall(unix.SYS_MKDIR|x32SyscallBit, 0, filepath.Join(dir, "c"), 0, 0o755),
		pathCall(unix.SYS_RMDIR, 0, filepath.Join(dir, "old")),
		pathCall(unix.SYS_MKNODAT, 1, filepath.Join(dir, "fifo"), at, 0, unix.S_IFIFO|0o644, 0),
		call(unix.SYS_GETPID),
	}
	names := []string{"mkdir", "mkdirat", "x32 mkdir", "rmdir", "mknodat fifo", "getpid"}
	script := "mkdir " + dir + "/d; echo mkdir=$?; touch " + dir + "/e && echo touch=ok"
	var r seccompResult
	tail := child{role: "seccomp", arg: seccompArg{
		Profile: p, NoNewPrivs: true, Calls: calls,
		Exec: []string{testutil.BusyboxPath, "sh", "-c", script},
	}}.run(t, &r)
	checkErrnos(t, names, r.Errnos, []unix.Errno{unix.EPERM, unix.EPERM, unix.ENOSYS, 0, 0, 0})
	for _, name := range []string{"a", "b", "c", "d", "old"} {
		if _, err := os.Lstat(filepath.Join(dir, name)); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s: exists (%v)", name, err)
		}
	}
	for _, name := range []string{"e", "fifo"} {
		if _, err := os.Lstat(filepath.Join(dir, name)); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	if want := "mkdir=1\ntouch=ok\n"; tail != want {
		t.Errorf("after exec: %q, want %q", tail, want)
	}
}

// TestSeccompX32Killed: with the x32 ABI not listed, an x32 syscall
// kills the process, whatever the rules say.
func TestSeccompX32Killed(t *testing.T) {
	requireRoot(t)
	p := &specs.LinuxSeccomp{DefaultAction: specs.ActAllow}
	cmd, stdout, stderr := child{role: "seccomp", arg: seccompArg{
		Profile: p, NoNewPrivs: true,
		Calls: []rawCall{call(unix.SYS_GETPID | x32SyscallBit)},
	}}.command(t)
	err := cmd.Run()
	var exit *exec.ExitError
	if !errors.As(err, &exit) {
		t.Fatalf("child: %v\nstdout: %s\nstderr: %s", err, stdout, stderr)
	}
	ws := exit.Sys().(syscall.WaitStatus)
	if !ws.Signaled() || ws.Signal() != syscall.SIGSYS {
		t.Fatalf("child ended with %v, want killed by SIGSYS", ws)
	}
}

func TestSeccompArgumentRule(t *testing.T) {
	requireRoot(t)
	p := &specs.LinuxSeccomp{DefaultAction: specs.ActAllow, Syscalls: []specs.LinuxSyscall{{
		Names: []string{"personality"}, Action: specs.ActErrno, ErrnoRet: errnoRet(unix.EACCES),
		Args: []specs.LinuxSeccompArg{{Index: 0, Value: perLinux32, Op: specs.OpEqualTo}},
	}}}
	calls := []rawCall{
		call(unix.SYS_PERSONALITY, 0xffffffff),
		call(unix.SYS_PERSONALITY, perLinux32),
		call(unix.SYS_PERSONALITY, uname26),
		call(unix.SYS_PERSONALITY, 0xffffffff),
		call(unix.SYS_PERSONALITY, 0),
	}
	var r seccompResult
	child{role: "seccomp", arg: seccompArg{Profile: p, NoNewPrivs: true, Calls: calls}}.run(t, &r)
	checkErrnos(t, []string{"query", "PER_LINUX32", "UNAME26", "query", "PER_LINUX"}, r.Errnos,
		[]unix.Errno{0, unix.EACCES, 0, 0, 0})
	// personality returns the previous persona: UNAME26 was set, the
	// denied PER_LINUX32 was not.
	if r.Rets[3] != uname26 {
		t.Errorf("persona after the calls: %#x, want %#x", r.Rets[3], uname26)
	}
}

// TestSeccompBoundaries runs the operators in the kernel on values around
// the 32-bit boundary: one harmless syscall per operator, which returns
// a marker errno when the rule matches.
func TestSeccompBoundaries(t *testing.T) {
	requireRoot(t)
	type rule struct {
		nr, index       int
		op              specs.LinuxSeccompOperator
		value, valueTwo uint64
	}
	rules := []rule{
		{unix.SYS_SCHED_GET_PRIORITY_MAX, 0, specs.OpGreaterThan, 0xffffffff, 0},
		{unix.SYS_SCHED_GET_PRIORITY_MIN, 0, specs.OpGreaterEqual, 0x100000000, 0},
		{unix.SYS_GETPGID, 0, specs.OpLessThan, 0x100000000, 0},
		{unix.SYS_GETSID, 0, specs.OpLessEqual, 0xffffffff, 0},
		{unix.SYS_SCHED_GETSCHEDULER, 0, specs.OpEqualTo, 0x100000000, 0},
		{unix.SYS_GETPRIORITY, 1, specs.OpNotEqual, 0xffffffff, 0},
		{unix.SYS_IOPRIO_GET, 1, specs.OpMaskedEqual, 0xffffffff00000000, 0x100000000},
	}
	values := []uint64{0, 1, 0x7fffffff, 0xfffffffe, 0xffffffff, 0x100000000, 0x100000001, 0x1ffffffff, 0xffffffff00000000, 0xffffffffffffffff}
	p := &specs.LinuxSeccomp{DefaultAction: specs.ActAllow}
	var calls []rawCall
	var want []unix.Errno
	var names []string
	for i, r := range rules {
		marker := unix.Errno(1000 + i)
		name, _ := nameOf(uint32(r.nr))
		p.Syscalls = append(p.Syscalls, specs.LinuxSyscall{
			Names: []string{name}, Action: specs.ActErrno, ErrnoRet: errnoRet(marker),
			Args: []specs.LinuxSeccompArg{{Index: uint(r.index), Op: r.op, Value: r.value, ValueTwo: r.valueTwo}},
		})
		for _, v := range values {
			c := call(r.nr)
			c.Args[r.index] = v
			calls = append(calls, c)
			names = append(names, fmt.Sprintf("%s(arg%d=%#x) %s %#x", name, r.index, v, r.op, r.value))
			if compare(r.op, v, r.value, r.valueTwo) {
				want = append(want, marker)
			} else {
				want = append(want, 0)
			}
		}
	}
	var r seccompResult
	child{role: "seccomp", arg: seccompArg{Profile: p, NoNewPrivs: true, Calls: calls}}.run(t, &r)
	for i := range want {
		got := unix.Errno(r.Errnos[i])
		matched := got >= 1000 && got < 1000+unix.Errno(len(rules))
		if want[i] != 0 && got != want[i] || want[i] == 0 && matched {
			t.Errorf("%s: errno %d, want the rule to match: %v", names[i], got, want[i] != 0)
		}
	}
}

func nameOf(nr uint32) (string, bool) {
	for _, e := range sysX86_64 {
		if e.nr == nr {
			return e.name, true
		}
	}
	return "", false
}

// TestSeccompNotify: the listener reaches the parent, which answers the
// child's mkdir calls, first with an errno of its choice, then with a
// value, without the directories being made.
func TestSeccompNotify(t *testing.T) {
	requireRoot(t)
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_SEQPACKET|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	mine, theirs := os.NewFile(uintptr(fds[0]), "parent"), os.NewFile(uintptr(fds[1]), "child")
	defer mine.Close()
	dir := t.TempDir()
	p := &specs.LinuxSeccomp{DefaultAction: specs.ActAllow, Syscalls: []specs.LinuxSyscall{
		{Names: []string{"mkdir"}, Action: specs.ActNotify},
	}}
	calls := []rawCall{
		pathCall(unix.SYS_MKDIR, 0, filepath.Join(dir, "a"), 0, 0o755),
		pathCall(unix.SYS_MKDIR, 0, filepath.Join(dir, "b"), 0, 0o755),
		call(unix.SYS_GETPID),
	}
	cmd, stdout, stderr := child{role: "seccomp", arg: seccompArg{
		Profile: p, NoNewPrivs: true, Calls: calls, SendListener: true,
	}, extraFiles: []*os.File{theirs}}.command(t)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	theirs.Close()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	timer := time.AfterFunc(10*time.Second, func() { cmd.Process.Kill() })
	defer timer.Stop()

	listener, msg, err := RecvFd(int(mine.Fd()), 64)
	if err != nil {
		cmd.Process.Kill()
		<-done
		t.Fatalf("receive listener: %v\nstderr: %s", err, stderr)
	}
	defer unix.Close(listener)
	if string(msg) != "listener" {
		t.Errorf("message %q", msg)
	}
	answers := []struct {
		val   int64
		errno syscall.Errno
	}{{0, unix.EXDEV}, {42, 0}}
	for i, a := range answers {
		n, err := NotifyReceive(listener)
		if err != nil {
			t.Fatalf("notification %d: %v", i, err)
		}
		if n.Nr != unix.SYS_MKDIR || n.Arch != unix.AUDIT_ARCH_X86_64 || int(n.Pid) != cmd.Process.Pid || n.Args[1] != 0o755 {
			t.Errorf("notification %d: %+v (child %d)", i, n, cmd.Process.Pid)
		}
		if !NotifyIDValid(listener, n.ID) {
			t.Errorf("notification %d: id not valid", i)
		}
		if err := NotifyRespond(listener, n.ID, a.val, a.errno); err != nil {
			t.Fatal(err)
		}
	}
	err = <-done
	var r seccompResult
	finish(t, err, stdout, stderr, &r)
	checkErrnos(t, []string{"mkdir a", "mkdir b", "getpid"}, r.Errnos, []unix.Errno{unix.EXDEV, 0, 0})
	if r.Rets[1] != 42 {
		t.Errorf("second mkdir returned %d, want 42", r.Rets[1])
	}
	if !r.ListenerCloexec {
		t.Error("listener is not close-on-exec")
	}
	for _, name := range []string{"a", "b"} {
		if _, err := os.Lstat(filepath.Join(dir, name)); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s: exists (%v)", name, err)
		}
	}
}

// TestSeccompDefaultProfile: under the default profile a shell runs, and
// what a container must not do fails even as root with every capability.
func TestSeccompDefaultProfile(t *testing.T) {
	requireRoot(t)
	dir := t.TempDir()
	calls := []rawCall{
		call(unix.SYS_KEYCTL, unix.KEYCTL_GET_KEYRING_ID, uint64(0xfffffffd) /* KEY_SPEC_SESSION_KEYRING */, 0),
		call(unix.SYS_UNSHARE, unix.CLONE_NEWUTS),
		pathCall(unix.SYS_MOUNT, 1, dir, 0, 0, 0, 0),
		call(unix.SYS_CLONE3, 0, 0),
		call(unix.SYS_SOCKET, unix.AF_VSOCK, unix.SOCK_STREAM, 0),
		call(unix.SYS_PERSONALITY, 0x0400000),
		call(unix.SYS_GETPID),
	}
	names := []string{"keyctl", "unshare", "mount", "clone3", "socket AF_VSOCK", "personality READ_IMPLIES_EXEC", "getpid"}
	script := "ls / >/dev/null && echo ok; unshare -u true 2>&1; mount -t tmpfs none " + dir + " 2>&1; grep Seccomp: /proc/self/status"
	var r seccompResult
	tail := child{role: "seccomp", arg: seccompArg{
		Profile: DefaultProfile(), NoNewPrivs: true, Calls: calls,
		Exec: []string{testutil.BusyboxPath, "sh", "-c", script},
	}}.run(t, &r)
	checkErrnos(t, names, r.Errnos, []unix.Errno{unix.EPERM, unix.EPERM, unix.EPERM, unix.ENOSYS, unix.EPERM, unix.EPERM, 0})
	if want := "ok\nunshare: unshare(0x4000000): Operation not permitted\nmount: permission denied (are you root?)\nSeccomp:\t2\n"; tail != want {
		t.Errorf("after exec: %q, want %q", tail, want)
	}
}

// TestSeccompBigFilter: the kernel accepts a filter long enough to need
// trampolines, and it decides as compiled.
func TestSeccompBigFilter(t *testing.T) {
	requireRoot(t)
	const magic = 0x5eccd00d5eccd00d
	p := &specs.LinuxSeccomp{DefaultAction: specs.ActAllow}
	for _, e := range sysX86_64 {
		p.Syscalls = append(p.Syscalls, specs.LinuxSyscall{
			Names: []string{e.name}, Action: specs.ActErrno, ErrnoRet: errnoRet(unix.Errno(1 + e.nr%100)),
			Args: []specs.LinuxSeccompArg{{Index: 5, Value: magic, Op: specs.OpEqualTo}},
		})
	}
	f, err := CompileSeccomp(p)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d instructions", len(f.program))
	calls := []rawCall{call(unix.SYS_GETPGID, 0, 0, 0, 0, 0, magic), call(unix.SYS_GETPGID), call(unix.SYS_GETPPID, 0, 0, 0, 0, 0, magic), call(unix.SYS_GETPPID)}
	var r seccompResult
	child{role: "seccomp", arg: seccompArg{Profile: p, NoNewPrivs: true, Calls: calls}}.run(t, &r)
	checkErrnos(t, []string{"getpgid magic", "getpgid", "getppid magic", "getppid"}, r.Errnos,
		[]unix.Errno{unix.Errno(1 + unix.SYS_GETPGID%100), 0, unix.Errno(1 + unix.SYS_GETPPID%100), 0})
}

// initArg runs the init stage's sequence of the package documentation.
type initArg struct {
	Caps       *Capabilities
	UID        int
	NoNewPrivs bool
	Exec       []string
}

type initResult struct {
	Early bool
}

func init() {
	roles["init"] = func(raw json.RawMessage) (any, error) {
		var a initArg
		if err := json.Unmarshal(raw, &a); err != nil {
			return nil, err
		}
		f, err := CompileSeccomp(DefaultProfileFor(a.Caps.Bounding))
		if err != nil {
			return nil, err
		}
		if err := a.Caps.PrepareForUserChange(); err != nil {
			return nil, err
		}
		last := CanInstallLast(a.NoNewPrivs, a.Caps)
		if !last {
			if _, err := f.Install(); err != nil {
				return nil, err
			}
		}
		if err := unix.Setgroups([]int{}); err != nil {
			return nil, err
		}
		if err := unix.Setresgid(a.UID, a.UID, a.UID); err != nil {
			return nil, err
		}
		if err := unix.Setresuid(a.UID, a.UID, a.UID); err != nil {
			return nil, err
		}
		if err := os.Chdir("/"); err != nil {
			return nil, err
		}
		if err := a.Caps.Apply(); err != nil {
			return nil, err
		}
		if a.NoNewPrivs {
			if err := SetNoNewPrivs(); err != nil {
				return nil, err
			}
		}
		if err := unix.CloseRange(3, ^uint(0), unix.CLOSE_RANGE_CLOEXEC); err != nil {
			return nil, err
		}
		if last {
			if _, err := f.Install(); err != nil {
				return nil, err
			}
		}
		return execAfter{initResult{Early: !last}, a.Exec}, nil
	}
}

// TestInitOrder runs the documented order with the default profile, on
// both paths: the filter last (no_new_privs, or CAP_SYS_ADMIN kept) and
// the filter before the change of user.
func TestInitOrder(t *testing.T) {
	requireRoot(t)
	withAdmin := CapabilitiesFor(append(slices.Clone(defaultCaps), "CAP_SYS_ADMIN"), TargetBounding|TargetEffective|TargetPermitted)
	tests := []struct {
		name      string
		caps      *Capabilities
		uid       int
		nnp       bool
		wantEarly bool
		wantEff   uint64
	}{
		{"non-root, no_new_privs", DefaultCapabilities(), testutil.AliceUID, true, false, 0},
		{"non-root, without no_new_privs", DefaultCapabilities(), testutil.AliceUID, false, true, 0},
		{"root, without no_new_privs", DefaultCapabilities(), 0, false, true, maskOf(t, defaultCaps)},
		{"root with CAP_SYS_ADMIN", withAdmin, 0, false, false, maskOf(t, withAdmin.Effective)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var r initResult
			tail := child{role: "init", arg: initArg{
				Caps: tc.caps, UID: tc.uid, NoNewPrivs: tc.nnp,
				Exec: []string{testutil.BusyboxPath, "sh", "-c", "id -u; cat /proc/self/status"},
			}}.run(t, &r)
			if r.Early != tc.wantEarly {
				t.Errorf("filter installed early: %v, want %v", r.Early, tc.wantEarly)
			}
			uid, status, _ := strings.Cut(tail, "\n")
			if uid != strconv.Itoa(tc.uid) {
				t.Errorf("uid %q, want %d", uid, tc.uid)
			}
			field := func(k string) string {
				for _, l := range strings.Split(status, "\n") {
					if v, ok := strings.CutPrefix(l, k+":"); ok {
						return strings.TrimSpace(v)
					}
				}
				return ""
			}
			if got := field("Seccomp"); got != "2" {
				t.Errorf("Seccomp: %q, want 2", got)
			}
			wantNNP := "0"
			if tc.nnp {
				wantNNP = "1"
			}
			if got := field("NoNewPrivs"); got != wantNNP {
				t.Errorf("NoNewPrivs: %q, want %s", got, wantNNP)
			}
			sets, err := statusSets(status)
			if err != nil {
				t.Fatal(err)
			}
			compareSets(t, "after exec", sets, map[string]uint64{
				"CapBnd": maskOf(t, tc.caps.Bounding), "CapEff": tc.wantEff, "CapPrm": tc.wantEff,
			})
		})
	}
}

// TestFlagSupported: the probe finds the flags this kernel has, by its
// version, and installs no filter on the way.
func TestFlagSupported(t *testing.T) {
	kernelAtLeast := func(major, minor int) bool {
		var u unix.Utsname
		if err := unix.Uname(&u); err != nil {
			t.Fatal(err)
		}
		var ma, mi int
		fmt.Sscanf(unix.ByteSliceToString(u.Release[:]), "%d.%d", &ma, &mi)
		return ma > major || ma == major && mi >= minor
	}
	seccompMode := func() string {
		data, err := os.ReadFile("/proc/thread-self/status")
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range strings.Split(string(data), "\n") {
			if strings.HasPrefix(line, "Seccomp:") {
				return line
			}
		}
		return ""
	}
	before := seccompMode()
	for _, tc := range []struct {
		name specs.LinuxSeccompFlag
		want bool
	}{
		{FlagTsync, true}, // ignored, so always there
		{specs.LinuxSeccompFlagLog, kernelAtLeast(4, 14)},
		{specs.LinuxSeccompFlagSpecAllow, kernelAtLeast(4, 17)},
		{specs.LinuxSeccompFlagWaitKillableRecv, kernelAtLeast(5, 19)},
		{"SECCOMP_FILTER_FLAG_NEW_LISTENER", false}, // implied by SCMP_ACT_NOTIFY, not a profile's flag
		{"SECCOMP_FILTER_FLAG_NONSENSE", false},
	} {
		t.Run(string(tc.name), func(t *testing.T) {
			if got := FlagSupported(tc.name); got != tc.want {
				t.Errorf("FlagSupported(%s) = %v, want %v", tc.name, got, tc.want)
			}
		})
	}
	if after := seccompMode(); after != before {
		t.Errorf("the probes changed the thread's seccomp mode: %q, then %q", before, after)
	}
	if got := SupportedFlags(); !slices.Contains(got, FlagTsync) || slices.Contains(got, "SECCOMP_FILTER_FLAG_NONSENSE") {
		t.Errorf("SupportedFlags() = %v", got)
	}
}
