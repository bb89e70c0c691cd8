package cgroups

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// The tests run processes in real cgroups: the test binary re-executed
// with helperEnv naming a role. A helper waits for a "go" line on stdin,
// sent once it is in its cgroup, then plays its role and reports on
// stdout.
const helperEnv = "LIBCT_CGROUPS_TEST_HELPER"

func TestMain(m *testing.M) {
	if role := os.Getenv(helperEnv); role != "" {
		os.Exit(helperMain(role, os.Args[1:]))
	}
	before := libctCgroups()
	code := m.Run()
	if leaked := slices.DeleteFunc(libctCgroups(), func(d string) bool { return slices.Contains(before, d) }); len(leaked) > 0 {
		fmt.Fprintf(os.Stderr, "FAIL: the tests left cgroups behind: %v\n", leaked)
		code = 1
	}
	os.Exit(code)
}

// libctCgroups lists every libct* cgroup of every hierarchy, and their
// descendants.
func libctCgroups() []string {
	var out []string
	for _, pat := range []string{"/sys/fs/cgroup/libct*", "/sys/fs/cgroup/*/libct*"} {
		tops, _ := filepath.Glob(pat)
		for _, top := range tops {
			filepath.WalkDir(top, func(p string, d os.DirEntry, err error) error {
				if err == nil && d.IsDir() {
					out = append(out, p)
				}
				return nil
			})
		}
	}
	return out
}

// requireCgroups skips a test that cannot run here: not root, or no
// cgroup hierarchy. In CI (CI=true) it fails instead.
func requireCgroups(t testing.TB) {
	t.Helper()
	if os.Geteuid() != 0 {
		skipOrFail(t, "needs root")
	}
	if _, err := Detect(); err != nil {
		skipOrFail(t, err.Error())
	}
}

func skipOrFail(t testing.TB, why string) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatalf("cannot run (and CI=true): %s", why)
	}
	t.Skip(why)
}

// testPath is a cgroup path of the test's own, relative: under /libct.
func testPath(t testing.TB) string {
	name := strings.NewReplacer("/", "-", " ", "_").Replace(t.Name())
	return fmt.Sprintf("cgtest-%s-%d", name, os.Getpid())
}

// create makes the cgroup of cfg and destroys it at the end of the test.
func create(t *testing.T, cfg Config) Manager {
	t.Helper()
	requireCgroups(t)
	if cfg.Path == "" {
		cfg.Path = testPath(t)
	}
	m, err := Create(&cfg)
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	t.Cleanup(func() {
		if err := m.Destroy(); err != nil {
			t.Errorf("Destroy: %v", err)
		}
	})
	return m
}

// onHost returns v1 when ctl is driven through a v1 hierarchy here, else
// v2: for tests that name files.
func onHost(t testing.TB, ctl, v1, v2 string) string {
	l, err := hostLayout()
	if err != nil {
		t.Fatal(err)
	}
	if l.v1[ctl] != nil {
		return v1
	}
	return v2
}

func busybox(t testing.TB) string {
	for _, p := range []string{"/bin/busybox", "/usr/bin/busybox"} {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	skipOrFail(t, "no busybox")
	return ""
}

// helper is a process of the test binary running a role in a cgroup.
type helper struct {
	t     testing.TB
	cmd   *exec.Cmd
	in    *os.File
	lines chan string
	done  chan struct{}
	err   error // of Wait, once done is closed
}

// startHelper starts role as libct starts an init: cloned straight into
// the cgroup where the host has a unified hierarchy, attached in every
// hierarchy right after, and only then told to go.
func startHelper(t testing.TB, m Manager, role string, args ...string) *helper {
	t.Helper()
	h := startUnattached(t, m, role, args...)
	if err := m.Attach(h.cmd.Process.Pid); err != nil {
		t.Fatalf("Attach: %v", err)
	}
	h.send("go")
	return h
}

func startUnattached(t testing.TB, m Manager, role string, args ...string) *helper {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe, args...)
	cmd.Env = append(os.Environ(), helperEnv+"="+role, "GOMAXPROCS=1", "PATH=/usr/bin:/bin:/usr/sbin:/sbin")
	cmd.Stderr = os.Stderr
	inR, inW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	outR, outW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdin, cmd.Stdout = inR, outW
	if m != nil {
		dir, err := m.OpenDir()
		if err != nil {
			t.Fatal(err)
		}
		if dir != nil {
			defer dir.Close()
			cmd.SysProcAttr = &syscall.SysProcAttr{UseCgroupFD: true, CgroupFD: int(dir.Fd())}
		}
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start helper %s: %v", role, err)
	}
	inR.Close()
	outW.Close()
	h := &helper{t: t, cmd: cmd, in: inW, lines: make(chan string, 1024), done: make(chan struct{})}
	go func() {
		sc := bufio.NewScanner(outR)
		for sc.Scan() {
			h.lines <- sc.Text()
		}
		close(h.lines)
		outR.Close()
	}()
	go func() {
		h.err = cmd.Wait()
		close(h.done)
	}()
	t.Cleanup(func() {
		h.in.Close()
		h.cmd.Process.Kill()
		select {
		case <-h.done:
		case <-time.After(10 * time.Second):
			// Frozen, say: the Destroy that follows thaws and kills it.
			t.Errorf("helper %d did not die of SIGKILL", h.pid())
		}
	})
	return h
}

func (h *helper) pid() int { return h.cmd.Process.Pid }

func (h *helper) send(line string) {
	h.t.Helper()
	if _, err := fmt.Fprintln(h.in, line); err != nil {
		h.t.Fatalf("send %q to helper: %v", line, err)
	}
}

// line returns the next line the helper prints.
func (h *helper) line(timeout time.Duration) string {
	h.t.Helper()
	select {
	case l, ok := <-h.lines:
		if !ok {
			h.t.Fatalf("helper closed its output (exit: %v)", h.wait(time.Second))
		}
		return l
	case <-time.After(timeout):
		h.t.Fatalf("no line from the helper in %v", timeout)
	}
	return ""
}

// wait waits for the helper to exit and returns Wait's error.
func (h *helper) wait(timeout time.Duration) error {
	h.t.Helper()
	select {
	case <-h.done:
		return h.err
	case <-time.After(timeout):
		h.t.Fatalf("helper still runs after %v", timeout)
	}
	return nil
}

// waitFor polls cond until it holds or the timeout passes.
func waitFor(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// The helper side.

var stdin = bufio.NewReader(os.Stdin)

func readLine() (string, bool) {
	l, err := stdin.ReadString('\n')
	return strings.TrimSpace(l), err == nil
}

func helperMain(role string, args []string) int {
	if role != "destroy" {
		if l, ok := readLine(); !ok || l != "go" {
			fmt.Fprintf(os.Stderr, "helper %s: no go (%q)\n", role, l)
			return 2
		}
	}
	fn, ok := roles[role]
	if !ok {
		fmt.Fprintln(os.Stderr, "helper: no role", role)
		return 2
	}
	if err := fn(args); err != nil {
		fmt.Fprintf(os.Stderr, "helper %s: %v\n", role, err)
		return 1
	}
	return 0
}

var roles = map[string]func(args []string) error{
	// sleep waits for its stdin to close.
	"sleep": func([]string) error {
		fmt.Println("ready")
		for {
			if _, ok := readLine(); !ok {
				return nil
			}
		}
	},
	// hog allocates and touches memory, a MiB at a time, up to 1 GiB.
	"hog": func([]string) error {
		var keep [][]byte
		for mb := 1; mb <= 1024; mb++ {
			b := make([]byte, 1<<20)
			for i := 0; i < len(b); i += 4096 {
				b[i] = 1
			}
			keep = append(keep, b)
			if mb%8 == 0 {
				fmt.Println("mb", mb)
			}
		}
		fmt.Println("survived", len(keep))
		return nil
	},
	// spin burns cpu.
	"spin": func([]string) error {
		fmt.Println("ready")
		x := 0
		for {
			x++
		}
	},
	// count prints a growing counter every 5 ms.
	"count": func([]string) error {
		for i := 0; ; i++ {
			fmt.Println(i)
			time.Sleep(5 * time.Millisecond)
		}
	},
	// forker waits for "fork", then starts busybox sleeps until the
	// kernel refuses, and prints how many and the errno.
	"forker": func(args []string) error {
		if l, _ := readLine(); l != "fork" {
			return fmt.Errorf("want fork, got %q", l)
		}
		runtime.LockOSThread()
		n := 0
		var err error
		for ; n < 10000; n++ {
			if _, err = syscall.ForkExec(args[0], []string{"busybox", "sleep", "1000"}, nil); err != nil {
				break
			}
		}
		name := "none"
		if errno, ok := err.(syscall.Errno); ok {
			name = unix.ErrnoName(errno)
		}
		fmt.Println("forked", n, name)
		readLine()
		return nil
	},
	// open opens "PATH r|w" for each line and prints ok or the errno.
	"open": func([]string) error {
		for {
			l, ok := readLine()
			if !ok {
				return nil
			}
			p, mode, _ := strings.Cut(l, " ")
			flag := unix.O_RDONLY
			if mode == "w" {
				flag = unix.O_WRONLY
			}
			fd, err := unix.Open(p, flag|unix.O_CLOEXEC, 0)
			if err != nil {
				fmt.Println(unix.ErrnoName(err.(syscall.Errno)))
				continue
			}
			unix.Close(fd)
			fmt.Println("ok")
		}
	},
	// status prints a line of /proc/self/status.
	"status": func(args []string) error {
		b, err := os.ReadFile("/proc/self/status")
		if err != nil {
			return err
		}
		for _, l := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(l, args[0]+":"); ok {
				fmt.Println(strings.TrimSpace(v))
			}
		}
		readLine()
		return nil
	},
	// exec becomes its arguments.
	"exec": func(args []string) error {
		return syscall.Exec(args[0], args, os.Environ())
	},
	// destroy loads a State from its argument and destroys the cgroup:
	// Destroy from another process.
	"destroy": func(args []string) error {
		var st State
		if err := json.Unmarshal([]byte(args[0]), &st); err != nil {
			return err
		}
		m, err := Load(st)
		if err != nil {
			return err
		}
		if err := m.Destroy(); err != nil {
			return err
		}
		fmt.Println("destroyed")
		return nil
	},
	"submount": submountRole,
}

// cgroupOf returns the lines of /proc/PID/cgroup by hierarchy
// ("memory", "cpu,cpuacct", "" for the unified one).
func cgroupOf(t testing.TB, pid int) map[string]string {
	t.Helper()
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cgroup")
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, l := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		f := strings.SplitN(l, ":", 3)
		if len(f) == 3 {
			out[f[1]] = f[2]
		}
	}
	return out
}

// noCgroup checks that path exists in no hierarchy.
func noCgroup(t testing.TB, path string) {
	t.Helper()
	l, err := hostLayout()
	if err != nil {
		t.Fatal(err)
	}
	p, err := resolvePath(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, mnt := range l.mounts() {
		if _, err := os.Stat(filepath.Join(mnt, p)); err == nil {
			t.Errorf("%s is left behind", filepath.Join(mnt, p))
		}
	}
}
