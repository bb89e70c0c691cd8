package rootfs

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

// Setup changes the root of its process for good, so every test that calls
// it does so in a child: the test binary re-executed with helperEnv set,
// in new mount and pid namespaces. The child runs Setup, then the checks of
// its scenario from inside the container, and prints a helperOutput as
// JSON; the parent turns each check into a subtest.
const helperEnv = "ROOTFS_TEST_HELPER"

type helperInput struct {
	Scenario string
	Spec     Spec
	Args     map[string]string
	// FailAt makes the fake Actions fail that call ("before 1").
	FailAt string
	// LockedTmpfs runs the scenario in a user namespace below a mount
	// namespace that has a nosuid,nodev,noexec tmpfs at this path: an
	// outer child mounts it and starts the real one, for which the
	// tmpfs's flags are locked.
	LockedTmpfs string
	Inner       bool
}

type helperOutput struct {
	SetupErr string
	Errno    int
	Calls    []string
	// Checks maps a check's name to "" when it passed, to why not else.
	Checks map[string]string
}

// A scenario is what the child does around Setup.
type scenario struct {
	// prepare runs in the child before Setup.
	prepare func(in *helperInput) error
	checks  []check
}

type check struct {
	name string
	fn   func(in *helperInput) error
}

// pick returns the check of cs called name, to share it between scenarios.
func pick(cs []check, name string) check {
	for _, c := range cs {
		if c.name == name {
			return c
		}
	}
	panic("no check " + name)
}

// scenarios is filled by the test files' init functions, so that each
// test keeps its checks next to it.
var scenarios = map[string]scenario{}

func TestMain(m *testing.M) {
	if in := os.Getenv(helperEnv); in != "" {
		os.Exit(helperMain(in))
	}
	before, _ := countMounts()
	code := m.Run()
	if after, _ := countMounts(); after != before {
		fmt.Fprintf(os.Stderr, "FAIL: the tests left mounts behind: %d before, %d after\n", before, after)
		code = 1
	}
	os.Exit(code)
}

func helperMain(raw string) int {
	var in helperInput
	if err := json.Unmarshal([]byte(raw), &in); err != nil {
		fmt.Fprintln(os.Stderr, "helper:", err)
		return 2
	}
	if in.LockedTmpfs != "" && !in.Inner {
		if err := outerStage(&in); err != nil {
			fmt.Fprintln(os.Stderr, "helper outer stage:", err)
			return 2
		}
		return 0
	}
	sc, ok := scenarios[in.Scenario]
	if !ok {
		fmt.Fprintln(os.Stderr, "helper: no scenario", in.Scenario)
		return 2
	}
	if sc.prepare != nil {
		if err := sc.prepare(&in); err != nil {
			fmt.Fprintln(os.Stderr, "helper prepare:", err)
			return 2
		}
	}
	rec := &recorder{spec: &in.Spec, failAt: in.FailAt}
	out := helperOutput{Checks: map[string]string{}}
	err := Setup(&in.Spec, rec)
	out.Calls = rec.calls
	if err != nil {
		out.SetupErr = err.Error()
		var errno syscall.Errno
		if errors.As(err, &errno) {
			out.Errno = int(errno)
		}
	} else {
		for _, c := range sc.checks {
			out.Checks[c.name] = ""
			if err := c.fn(&in); err != nil {
				out.Checks[c.name] = err.Error()
			}
		}
	}
	if err := json.NewEncoder(os.Stdout).Encode(out); err != nil {
		fmt.Fprintln(os.Stderr, "helper:", err)
		return 2
	}
	return 0
}

// outerStage mounts the tmpfs whose flags the inner child will find locked
// and runs that child in new user, mount and pid namespaces.
func outerStage(in *helperInput) error {
	if err := unix.Mount("", "/", "", unix.MS_REC|unix.MS_PRIVATE, ""); err != nil {
		return err
	}
	if err := unix.Mount("tmpfs", in.LockedTmpfs, "tmpfs", unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, "size=64k"); err != nil {
		return err
	}
	in.Inner = true
	raw, err := json.Marshal(in)
	if err != nil {
		return err
	}
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), helperEnv+"="+string(raw))
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	ids := []syscall.SysProcIDMap{{ContainerID: 0, HostID: 0, Size: 65536}}
	cmd.SysProcAttr = &syscall.SysProcAttr{
		Cloneflags:  syscall.CLONE_NEWUSER | syscall.CLONE_NEWNS | syscall.CLONE_NEWPID,
		UidMappings: ids,
		GidMappings: ids,
	}
	return cmd.Run()
}

// recorder is the fake Actions: it logs each call with whether the mount
// was there at that moment.
type recorder struct {
	spec   *Spec
	failAt string
	calls  []string
}

func (r *recorder) BeforeMount(i int) error { return r.call("before", i) }
func (r *recorder) AfterMount(i int) error  { return r.call("after", i) }

// BeforeSwitch logs whether every mount is in place by then.
func (r *recorder) BeforeSwitch() error {
	state := "all mounted"
	for i := range r.spec.Mounts {
		if _, err := findMount(filepath.Join(r.spec.Root, r.spec.Mounts[i].Destination)); err != nil {
			state = "missing " + r.spec.Mounts[i].Destination
		}
	}
	r.calls = append(r.calls, "switch: "+state)
	if r.failAt == "switch" {
		return errors.New("action failed")
	}
	return nil
}

func (r *recorder) call(what string, i int) error {
	name := fmt.Sprintf("%s %d", what, i)
	state := "not mounted"
	if _, err := findMount(filepath.Join(r.spec.Root, r.spec.Mounts[i].Destination)); err == nil {
		state = "mounted"
	}
	r.calls = append(r.calls, name+": "+state)
	if name == r.failAt {
		return errors.New("action failed")
	}
	return nil
}

// runHelper runs in in a child and fails t when the child breaks or the
// host's mount table changed by the end of it.
func runHelper(t *testing.T, in helperInput, cloneflags uintptr, stdin *os.File) helperOutput {
	t.Helper()
	before, err := countMounts()
	if err != nil {
		t.Fatal(err)
	}
	raw, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), helperEnv+"="+string(raw))
	var stdout, stderr bytes.Buffer
	cmd.Stdin, cmd.Stdout, cmd.Stderr = stdin, &stdout, &stderr
	if in.LockedTmpfs != "" {
		cloneflags = syscall.CLONE_NEWNS
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{Cloneflags: cloneflags}
	if err := cmd.Run(); err != nil {
		t.Fatalf("helper: %v\nstderr: %s", err, stderr.String())
	}
	var out helperOutput
	if err := json.Unmarshal(stdout.Bytes(), &out); err != nil {
		t.Fatalf("helper output %q: %v\nstderr: %s", stdout.String(), err, stderr.String())
	}
	if after, err := countMounts(); err != nil || after != before {
		t.Errorf("host mounts: %d before, %d after (%v)", before, after, err)
	}
	return out
}

// runScenario runs a scenario that must get through Setup, then reports
// each of its checks as a subtest.
func runScenario(t *testing.T, in helperInput, cloneflags uintptr, stdin *os.File) {
	t.Helper()
	out := runHelper(t, in, cloneflags, stdin)
	if out.SetupErr != "" {
		t.Fatalf("Setup: %s", out.SetupErr)
	}
	for _, c := range scenarios[in.Scenario].checks {
		t.Run(c.name, func(t *testing.T) {
			why, ok := out.Checks[c.name]
			if !ok {
				t.Fatal("check did not run")
			}
			if why != "" {
				t.Error(why)
			}
		})
	}
}

func requireRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root: the tests mount, pivot_root and mknod for real")
	}
}

// testRoot makes a directory holding a busybox root at "root" and a marker
// file next to it, outside the root. It returns both paths.
func testRoot(t *testing.T) (dir, root string) {
	t.Helper()
	dir = t.TempDir()
	root = filepath.Join(dir, "root")
	makeBusybox(t, root)
	writeFile(t, filepath.Join(root, "inside-marker"), "inside\n")
	writeFile(t, filepath.Join(dir, "host-marker"), "host\n")
	return dir, root
}

func makeBusybox(t *testing.T, root string) {
	t.Helper()
	bin := filepath.Join(root, "bin")
	if err := os.MkdirAll(bin, 0o755); err != nil {
		t.Fatal(err)
	}
	src, err := os.Open("/bin/busybox")
	if err != nil {
		t.Fatalf("the test roots need Debian's busybox-static: %v", err)
	}
	defer src.Close()
	dst, err := os.OpenFile(filepath.Join(bin, "busybox"), os.O_CREATE|os.O_WRONLY, 0o755)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(dst, src); err != nil {
		t.Fatal(err)
	}
	if err := dst.Close(); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"sh", "ls", "cat"} {
		if err := os.Symlink("busybox", filepath.Join(bin, name)); err != nil {
			t.Fatal(err)
		}
	}
}

func writeFile(t *testing.T, name, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(name, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func countMounts() (int, error) {
	b, err := os.ReadFile("/proc/self/mountinfo")
	return bytes.Count(b, []byte("\n")), err
}

// mountEntry is one line of /proc/self/mountinfo.
type mountEntry struct {
	point, fstype string
	opts          []string // per mount: ro, nosuid, ...
	superOpts     []string // per file system: size=, mode=, ...
	optional      []string // shared:N, master:N
}

func (e mountEntry) has(opts ...string) error {
	for _, o := range opts {
		if !slices.Contains(e.opts, o) && !slices.Contains(e.superOpts, o) {
			return fmt.Errorf("%s: no %q in %v %v", e.point, o, e.opts, e.superOpts)
		}
	}
	return nil
}

func mounts() ([]mountEntry, error) {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var es []mountEntry
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		pre, post, ok := strings.Cut(sc.Text(), " - ")
		a, b := strings.Fields(pre), strings.Fields(post)
		if !ok || len(a) < 6 || len(b) < 3 {
			return nil, fmt.Errorf("mountinfo line %q", sc.Text())
		}
		es = append(es, mountEntry{
			point:     unescapeMountinfo(a[4]),
			opts:      strings.Split(a[5], ","),
			optional:  a[6:],
			fstype:    b[0],
			superOpts: strings.Split(b[2], ","),
		})
	}
	return es, sc.Err()
}

// findMount returns the topmost mount at point.
func findMount(point string) (mountEntry, error) {
	es, err := mounts()
	if err != nil {
		return mountEntry{}, err
	}
	for i := len(es) - 1; i >= 0; i-- {
		if es[i].point == point {
			return es[i], nil
		}
	}
	return mountEntry{}, fmt.Errorf("nothing mounted at %s", point)
}

// wantErrno checks that err carries errno.
func wantErrno(what string, err error, errno syscall.Errno) error {
	if !errors.Is(err, errno) {
		return fmt.Errorf("%s: got %v, want %v", what, err, errno)
	}
	return nil
}

// wantNode checks the kind, numbers and permissions of the node at p.
func wantNode(p string, kind uint32, major, minor uint32, perm uint32) error {
	var st unix.Stat_t
	if err := unix.Lstat(p, &st); err != nil {
		return err
	}
	if st.Mode&unix.S_IFMT != kind {
		return fmt.Errorf("%s: type %#o, want %#o", p, st.Mode&unix.S_IFMT, kind)
	}
	if kind != unix.S_IFIFO && (unix.Major(st.Rdev) != major || unix.Minor(st.Rdev) != minor) {
		return fmt.Errorf("%s: %d:%d, want %d:%d", p, unix.Major(st.Rdev), unix.Minor(st.Rdev), major, minor)
	}
	if st.Mode&0o7777 != perm {
		return fmt.Errorf("%s: mode %#o, want %#o", p, st.Mode&0o7777, perm)
	}
	return nil
}
