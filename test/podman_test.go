package e2e

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/libct/libct/internal/testutil"
)

// ctDefaultRoot is where ct keeps its state when the engine gives no
// --root, as podman does.
const ctDefaultRoot = "/run/libct"

// podmanEnv is podman with every store in a temporary directory.
type podmanEnv struct {
	f            *fixture
	bin          string
	dir          string
	cgroupParent string
	global       []string // podman's global options
	env          []string
	// createdPaths are system paths podman makes on first use (its blob
	// info cache) that did not exist before the test.
	createdPaths []string
}

// TestPodman drives ct through podman 4.3: podman --runtime.
func TestPodman(t *testing.T) {
	testutil.RequireRoot(t)
	bins := requireBinaries(t, "podman", "podman", "conmon")
	p := newPodman(t, shared(t), bins["podman"])

	t.Run("run", p.testRun)
	t.Run("run-tty", p.testRunTTY)
	t.Run("exec", p.testExec)
	t.Run("exec-tty", p.testExecTTY)
	t.Run("pause-resume", p.testPauseResume)
	t.Run("kill-stop", p.testKillStop)
	t.Run("memory-oom", p.testMemoryOOM)
	t.Run("network-host", p.testNetworkHost)
	t.Run("network-private", p.testNetworkPrivate)
	t.Run("sdnotify-container", p.testSdnotifyContainer)
	t.Run("nothing-left", p.testNothingLeft)
}

func newPodman(t *testing.T, f *fixture, bin string) *podmanEnv {
	dir, err := os.MkdirTemp("", "libct-e2e-podman-")
	if err != nil {
		t.Fatal(err)
	}
	p := &podmanEnv{
		f: f, bin: bin, dir: dir,
		cgroupParent: fmt.Sprintf("/libct-e2e-podman-%d", os.Getpid()),
		createdPaths: missingPaths("/var/lib/containers"),
	}
	t.Cleanup(func() { p.cleanup(t) })
	// Limits no runtime needs privileges to set (see the package doc):
	// podman's defaults are above what this process may raise to.
	var nofile, nproc unix.Rlimit
	unix.Getrlimit(unix.RLIMIT_NOFILE, &nofile)
	unix.Getrlimit(unix.RLIMIT_NPROC, &nproc)
	conf := fmt.Sprintf(`[containers]
netns = "none"
default_ulimits = ["nofile=%[1]d:%[1]d", "nproc=%[2]d:%[2]d"]

[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
`, min(nofile.Max, 1024), min(nproc.Max, 4096))
	confPath := filepath.Join(dir, "containers.conf")
	if err := os.WriteFile(confPath, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(dir, "cids"), 0o755); err != nil {
		t.Fatal(err)
	}
	p.env = []string{"CONTAINERS_CONF=" + confPath}
	p.global = []string{
		"--root", filepath.Join(dir, "root"),
		"--runroot", filepath.Join(dir, "runroot"),
		"--tmpdir", filepath.Join(dir, "tmp"),
		"--volumepath", filepath.Join(dir, "volumes"),
		"--network-config-dir", filepath.Join(dir, "networks"),
		"--storage-driver", "vfs",
		"--cgroup-manager", "cgroupfs",
		"--events-backend", "file",
		"--runtime", f.ct,
	}
	p.podman("import", f.layerTar, imageName).mustRun(t)
	return p
}

// podman is a podman command with the tests' stores and ct.
func (p *podmanEnv) podman(args ...string) command {
	return command{name: p.bin, args: append(append([]string(nil), p.global...), args...), env: p.env}
}

// name names a container of the test, unique to this run.
func (p *podmanEnv) name(n string) string {
	return fmt.Sprintf("%s-%d", n, os.Getpid())
}

// runArgs are the options of every container: its name, the tests'
// cgroup parent, and a file that keeps its ID for the leak checks.
func (p *podmanEnv) runArgs(name string, opts ...string) []string {
	return append([]string{"--name", name, "--cgroup-parent", p.cgroupParent,
		"--cidfile", filepath.Join(p.dir, "cids", name)}, opts...)
}

// id is the full ID of container name, from its cidfile.
func (p *podmanEnv) id(t testing.TB, name string) string {
	return cidOf(t, filepath.Join(p.dir, "cids"), name)
}

// ids are the IDs of every container the test made.
func (p *podmanEnv) ids() []string { return cidsIn(filepath.Join(p.dir, "cids")) }

// detached starts argv in a new container in the background and removes
// it at the end of the test.
func (p *podmanEnv) detached(t *testing.T, name string, opts []string, argv ...string) string {
	t.Helper()
	name = p.name(name)
	args := append([]string{"run", "-d"}, p.runArgs(name, opts...)...)
	t.Cleanup(func() { p.remove(t, name) })
	p.podman(append(append(args, imageName), argv...)...).mustRun(t)
	return p.id(t, name)
}

// remove removes container name, whatever its state.
func (p *podmanEnv) remove(t testing.TB, name string) {
	t.Helper()
	p.podman("rm", "--force", "--ignore", "--time", "0", name).run(t)
}

// inspect reads one field of a container.
func (p *podmanEnv) inspect(t testing.TB, name, format string) string {
	t.Helper()
	return strings.TrimSpace(p.podman("container", "inspect", "--format", format, name).mustRun(t).stdout)
}

// exitCode waits for container name to exit and returns its status.
func (p *podmanEnv) exitCode(t testing.TB, name string) int {
	t.Helper()
	r := p.podman("wait", name).mustRun(t)
	code, err := strconv.Atoi(strings.TrimSpace(r.stdout))
	if err != nil {
		t.Fatalf("podman wait printed %q", r.stdout)
	}
	return code
}

func (p *podmanEnv) ct(args ...string) command {
	return command{name: p.f.ct, args: append([]string{"--root", ctDefaultRoot}, args...)}
}

func (p *podmanEnv) testRun(t *testing.T) {
	name := p.name("run")
	args := append([]string{"run", "--rm"}, p.runArgs(name, "--network", "none")...)
	r := p.podman(append(args, imageName, "sh", "-c", `echo "hello as $(id -u)"; echo "pid $$"; exit 3`)...).run(t)
	if r.code != 3 {
		t.Errorf("exit status %d, want 3 (the program's)", r.code)
	}
	if !strings.Contains(r.stdout, "hello as 0") || !strings.Contains(r.stdout, "pid 1\n") {
		t.Errorf("output %q: want uid 0 and pid 1", r.stdout)
	}
}

func (p *podmanEnv) testRunTTY(t *testing.T) {
	name := p.name("runtty")
	args := append([]string{"run", "--rm", "-it"}, p.runArgs(name, "--network", "none")...)
	r := p.podman(append(args, imageName, "sh", "-c", ttyScript+"exit 6")...).runTTY(t)
	checkTTY(t, r, 6)
}

func (p *podmanEnv) exec(id string, opts []string, argv ...string) command {
	c := p.podman(append(append(append([]string{"exec"}, opts...), id), argv...)...)
	c.timeout = execTimeout
	return c
}

func (p *podmanEnv) testExec(t *testing.T) {
	requireEnterStage(t, p.f) // the engine execs through ct exec
	id := p.detached(t, "exec", []string{"--network", "none"}, "sleep", "1000")
	pid, _ := strconv.Atoi(p.inspect(t, id, "{{.State.Pid}}"))
	mounts := mountsOf(t, pid)
	defer func() { checkMountsUnchanged(t, mounts, mountsOf(t, pid)) }()
	t.Run("quick-exit", func(t *testing.T) {
		// The process is gone before ct exec returns: conmon, its
		// subreaper, must still get its exit status, as with runc.
		r := p.exec(id, nil, "sh", "-c", `echo "out $$"; echo err >&2; exit 3`).run(t)
		checkExec(t, r, 3, "out ", "err")
	})
	t.Run("long-lived", func(t *testing.T) {
		r := p.exec(id, nil, "sh", "-c", "sleep 0.5; echo out; echo err >&2; exit 4").run(t)
		checkExec(t, r, 4, "out", "err")
	})
	t.Run("sees-container", func(t *testing.T) {
		r := p.exec(id, nil, "sh", "-c", "sleep 0.3; ps -o pid,args").run(t)
		checkExec(t, r, 0, "sleep 1000", "")
		if !strings.Contains(r.stdout, "1 sleep 1000") {
			t.Errorf("ps in the container shows %q: want the container's init, sleep, as pid 1", r.stdout)
		}
	})
}

func (p *podmanEnv) testExecTTY(t *testing.T) {
	requireEnterStage(t, p.f) // the engine execs through ct exec
	id := p.detached(t, "exectty", []string{"--network", "none"}, "sleep", "1000")
	pid, _ := strconv.Atoi(p.inspect(t, id, "{{.State.Pid}}"))
	mounts := mountsOf(t, pid)
	// Twice, and alive until ct exec has returned: see containerd's.
	for i := 1; i <= 2; i++ {
		t.Run(strconv.Itoa(i), func(t *testing.T) {
			r := p.exec(id, []string{"-it"}, "sh", "-c", ttyScript+"exit 5").runTTY(t)
			checkTTY(t, r, 5)
		})
	}
	checkMountsUnchanged(t, mounts, mountsOf(t, pid))
}

func (p *podmanEnv) testPauseResume(t *testing.T) {
	id := p.detached(t, "pause", []string{"--network", "none"}, "sleep", "1000")
	cg := filepath.Join(p.cgroupParent, "libpod-"+id)
	p.podman("pause", id).mustRun(t)
	if st := p.inspect(t, id, "{{.State.Status}}"); st != "paused" {
		t.Errorf("podman: %s, want paused", st)
	}
	checkFrozen(t, cg, ctStatus(t, p.ct("state", id)), true)
	p.podman("unpause", id).mustRun(t)
	if st := p.inspect(t, id, "{{.State.Status}}"); st != "running" {
		t.Errorf("podman: %s, want running", st)
	}
	checkFrozen(t, cg, ctStatus(t, p.ct("state", id)), false)
}

func (p *podmanEnv) testKillStop(t *testing.T) {
	t.Run("kill", func(t *testing.T) {
		id := p.detached(t, "kill", []string{"--network", "none"}, "sleep", "1000")
		p.podman("kill", id).mustRun(t)
		if code := p.exitCode(t, id); code != 137 {
			t.Errorf("after podman kill: exit %d, want 137", code)
		}
	})
	t.Run("stop", func(t *testing.T) {
		id := p.detached(t, "stop", []string{"--network", "none"}, "sh", "-c", `trap "echo got TERM; exit 7" TERM; while :; do sleep 0.1; done`)
		start := time.Now()
		p.podman("stop", "--time", "20", id).mustRun(t)
		if d := time.Since(start); d > 10*time.Second {
			t.Errorf("podman stop took %v: SIGTERM did not reach the program", d)
		}
		if code := p.exitCode(t, id); code != 7 {
			t.Errorf("after podman stop: exit %d, want 7 (the trap's)", code)
		}
		if logs := p.podman("logs", id).run(t); !strings.Contains(logs.stdout, "got TERM") {
			t.Errorf("the program's output %q has no trace of SIGTERM", logs.stdout)
		}
	})
	t.Run("stop-timeout", func(t *testing.T) {
		// sleep as pid 1 ignores SIGTERM: stop kills it after 1s.
		id := p.detached(t, "stopkill", []string{"--network", "none"}, "sleep", "1000")
		p.podman("stop", "--time", "1", id).mustRun(t)
		if code := p.exitCode(t, id); code != 137 {
			t.Errorf("after podman stop --time 1: exit %d, want 137", code)
		}
	})
}

func (p *podmanEnv) testMemoryOOM(t *testing.T) {
	const limit = 32 << 20
	trigger := filepath.Join(p.dir, "trigger-oom")
	if err := os.Mkdir(trigger, 0o755); err != nil {
		t.Fatal(err)
	}
	name := p.name("oom")
	t.Cleanup(func() { p.remove(t, name) })
	args := append([]string{"create"}, p.runArgs(name, "--network", "none",
		"--memory", strconv.Itoa(limit), "--memory-swap", strconv.Itoa(limit),
		"--volume", trigger+":/trigger")...)
	p.podman(append(args, imageName, "sh", "-c",
		"while [ ! -e /trigger/go ]; do sleep 0.05; done; exec dd if=/dev/zero of=/dev/null bs=64M count=1")...).mustRun(t)
	id := p.id(t, name)
	// conmon writes the "oom" file in its working directory, podman
	// reads it in the container's static directory (package doc).
	start := p.podman("start", id)
	start.dir = p.inspect(t, id, "{{.StaticDir}}")
	start.mustRun(t)
	cg := filepath.Join(p.cgroupParent, "libpod-"+id)
	checkMemoryLimit(t, cg, limit)
	if err := os.WriteFile(filepath.Join(trigger, "go"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if code := p.exitCode(t, id); code != 137 {
		t.Errorf("exit status %d, want 137 (killed by the OOM killer)", code)
	}
	if oom := p.inspect(t, id, "{{.State.OOMKilled}}"); oom != "true" {
		t.Errorf("podman inspect: OOMKilled is %s, want true", oom)
	}
}

func (p *podmanEnv) testNetworkHost(t *testing.T) {
	name := p.name("nethost")
	args := append([]string{"run", "--rm"}, p.runArgs(name, "--network", "host")...)
	r := p.podman(append(args, imageName, "sh", "-c", netScript)...).mustRun(t)
	checkNetwork(t, r.stdout, true)
}

func (p *podmanEnv) testNetworkPrivate(t *testing.T) {
	name := p.name("netnone")
	args := append([]string{"run", "--rm"}, p.runArgs(name, "--network", "none")...)
	r := p.podman(append(args, imageName, "sh", "-c", netScript+"; ping -c1 -W2 127.0.0.1 >/dev/null && echo lo-up")...).mustRun(t)
	checkNetwork(t, strings.ReplaceAll(r.stdout, "lo-up", ""), false)
	if !strings.Contains(r.stdout, "lo-up") {
		t.Errorf("lo in the private network does not answer 127.0.0.1")
	}
}

// testSdnotifyContainer: podman run --sdnotify=container, as a Type=notify
// unit runs it. podman 4.3 gives the container a notify socket of its own
// (a bind of /run/notify, NOTIFY_SOCKET in the process's environment) and
// relays to the NOTIFY_SOCKET podman got (run -d returns at once); with
// ct, the READY=1 the program sends must arrive there, after the program
// sent it.
func (p *podmanEnv) testSdnotifyContainer(t *testing.T) {
	sock := filepath.Join(p.dir, "systemd-notify.sock")
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: sock, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	name := p.name("sdnotify")
	t.Cleanup(func() { p.remove(t, name) })
	args := append([]string{"run", "-d", "--sdnotify=container"}, p.runArgs(name, "--network", "none")...)
	run := p.podman(append(args, imageName, "sh", "-c",
		`echo "socket $NOTIFY_SOCKET"; sleep 1; sdnotify STATUS=warm READY=1; exec sleep 1000`)...)
	run.env = append(run.env, "NOTIFY_SOCKET="+sock)
	start := time.Now()
	run.mustRun(t)
	var got []string
	buf := make([]byte, 4096)
	for !slices.ContainsFunc(got, func(m string) bool { return strings.Contains(m, "READY=1") }) {
		conn.SetReadDeadline(time.Now().Add(10 * time.Second))
		n, err := conn.Read(buf)
		if err != nil {
			t.Fatalf("notify socket: %v after %q: READY=1 never came", err, got)
		}
		got = append(got, string(buf[:n]))
	}
	if elapsed := time.Since(start); elapsed < time.Second {
		t.Errorf("READY=1 came after %v, before the program sent it", elapsed)
	}
	if !slices.ContainsFunc(got, func(m string) bool { return strings.HasPrefix(m, "MAINPID=") }) {
		t.Errorf("messages %q: no MAINPID", got)
	}
	logs := p.podman("logs", name).mustRun(t)
	if !strings.Contains(logs.stdout, "socket /run/notify/notify.sock") {
		t.Errorf("podman logs %q: the program's NOTIFY_SOCKET is not podman's /run/notify/notify.sock", logs.stdout)
	}
}

func (p *podmanEnv) leakCheck() *leakCheck {
	return &leakCheck{
		cgroupParents: []string{p.cgroupParent},
		engineCgroups: []string{"conmon"},
		ids:           p.ids(),
		stateRoots:    []string{ctDefaultRoot},
		dir:           p.dir,
	}
}

func (p *podmanEnv) testNothingLeft(t *testing.T) {
	r := p.podman("ps", "--all", "--quiet").run(t)
	if left := strings.Fields(r.stdout); len(left) > 0 {
		t.Errorf("containers left in podman: %v", left)
	}
	if len(p.ids()) == 0 {
		t.Errorf("no container was tracked: the check below proves nothing")
	}
	p.leakCheck().check(t)
}

// cleanup runs at the end of TestPodman, whatever happened: removes every
// container left, the cgroups under the parent (conmon's included), and
// the directory.
func (p *podmanEnv) cleanup(t *testing.T) {
	if p.global != nil {
		p.podman("rm", "--all", "--force", "--time", "0").run(t)
		// conmon and podman's exit command may still be on their way.
		waitFor(5*time.Second, func() bool { return len((&leakCheck{dir: p.dir}).processes()) == 0 })
	}
	for _, pr := range (&leakCheck{dir: p.dir}).processes() {
		t.Errorf("left behind: %s", pr)
		if pid, err := strconv.Atoi(strings.TrimSuffix(strings.Fields(pr)[1], ":")); err == nil {
			syscall.Kill(pid, syscall.SIGKILL)
		}
	}
	for _, d := range cgroupDirs(p.cgroupParent) {
		if err := removeCgroupTree(d); err != nil {
			t.Errorf("remove cgroups: %v", err)
		}
	}
	for _, path := range p.createdPaths {
		os.RemoveAll(path) // podman's blob info cache
	}
	removeTree(t, p.dir)
}
