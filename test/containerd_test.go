package e2e

import (
	"encoding/json"
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

	"github.com/libct/libct/internal/testutil"
)

// ctrNamespace is the containerd namespace of the tests: containerd puts
// a container's cgroup at /<namespace>/<id>, a name starting with libct.
const ctrNamespace = "libct-test"

// shimSocketDir is where containerd 1.6's shims put their sockets,
// whatever the daemon's state directory.
const shimSocketDir = "/run/containerd/s"

// containerdEnv is the tests' own containerd daemon and how to reach it.
type containerdEnv struct {
	f       *fixture
	bins    map[string]string
	dir     string // root of everything: config, root, state, socket
	sock    string
	ctRoot  string // ct's --root as given to the shim (it adds the namespace)
	fifoDir string
	daemon  *exec.Cmd
	exited  chan struct{}
	events  *background
	// shimSockets are the sockets in shimSocketDir before the test.
	shimSockets []string
	// createdRunDirs are /run/containerd and its s/ when the test made
	// them: removed at the end when empty.
	createdRunDirs []string
	ids            []string
}

// TestContainerd drives ct through containerd 1.6: ctr run --runc-binary
// with the runc v2 shim.
func TestContainerd(t *testing.T) {
	testutil.RequireRoot(t)
	bins := requireBinaries(t, "containerd", "containerd", "ctr", "containerd-shim-runc-v2")
	e := startContainerd(t, shared(t), bins)

	t.Run("run", e.testRun)
	t.Run("run-tty", e.testRunTTY)
	t.Run("exec", e.testExec)
	t.Run("exec-tty", e.testExecTTY)
	t.Run("pause-resume", e.testPauseResume)
	t.Run("kill", e.testKill)
	t.Run("memory-oom", e.testMemoryOOM)
	t.Run("network-host", e.testNetworkHost)
	t.Run("network-private", e.testNetworkPrivate)
	t.Run("nothing-left", e.testNothingLeft)
}

// startContainerd starts containerd with its config, root, state and
// socket in a new temporary directory, waits for its socket, imports the
// image, and watches its events. The test's cleanup stops it by its PID
// and removes what it made.
func startContainerd(t *testing.T, f *fixture, bins map[string]string) *containerdEnv {
	dir, err := os.MkdirTemp("", "libct-e2e-containerd-")
	if err != nil {
		t.Fatal(err)
	}
	e := &containerdEnv{
		f: f, bins: bins, dir: dir,
		sock:    filepath.Join(dir, "containerd.sock"),
		ctRoot:  filepath.Join(dir, "ct"),
		fifoDir: filepath.Join(dir, "fifo"),
	}
	e.shimSockets = dirEntries(shimSocketDir)
	e.createdRunDirs = missingPaths("/run/containerd", shimSocketDir)
	t.Cleanup(func() { e.cleanup(t) })

	config := fmt.Sprintf(`version = 2
root = %q
state = %q
# No CRI (it would set up CNI networks) and no /opt/containerd.
disabled_plugins = [
  "io.containerd.grpc.v1.cri",
  "io.containerd.internal.v1.opt",
  "io.containerd.snapshotter.v1.aufs",
  "io.containerd.snapshotter.v1.btrfs",
  "io.containerd.snapshotter.v1.devmapper",
  "io.containerd.snapshotter.v1.zfs",
]

[grpc]
  address = %q

[ttrpc]
  address = %q

[debug]
  address = ""

[metrics]
  address = ""
`, filepath.Join(dir, "root"), filepath.Join(dir, "state"), e.sock, e.sock+".ttrpc")
	configPath := filepath.Join(dir, "config.toml")
	if err := os.WriteFile(configPath, []byte(config), 0o644); err != nil {
		t.Fatal(err)
	}
	logFile, err := os.Create(filepath.Join(dir, "containerd.log"))
	if err != nil {
		t.Fatal(err)
	}
	defer logFile.Close()
	e.daemon = exec.Command(bins["containerd"], "--config", configPath, "--address", e.sock)
	e.daemon.Stdout, e.daemon.Stderr = logFile, logFile
	e.exited = startDaemon(t, "containerd", e.daemon, 15*time.Second, func() error { return e.ctr("version").quiet() }, e.log)
	e.events = command{name: bins["ctr"], args: []string{"--address", e.sock, "events"}, timeout: 10 * time.Minute}.start(t)
	e.ctr("images", "import", "--base-name", imageRepo, f.ociTar).mustRun(t)
	return e
}

// log returns the end of containerd's log.
func (e *containerdEnv) log() string {
	data, _ := os.ReadFile(filepath.Join(e.dir, "containerd.log"))
	if len(data) > 4000 {
		data = data[len(data)-4000:]
	}
	return string(data)
}

// ctr is a ctr command on the tests' daemon and namespace.
func (e *containerdEnv) ctr(args ...string) command {
	return command{name: e.bins["ctr"], args: append([]string{"--address", e.sock, "-n", ctrNamespace}, args...)}
}

// id names a container of the test, unique to this run.
func (e *containerdEnv) id(name string) string {
	id := fmt.Sprintf("%s-%d", name, os.Getpid())
	e.ids = append(e.ids, id)
	return id
}

// run is `ctr run` with ct as the runtime: opts, then the image, the id
// and the program.
func (e *containerdEnv) run(id string, opts []string, argv ...string) command {
	args := []string{"run", "--runc-binary", e.f.ct, "--runc-root", e.ctRoot, "--fifo-dir", e.fifoDir}
	args = append(args, opts...)
	args = append(args, imageName, id)
	return e.ctr(append(args, argv...)...)
}

// exec is `ctr task exec` of argv in container id.
func (e *containerdEnv) exec(id, execID string, opts []string, argv ...string) command {
	args := append([]string{"task", "exec", "--fifo-dir", e.fifoDir, "--exec-id", execID}, opts...)
	c := e.ctr(append(append(args, id), argv...)...)
	c.timeout = execTimeout
	return c
}

// detached runs argv in a new container in the background (ctr run -d)
// and removes the container at the end of the test.
func (e *containerdEnv) detached(t *testing.T, name string, opts []string, argv ...string) string {
	t.Helper()
	id := e.id(name)
	e.run(id, append([]string{"-d"}, opts...), argv...).mustRun(t)
	t.Cleanup(func() { e.remove(t, id) })
	if !waitFor(5*time.Second, func() bool { return e.taskStatus(id) == "RUNNING" }) {
		t.Fatalf("container %s: task is %q, want RUNNING", id, e.taskStatus(id))
	}
	return id
}

// remove deletes container id and its task, whatever their state.
func (e *containerdEnv) remove(t testing.TB, id string) {
	t.Helper()
	if e.taskStatus(id) != "" {
		e.ctr("task", "delete", "--force", id).run(t)
	}
	if e.ctr("containers", "info", id).quiet() == nil {
		e.ctr("containers", "rm", id).run(t)
	}
}

// taskStatus is the STATUS column of `ctr task ls` for id, "" without a
// task.
func (e *containerdEnv) taskStatus(id string) string {
	out, err := e.ctr("task", "ls").output()
	if err != nil {
		return ""
	}
	for _, line := range strings.Split(string(out), "\n") {
		fields := strings.Fields(line)
		if len(fields) == 3 && fields[0] == id {
			return fields[2]
		}
	}
	return ""
}

// ct runs ct itself on the state the shim gave it.
func (e *containerdEnv) ct(args ...string) command {
	root := filepath.Join(e.ctRoot, ctrNamespace)
	return command{name: e.f.ct, args: append([]string{"--root", root}, args...)}
}

// ctStatus is the status `ct state` reports for id.
func ctStatus(t testing.TB, c command) string {
	t.Helper()
	r := c.run(t)
	var st struct {
		Status string `json:"status"`
	}
	if r.code != 0 || json.Unmarshal([]byte(r.stdout), &st) != nil {
		return "(ct state failed)"
	}
	return st.Status
}

// cgroupFile reads a file of the container's cgroup in hierarchy ctl
// (v1: /sys/fs/cgroup/<ctl>/<path>/<file>).
// checkFrozen checks that the freezer cgroup cg and ct's state agree that
// the container is paused (frozen), or running (thawed).
func checkFrozen(t testing.TB, cg, ctState string, frozen bool) {
	t.Helper()
	freezer, state := "THAWED", "running"
	if frozen {
		freezer, state = "FROZEN", "paused"
	}
	if st := cgroupFile("freezer", cg, "freezer.state"); st != freezer {
		t.Errorf("freezer.state of %s: %s, want %s", cg, st, freezer)
	}
	if ctState != state {
		t.Errorf("ct state: %s, want %s", ctState, state)
	}
}

func cgroupFile(ctl, path, file string) string {
	data, err := os.ReadFile(filepath.Join(cgroupRoot, ctl, path, file))
	if err != nil {
		return "(" + err.Error() + ")"
	}
	return strings.TrimSpace(string(data))
}

func (e *containerdEnv) testRun(t *testing.T) {
	id := e.id("run")
	r := e.run(id, []string{"--rm"}, "sh", "-c", `echo "hello from $(cat /etc/hostname) as $(id -u)"; echo "pid $$"; exit 3`).run(t)
	if r.code != 3 {
		t.Errorf("exit status %d, want 3 (the program's)", r.code)
	}
	if !strings.Contains(r.stdout, "hello from libct-rootfs as 0") || !strings.Contains(r.stdout, "pid 1\n") {
		t.Errorf("output %q: want the image's hostname file, uid 0 and pid 1", r.stdout)
	}
}

// ttyScript prints the terminal and its size. Both engines size a
// process's terminal only once it has started (ctr 1.6 calls
// HandleConsoleResize after Start, podman 4.3 sends the size through
// conmon after attaching, and neither sets process.consoleSize), so the
// script gives them a moment: with runc too, an immediate stty sees 0x0.
const ttyScript = "tty; sleep 0.3; stty size; "

func (e *containerdEnv) testRunTTY(t *testing.T) {
	id := e.id("runtty")
	r := e.run(id, []string{"--rm", "-t"}, "sh", "-c", ttyScript+"exit 6").runTTY(t)
	checkTTY(t, r, 6)
}

// checkTTY checks the output of `tty; stty size; exit code`: a terminal of
// the container's own devpts (/dev/pts/N), with the client's window size.
func checkTTY(t *testing.T, r result, code int) {
	t.Helper()
	if r.err != nil {
		t.Errorf("%s", r.err)
	}
	if r.code != code {
		t.Errorf("exit status %d, want %d", r.code, code)
	}
	if !strings.Contains(r.stdout, "/dev/pts/") {
		t.Errorf("tty printed %q: the process has no terminal it can name", r.stdout)
	}
	if want := fmt.Sprintf("%d %d", ttyRows, ttyCols); !strings.Contains(r.stdout, want) {
		t.Errorf("stty size printed %q, want %q (the client's window size)", r.stdout, want)
	}
}

func (e *containerdEnv) testExec(t *testing.T) {
	requireEnterStage(t, e.f) // the engine execs through ct exec
	id := e.detached(t, "exec", nil, "sleep", "1000")
	mounts := mountsOf(t, e.initPid(t, id))
	defer func() { checkMountsUnchanged(t, mounts, mountsOf(t, e.initPid(t, id))) }()
	t.Run("quick-exit", func(t *testing.T) {
		// The process is gone before ct exec returns: its exit must
		// still reach the shim (a subreaper), as it does with runc.
		r := e.exec(id, "quick", nil, "sh", "-c", `echo "out $$"; echo err >&2; exit 3`).run(t)
		checkExec(t, r, 3, "out ", "err")
	})
	t.Run("long-lived", func(t *testing.T) {
		r := e.exec(id, "long", nil, "sh", "-c", "sleep 0.5; echo out; echo err >&2; exit 4").run(t)
		checkExec(t, r, 4, "out", "err")
	})
	t.Run("sees-container", func(t *testing.T) {
		r := e.exec(id, "ps", nil, "sh", "-c", "sleep 0.3; ps -o pid,args").run(t)
		checkExec(t, r, 0, "sleep 1000", "")
		if !strings.Contains(r.stdout, "1 sleep 1000") && !strings.Contains(r.stdout, "1 root     sleep 1000") {
			t.Errorf("ps in the container shows %q: want the container's init, sleep, as pid 1", r.stdout)
		}
	})
}

// checkExec checks an exec's status and output.
func checkExec(t *testing.T, r result, code int, stdout, stderr string) {
	t.Helper()
	if r.err == errTimeout {
		t.Errorf("the engine's exec never returned: it did not learn that the process exited " +
			"(ct exec --detach must leave the exited process to the engine's subreaper, not reap it)")
		return
	}
	if r.code != code {
		hint := ""
		if r.code == 255 {
			hint = " (255: the engine lost the process's exit status)"
		}
		t.Errorf("exit status %d, want %d%s", r.code, code, hint)
	}
	if !strings.Contains(r.stdout, stdout) {
		t.Errorf("stdout %q, want %q in it", r.stdout, stdout)
	}
	if !strings.Contains(r.stderr, stderr) {
		t.Errorf("stderr %q, want %q in it", r.stderr, stderr)
	}
}

func (e *containerdEnv) testExecTTY(t *testing.T) {
	requireEnterStage(t, e.f) // the engine execs through ct exec
	id := e.detached(t, "exectty", nil, "sleep", "1000")
	mounts := mountsOf(t, e.initPid(t, id))
	// Twice: a second terminal in the same container must work as well.
	// ttyScript's sleep also keeps the exec alive until ct exec has
	// returned, so this checks the terminal, not the exit (see
	// exec/quick-exit). Entering must not change the container's mounts.
	for i := 1; i <= 2; i++ {
		t.Run(strconv.Itoa(i), func(t *testing.T) {
			r := e.exec(id, "tty"+strconv.Itoa(i), []string{"-t"}, "sh", "-c", ttyScript+"exit 5").runTTY(t)
			checkTTY(t, r, 5)
		})
	}
	checkMountsUnchanged(t, mounts, mountsOf(t, e.initPid(t, id)))
}

// initPid is the host pid of the init of container id.
func (e *containerdEnv) initPid(t testing.TB, id string) int {
	t.Helper()
	out, _ := e.ctr("task", "ls").output()
	for _, line := range strings.Split(string(out), "\n") {
		if f := strings.Fields(line); len(f) == 3 && f[0] == id {
			if pid, err := strconv.Atoi(f[1]); err == nil {
				return pid
			}
		}
	}
	t.Fatalf("no task %s in ctr task ls:\n%s", id, out)
	return 0
}

// mountsOf is the mount table of process pid: mount point, source and
// file system of each mount, in order.
func mountsOf(t testing.TB, pid int) []string {
	t.Helper()
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/mountinfo", pid))
	if err != nil {
		t.Fatal(err)
	}
	var mounts []string
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		f := strings.Fields(line)
		if len(f) < 5 {
			continue
		}
		sep := slices.Index(f, "-")
		desc := f[4] + " " + f[3]
		if sep > 0 && sep+2 < len(f) {
			desc += " " + f[sep+1] + " " + f[sep+2]
		}
		mounts = append(mounts, desc)
	}
	return mounts
}

// checkMountsUnchanged fails t when entering the container changed the
// mounts of its init: an exec must leave the container as it found it.
func checkMountsUnchanged(t *testing.T, before, after []string) {
	t.Helper()
	if slices.Equal(before, after) {
		return
	}
	for _, m := range after {
		if !slices.Contains(before, m) {
			t.Errorf("the execs added a mount to the container: %s", m)
		}
	}
	for _, m := range before {
		if !slices.Contains(after, m) {
			t.Errorf("the execs removed a mount of the container: %s", m)
		}
	}
	if len(after) != len(before) {
		t.Errorf("the container had %d mounts before the execs, %d after", len(before), len(after))
	}
}

func (e *containerdEnv) testPauseResume(t *testing.T) {
	id := e.detached(t, "pause", nil, "sleep", "1000")
	cg := filepath.Join("/", ctrNamespace, id)
	e.ctr("task", "pause", id).mustRun(t)
	if st := e.taskStatus(id); st != "PAUSED" {
		t.Errorf("ctr task ls: %s, want PAUSED", st)
	}
	checkFrozen(t, cg, ctStatus(t, e.ct("state", id)), true)
	e.ctr("task", "resume", id).mustRun(t)
	if st := e.taskStatus(id); st != "RUNNING" {
		t.Errorf("ctr task ls: %s, want RUNNING", st)
	}
	checkFrozen(t, cg, ctStatus(t, e.ct("state", id)), false)
}

func (e *containerdEnv) testKill(t *testing.T) {
	t.Run("term", func(t *testing.T) {
		id := e.id("term")
		bg := e.run(id, []string{"--rm"}, "sh", "-c", `trap "echo got TERM; exit 7" TERM; echo ready; while :; do sleep 0.1; done`).start(t)
		t.Cleanup(func() { bg.stop(); e.remove(t, id) })
		if !waitFor(10*time.Second, func() bool { return strings.Contains(bg.out.String(), "ready") }) {
			t.Fatalf("the container did not start: %q %q", bg.out.String(), bg.errOut.String())
		}
		e.ctr("task", "kill", "-s", "SIGTERM", id).mustRun(t)
		r := bg.wait(t)
		if r.code != 7 || !strings.Contains(r.stdout, "got TERM") {
			t.Errorf("after SIGTERM: exit %d, output %q; want 7 and the trap's message", r.code, r.stdout)
		}
	})
	t.Run("kill-all", func(t *testing.T) {
		id := e.id("killall")
		bg := e.run(id, []string{"--rm"}, "sh", "-c", "sleep 1000 & sleep 1000 & echo ready; wait").start(t)
		t.Cleanup(func() { bg.stop(); e.remove(t, id) })
		if !waitFor(10*time.Second, func() bool { return strings.Contains(bg.out.String(), "ready") }) {
			t.Fatalf("the container did not start: %q %q", bg.out.String(), bg.errOut.String())
		}
		r := e.ct("ps", "--format", "json", id).run(t)
		var pids []int
		if json.Unmarshal([]byte(r.stdout), &pids); len(pids) != 3 {
			t.Errorf("ct ps: %v, want the shell and its two sleeps", pids)
		}
		e.ctr("task", "kill", "--all", "-s", "SIGKILL", id).mustRun(t)
		if r := bg.wait(t); r.code != 137 {
			t.Errorf("after SIGKILL to all: exit %d, want 137", r.code)
		}
		for _, pid := range pids {
			if err := syscall.Kill(pid, 0); err == nil {
				t.Errorf("process %d of the container survived kill --all", pid)
			}
		}
	})
}

func (e *containerdEnv) testMemoryOOM(t *testing.T) {
	const limit = 32 << 20
	trigger := filepath.Join(e.dir, "trigger-oom")
	if err := os.Mkdir(trigger, 0o755); err != nil {
		t.Fatal(err)
	}
	id := e.id("oom")
	// The program waits for the test to have seen its limit, then asks
	// for twice as much memory as it may have.
	bg := e.run(id, []string{"--rm", "--memory-limit", strconv.Itoa(limit),
		"--mount", "type=bind,src=" + trigger + ",dst=/trigger,options=rbind:rw"},
		"sh", "-c", "while [ ! -e /trigger/go ]; do sleep 0.05; done; exec dd if=/dev/zero of=/dev/null bs=64M count=1").start(t)
	t.Cleanup(func() { bg.stop(); e.remove(t, id) })
	cg := filepath.Join("/", ctrNamespace, id)
	var got string
	waitFor(10*time.Second, func() bool {
		got = cgroupFile("memory", cg, "memory.limit_in_bytes")
		return got == strconv.Itoa(limit)
	})
	if got != strconv.Itoa(limit) {
		t.Errorf("memory.limit_in_bytes of %s: %s, want %d", cg, got, limit)
	}
	if err := os.WriteFile(filepath.Join(trigger, "go"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if r := bg.wait(t); r.code != 137 {
		t.Errorf("exit status %d, want 137 (killed by the OOM killer)", r.code)
	}
	want := fmt.Sprintf(`/tasks/oom {"container_id":"%s"}`, id)
	if !waitFor(5*time.Second, func() bool { return strings.Contains(e.events.out.String(), want) }) {
		t.Errorf("ctr events has no %s:\n%s", want, e.events.out.String())
	}
}

// hostNet is the test's own network namespace and its interfaces.
func hostNet(t *testing.T) (ns string, links []string) {
	t.Helper()
	ns, err := os.Readlink("/proc/self/ns/net")
	if err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir("/sys/class/net")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		links = append(links, e.Name())
	}
	return ns, links
}

// netScript prints the network namespace and the interface names the
// container sees.
const netScript = `readlink /proc/self/ns/net; ip -o link show | cut -d: -f2 | tr -d ' ' | cut -d@ -f1`

// checkNetwork checks the output of netScript: the host's namespace and
// interfaces, or a namespace of its own with only lo.
func checkNetwork(t *testing.T, out string, host bool) {
	t.Helper()
	lines := strings.Fields(out)
	if len(lines) == 0 {
		t.Fatalf("no output")
	}
	hostNS, hostLinks := hostNet(t)
	ns, links := lines[0], lines[1:]
	if host {
		if ns != hostNS {
			t.Errorf("network namespace %s, want the host's, %s", ns, hostNS)
		}
		for _, l := range hostLinks {
			if !contains(links, l) {
				t.Errorf("the container does not see the host's %s (it sees %v)", l, links)
			}
		}
		return
	}
	if ns == hostNS {
		t.Errorf("the container is in the host's network namespace %s", ns)
	}
	if len(links) != 1 || links[0] != "lo" {
		t.Errorf("the container sees %v, want only lo", links)
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func (e *containerdEnv) testNetworkHost(t *testing.T) {
	r := e.run(e.id("nethost"), []string{"--rm", "--net-host"}, "sh", "-c", netScript).mustRun(t)
	checkNetwork(t, r.stdout, true)
}

func (e *containerdEnv) testNetworkPrivate(t *testing.T) {
	r := e.run(e.id("netnone"), []string{"--rm"}, "sh", "-c", netScript).mustRun(t)
	checkNetwork(t, r.stdout, false)
	r = e.run(e.id("netlo"), []string{"--rm"}, "sh", "-c", "ip -o addr show lo | grep -q 127.0.0.1 && ping -c1 -W2 127.0.0.1 >/dev/null && echo lo-up").run(t)
	if !strings.Contains(r.stdout, "lo-up") {
		t.Errorf("lo in the private network is not up with 127.0.0.1: %s", r)
	}
}

// leakCheck is what the containerd tests may leave.
func (e *containerdEnv) leakCheck() *leakCheck {
	return &leakCheck{
		cgroupParents: []string{"/" + ctrNamespace},
		sharedParents: true,
		ids:           e.ids,
		stateRoots:    []string{filepath.Join(e.ctRoot, ctrNamespace)},
		dir:           e.dir,
	}
}

func (e *containerdEnv) testNothingLeft(t *testing.T) {
	out, _ := e.ctr("containers", "ls", "-q").output()
	if left := strings.Fields(string(out)); len(left) > 0 {
		t.Errorf("containers left in containerd: %v", left)
	}
	// The OCI runtime root the engine gave ct must be as before the
	// first container: no container's state and nothing of ct's own.
	names := dirEntries(filepath.Join(e.ctRoot, ctrNamespace))
	if len(names) > 0 {
		t.Errorf("ct state left in %s: %v", filepath.Join(e.ctRoot, ctrNamespace), names)
	}
	// Processes, cgroups, mounts: what the containers had is gone, the
	// daemon still runs (its cmdline names the test's directory).
	l := e.leakCheck()
	l.dir = ""
	l.check(t)
	e.stop(t)
	e.leakCheck().check(t)
	checkShimSocketsGone(t, e.shimSockets)
}

// stop stops the daemon by its PID (SIGTERM, SIGKILL after 10s) and ends
// shims it left.
func (e *containerdEnv) stop(t testing.TB) {
	select {
	case <-e.exited:
		return
	default:
	}
	if e.events != nil {
		e.events.stop()
	}
	if stopPID(e.daemon.Process.Pid, e.exited, syscall.SIGTERM, 10*time.Second) {
		t.Errorf("containerd (pid %d) ignored SIGTERM for 10s and was killed", e.daemon.Process.Pid)
	}
	t.Logf("containerd stopped")
	// Shims of this daemon (their command line names its socket) are
	// the test's processes too.
	l := &leakCheck{dir: e.dir}
	for _, p := range l.processes() {
		t.Errorf("left behind after containerd stopped: %s", p)
		if pid, err := strconv.Atoi(strings.TrimSuffix(strings.Fields(p)[1], ":")); err == nil {
			syscall.Kill(pid, syscall.SIGKILL)
		}
	}
}

// cleanup runs at the end of TestContainerd, whatever happened: removes
// every container left, stops the daemon, removes the cgroups of the
// namespace and the directory.
func (e *containerdEnv) cleanup(t *testing.T) {
	if e.daemon != nil && e.daemon.Process != nil {
		select {
		case <-e.exited:
		default:
			out, _ := e.ctr("containers", "ls", "-q").output()
			for _, id := range strings.Fields(string(out)) {
				e.remove(t, id)
			}
			e.stop(t)
		}
	}
	// The namespace's cgroup parent may serve another run at the same
	// time: only this run's containers are removed from it.
	for _, id := range e.ids {
		for _, d := range cgroupDirs(filepath.Join("/", ctrNamespace, id)) {
			if err := removeCgroupTree(d); err != nil {
				t.Errorf("remove cgroups: %v", err)
			}
		}
	}
	for _, d := range cgroupDirs("/" + ctrNamespace) {
		syscall.Rmdir(d) // only when empty
	}
	for i := len(e.createdRunDirs) - 1; i >= 0; i-- {
		syscall.Rmdir(e.createdRunDirs[i]) // only when empty
	}
	if t.Failed() {
		t.Logf("containerd's log (end):\n%s", e.log())
	}
	removeTree(t, e.dir)
}

// startDaemon starts an engine's daemon in its own process group (a ^C
// to the tests does not reach it before the cleanup stops it in order),
// and waits up to timeout until ping answers. exited closes when the
// daemon ends; log is its log, shown when it does not come up.
func startDaemon(t *testing.T, name string, daemon *exec.Cmd, timeout time.Duration, ping func() error, log func() string) (exited chan struct{}) {
	t.Helper()
	daemon.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := daemon.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	exited = make(chan struct{})
	go func() { daemon.Wait(); close(exited) }()
	t.Logf("%s started, pid %d", name, daemon.Process.Pid)
	up := waitFor(timeout, func() bool {
		select {
		case <-exited:
			return true
		default:
		}
		return ping() == nil
	})
	select {
	case <-exited:
		t.Fatalf("%s exited at start: %s\n%s", name, daemon.ProcessState, log())
	default:
	}
	if !up {
		t.Fatalf("%s's socket did not answer within %v\n%s", name, timeout, log())
	}
	return exited
}

// checkMemoryLimit checks that the memory cgroup cg limits memory and
// memory with swap to limit bytes.
func checkMemoryLimit(t testing.TB, cg string, limit int) {
	t.Helper()
	for _, file := range []string{"memory.limit_in_bytes", "memory.memsw.limit_in_bytes"} {
		if got := cgroupFile("memory", cg, file); got != strconv.Itoa(limit) {
			t.Errorf("%s of %s: %s, want %d", file, cg, got, limit)
		}
	}
}
