package security

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/libct/libct/internal/testutil"
)

// Capabilities, no_new_privs and seccomp filters cannot be undone, so
// each test that applies them does so in a child: the test binary
// re-executed with helperEnv naming a role and helperArgEnv carrying its
// JSON argument. As in the init stage, the child's main goroutine is
// locked to the main thread, which makes the calls and execs.
const (
	helperEnv    = "SECURITY_TEST_ROLE"
	helperArgEnv = "SECURITY_TEST_ARG"
)

// A role runs in the child and returns its result, which the child
// prints as JSON. A role that execs does not return.
type role func(arg json.RawMessage) (any, error)

var roles = map[string]role{}

func init() {
	if os.Getenv(helperEnv) != "" {
		runtime.LockOSThread()
	}
}

func TestMain(m *testing.M) {
	if name := os.Getenv(helperEnv); name != "" {
		os.Exit(helperMain(name))
	}
	os.Exit(m.Run())
}

// childResult is what a child prints: the role's result or its error.
type childResult struct {
	Result json.RawMessage
	Err    string
}

func helperMain(name string) int {
	r, ok := roles[name]
	if !ok {
		fmt.Fprintln(os.Stderr, "helper: no role", name)
		return 2
	}
	res, err := r(json.RawMessage(os.Getenv(helperArgEnv)))
	var argv []string
	if e, ok := res.(execAfter); ok {
		res, argv = e.res, e.argv
	}
	out := childResult{}
	if err != nil {
		out.Err = err.Error()
	} else {
		b, merr := json.Marshal(res)
		if merr != nil {
			fmt.Fprintln(os.Stderr, "helper:", merr)
			return 2
		}
		out.Result = b
	}
	if err := json.NewEncoder(os.Stdout).Encode(out); err != nil {
		fmt.Fprintln(os.Stderr, "helper:", err)
		return 2
	}
	if argv != nil {
		err := unix.Exec(argv[0], argv, os.Environ())
		fmt.Fprintln(os.Stderr, "helper: exec:", err)
		return 2
	}
	return 0
}

// child describes one run of a role.
type child struct {
	role       string
	arg        any
	cloneflags uintptr
	extraFiles []*os.File
}

// command prepares the child's command; stdout and stderr are captured.
func (c child) command(t *testing.T) (*exec.Cmd, *bytes.Buffer, *bytes.Buffer) {
	t.Helper()
	raw, err := json.Marshal(c.arg)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), helperEnv+"="+c.role, helperArgEnv+"="+string(raw))
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.ExtraFiles = c.extraFiles
	cmd.SysProcAttr = &syscall.SysProcAttr{Cloneflags: c.cloneflags, Pdeathsig: syscall.SIGKILL}
	return cmd, &stdout, &stderr
}

// run runs the child to its end and decodes its result into res. Output
// after the result line (from a program the role exec'd) is returned.
func (c child) run(t *testing.T, res any) (tail string) {
	t.Helper()
	cmd, stdout, stderr := c.command(t)
	err := cmd.Run()
	return finish(t, err, stdout, stderr, res)
}

func finish(t *testing.T, err error, stdout, stderr *bytes.Buffer, res any) string {
	t.Helper()
	if err != nil {
		t.Fatalf("child: %v\nstdout: %s\nstderr: %s", err, stdout, stderr)
	}
	line, tail, _ := strings.Cut(stdout.String(), "\n")
	var out childResult
	if err := json.Unmarshal([]byte(line), &out); err != nil {
		t.Fatalf("child output %q: %v\nstderr: %s", stdout, err, stderr)
	}
	if out.Err != "" {
		t.Fatalf("child: %s\nstderr: %s", out.Err, stderr)
	}
	if res != nil {
		if err := json.Unmarshal(out.Result, res); err != nil {
			t.Fatalf("child result %s: %v", out.Result, err)
		}
	}
	return tail
}

// requireRoot skips when not root, except in CI, where it fails.
func requireRoot(t *testing.T) {
	t.Helper()
	testutil.RequireRoot(t)
}

// errnoOf returns the errno in err, 0 for nil, -1 for another error.
func errnoOf(err error) int {
	if err == nil {
		return 0
	}
	var errno syscall.Errno
	if errors.As(err, &errno) {
		return int(errno)
	}
	return -1
}

// rawErrno makes a syscall on this thread and returns its errno.
func rawErrno(nr uintptr, args ...uintptr) int {
	var a [6]uintptr
	copy(a[:], args)
	_, _, errno := unix.Syscall6(nr, a[0], a[1], a[2], a[3], a[4], a[5])
	return int(errno)
}

// statusSets reads the capability sets of this thread from
// /proc/thread-self/status, or of any process from its status text.
func statusSets(status string) (map[string]uint64, error) {
	sets := map[string]uint64{}
	for _, line := range strings.Split(status, "\n") {
		k, v, ok := strings.Cut(line, ":")
		if !ok || !strings.HasPrefix(k, "Cap") {
			continue
		}
		n, err := strconv.ParseUint(strings.TrimSpace(v), 16, 64)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", line, err)
		}
		sets[k] = n
	}
	if len(sets) != 5 {
		return nil, fmt.Errorf("capability lines in status: %v", sets)
	}
	return sets, nil
}

func threadSets() (map[string]uint64, error) {
	b, err := os.ReadFile("/proc/thread-self/status")
	if err != nil {
		return nil, err
	}
	return statusSets(string(b))
}

// maskOf is the kernel mask of names, without the capabilities the
// running kernel lacks.
func maskOf(t testing.TB, names []string) uint64 {
	t.Helper()
	var m uint64
	last := LastCap()
	for _, n := range names {
		nr, ok := CapabilityNumber(n)
		if !ok {
			t.Fatalf("capability %q unknown", n)
		}
		if nr <= last {
			m |= 1 << uint(nr)
		}
	}
	return m
}
