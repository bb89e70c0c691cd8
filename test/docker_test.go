package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/libct/libct/internal/testutil"
)

// Debian's docker.io, by absolute path: another, newer docker client may
// come first in PATH, and it need not speak to a 20.10 daemon.
const (
	dockerdBin    = "/usr/sbin/dockerd"
	dockerBin     = "/usr/bin/docker"
	dockerInitBin = "/usr/bin/docker-init"
)

// dockerEnv is the tests' own dockerd, with every store in a temporary
// directory, ct as its default runtime and a containerd of its own.
type dockerEnv struct {
	f            *fixture
	dir          string
	sock         string
	execRoot     string
	cgroupParent string
	env          []string // the client's: DOCKER_HOST, DOCKER_CONFIG
	daemon       *exec.Cmd
	exited       chan struct{}
	// shimSockets are the sockets in shimSocketDir before the test.
	shimSockets []string
	// createdPaths are system paths dockerd makes whatever its options
	// (its trust key, its plugin directory, containerd's shim socket
	// directory) that did not exist before the test: removed at the end
	// (directories only when empty).
	createdPaths []string
}

// TestDocker drives ct through Docker Engine 20.10 (Debian's docker.io):
// dockerd --add-runtime ct=<ct> --default-runtime ct, so that every
// container runs with ct through containerd's runc v2 shim.
func TestDocker(t *testing.T) {
	testutil.RequireRoot(t)
	requireBinaries(t, "docker.io", dockerdBin, dockerBin)
	e := startDocker(t, shared(t))

	t.Run("run-exit", e.testRunExit)
	t.Run("run-tty", e.testRunTTY)
	t.Run("user", e.testUser)
	t.Run("read-only", e.testReadOnly)
	t.Run("capabilities", e.testCapabilities)
	t.Run("no-new-privileges", e.testNoNewPrivileges)
	t.Run("init", e.testInit)
	t.Run("shm-size", e.testShmSize)
	t.Run("sysctl", e.testSysctl)
	t.Run("volume", e.testVolume)
	t.Run("stdin", e.testStdin)
	t.Run("options", e.testOptions)
	t.Run("namespaces", e.testNamespaces)
	t.Run("privileged", e.testPrivileged)
	t.Run("join-container", e.testJoinContainer)
	t.Run("resources", e.testResources)
	t.Run("exec", e.testExec)
	t.Run("exec-tty", e.testExecTTY)
	t.Run("top", e.testTop)
	t.Run("stats", e.testStats)
	t.Run("pause-unpause", e.testPauseUnpause)
	t.Run("remove-paused", e.testRemovePaused)
	t.Run("update-memory", e.testUpdateMemory)
	t.Run("stop", e.testStop)
	t.Run("restart", e.testRestart)
	t.Run("healthcheck", e.testHealthcheck)
	t.Run("memory-oom", e.testMemoryOOM)
	t.Run("pids-limit", e.testPidsLimit)
	t.Run("network-host", e.testNetworkHost)
	t.Run("network-none", e.testNetworkNone)
	t.Run("nothing-left", e.testNothingLeft)
}

// startDocker starts dockerd with its data root, exec root (where it
// starts its own containerd), pid file, socket and configuration file in
// a new temporary directory, waits for its socket and loads the image.
// It touches neither the host's firewall nor its forwarding, and makes
// no bridge: containers get --network none or host. The test's cleanup
// stops it by its PID and removes what it made.
func startDocker(t *testing.T, f *fixture) *dockerEnv {
	dir, err := os.MkdirTemp("", "libct-e2e-docker-")
	if err != nil {
		t.Fatal(err)
	}
	e := &dockerEnv{
		f: f, dir: dir,
		sock:         filepath.Join(dir, "docker.sock"),
		execRoot:     filepath.Join(dir, "exec"),
		cgroupParent: fmt.Sprintf("/libct-docker-e2e-%d", os.Getpid()),
	}
	e.shimSockets = dirEntries(shimSocketDir)
	// Deepest first: the cleanup removes them in this order.
	e.createdPaths = missingPaths("/etc/docker/key.json", "/run/docker/plugins", "/run/docker",
		shimSocketDir, "/run/containerd")
	t.Cleanup(func() { e.cleanup(t) })
	e.env = []string{"DOCKER_HOST=unix://" + e.sock, "DOCKER_CONFIG=" + filepath.Join(dir, "client")}

	// An empty configuration: /etc/docker/daemon.json is not read.
	config := filepath.Join(dir, "daemon.json")
	if err := os.WriteFile(config, []byte("{}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{"cids", "client"} {
		if err := os.Mkdir(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	logFile, err := os.Create(filepath.Join(dir, "dockerd.log"))
	if err != nil {
		t.Fatal(err)
	}
	defer logFile.Close()
	e.daemon = exec.Command(dockerdBin,
		"--config-file", config,
		"--data-root", filepath.Join(dir, "data"),
		"--exec-root", e.execRoot,
		"--pidfile", filepath.Join(dir, "docker.pid"),
		"-H", "unix://"+e.sock,
		"--iptables=false", "--ip6tables=false", "--ip-forward=false", "--ip-masq=false",
		"--bridge=none",
		"--userland-proxy=false",
		"--storage-driver", "overlay2",
		"--cgroup-parent", e.cgroupParent,
		"--init-path", dockerInitBin,
		"--add-runtime", "ct="+f.ct,
		"--default-runtime", "ct",
	)
	e.daemon.Stdout, e.daemon.Stderr = logFile, logFile
	e.exited = startDaemon(t, "dockerd", e.daemon, 30*time.Second, func() error { return e.docker("version").quiet() }, e.log)
	info := e.docker("info", "--format", "{{.DefaultRuntime}} {{.CgroupVersion}}").mustRun(t)
	if got := strings.TrimSpace(info.stdout); !strings.HasPrefix(got, "ct ") {
		t.Fatalf("docker info: default runtime and cgroup version %q, want ct first", got)
	}
	e.docker("load", "--input", f.dockerTar).mustRun(t)
	return e
}

// log returns the end of dockerd's log (its containerd's included).
func (e *dockerEnv) log() string {
	data, _ := os.ReadFile(filepath.Join(e.dir, "dockerd.log"))
	if len(data) > 6000 {
		data = data[len(data)-6000:]
	}
	return string(data)
}

// docker is a command of Debian's client on the tests' daemon.
func (e *dockerEnv) docker(args ...string) command {
	return command{name: dockerBin, args: args, env: e.env}
}

// name names a container of the test, unique to this run.
func (e *dockerEnv) name(n string) string {
	return fmt.Sprintf("%s-%d", n, os.Getpid())
}

// runArgs are the options of every container: its name and a file that
// keeps its ID for the leak checks, then opts. Without a --network in
// opts, it gets none: the daemon has no bridge.
func (e *dockerEnv) runArgs(name string, opts ...string) []string {
	args := []string{"--name", name, "--cidfile", filepath.Join(e.dir, "cids", name)}
	net := false
	for _, o := range opts {
		if o == "--network" || strings.HasPrefix(o, "--network=") {
			net = true
		}
	}
	if !net {
		args = append(args, "--network", "none")
	}
	return append(args, opts...)
}

// run is `docker run` of argv in a new container name with opts.
func (e *dockerEnv) run(name string, opts []string, argv ...string) command {
	args := append([]string{"run"}, e.runArgs(name, opts...)...)
	return e.docker(append(append(args, imageName), argv...)...)
}

// runRemoved runs argv in a new container that is removed when it exits
// (docker run --rm) and returns what it did.
func (e *dockerEnv) runRemoved(t *testing.T, n string, opts []string, argv ...string) result {
	t.Helper()
	name := e.name(n)
	t.Cleanup(func() { e.remove(t, name) })
	return e.run(name, append([]string{"--rm"}, opts...), argv...).run(t)
}

// detached starts argv in a new container in the background (docker run
// -d), removed at the end of the test, and returns its full ID.
func (e *dockerEnv) detached(t *testing.T, n string, opts []string, argv ...string) string {
	t.Helper()
	name := e.name(n)
	t.Cleanup(func() { e.remove(t, name) })
	e.run(name, append([]string{"-d"}, opts...), argv...).mustRun(t)
	return e.id(t, name)
}

// id is the full ID of container name, from its cidfile.
func (e *dockerEnv) id(t testing.TB, name string) string {
	return cidOf(t, filepath.Join(e.dir, "cids"), name)
}

// ids are the IDs of every container the test made.
func (e *dockerEnv) ids() []string { return cidsIn(filepath.Join(e.dir, "cids")) }

// remove removes container name, whatever its state.
func (e *dockerEnv) remove(t testing.TB, name string) {
	t.Helper()
	if e.docker("container", "inspect", name).quiet() == nil {
		e.docker("rm", "--force", "--volumes", name).run(t)
	}
}

// inspect reads one field of a container.
func (e *dockerEnv) inspect(t testing.TB, id, format string) string {
	t.Helper()
	return strings.TrimSpace(e.docker("container", "inspect", "--format", format, id).mustRun(t).stdout)
}

// poll reads one field of a container without logging it, for waits;
// "" when inspect fails.
func (e *dockerEnv) poll(id, format string) string {
	out, err := e.docker("container", "inspect", "--format", format, id).output()
	if err != nil {
		return ""
	}
	return strings.TrimSpace(out)
}

// exitCode waits for container id to exit and returns its status.
func (e *dockerEnv) exitCode(t testing.TB, id string) int {
	t.Helper()
	r := e.docker("wait", id).mustRun(t)
	code, err := strconv.Atoi(strings.TrimSpace(r.stdout))
	if err != nil {
		t.Fatalf("docker wait printed %q", r.stdout)
	}
	return code
}

// initPid is the host pid of the init of running container id.
func (e *dockerEnv) initPid(t testing.TB, id string) int {
	t.Helper()
	pid, err := strconv.Atoi(e.inspect(t, id, "{{.State.Pid}}"))
	if err != nil || pid <= 0 {
		t.Fatalf("container %s: no pid (%v)", id, err)
	}
	return pid
}

// cgroup is the container's cgroup path: dockerd puts it below its
// --cgroup-parent, named by the full ID.
func (e *dockerEnv) cgroup(id string) string {
	return filepath.Join(e.cgroupParent, id)
}

// ctRoot is the root dockerd gives its runtime ct through the shim,
// which adds containerd's namespace, moby. Docker 20.10 names it
// runtime-runc whatever the runtime (defaultV2ShimConfig).
func (e *dockerEnv) ctRoot() string {
	return filepath.Join(e.execRoot, "runtime-runc", "moby")
}

// ct runs ct itself on the state the shim gave it.
func (e *dockerEnv) ct(args ...string) command {
	return command{name: e.f.ct, args: append([]string{"--root", e.ctRoot()}, args...)}
}

// procStatus is a field of /proc/self/status of a process in a new
// container with opts.
func (e *dockerEnv) procStatus(t *testing.T, n string, opts []string, field string) string {
	t.Helper()
	r := e.runRemoved(t, n+"-"+strings.ToLower(field), opts, "sh", "-c", "grep '^"+field+":' /proc/self/status")
	if r.code != 0 {
		t.Fatalf("reading %s in the container failed: %s", field, r)
	}
	return strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(r.stdout), field+":"))
}

func (e *dockerEnv) testRunExit(t *testing.T) {
	t.Run("0", func(t *testing.T) {
		r := e.runRemoved(t, "exit0", nil, "true")
		if r.code != 0 || r.err != nil {
			t.Errorf("docker run true: exit %d (%v), want 0", r.code, r.err)
		}
	})
	t.Run("3", func(t *testing.T) {
		r := e.runRemoved(t, "exit3", nil, "sh", "-c", `echo "hello as $(id -u)"; echo "pid $$"; exit 3`)
		if r.code != 3 {
			t.Errorf("exit status %d, want 3 (the program's)", r.code)
		}
		if !strings.Contains(r.stdout, "hello as 0") || !strings.Contains(r.stdout, "pid 1\n") {
			t.Errorf("output %q: want uid 0 and pid 1", r.stdout)
		}
	})
	t.Run("137-killed", func(t *testing.T) {
		id := e.detached(t, "killed", nil, "sleep", "1000")
		e.docker("kill", id).mustRun(t)
		if code := e.exitCode(t, id); code != 137 {
			t.Errorf("after docker kill: exit %d, want 137 (SIGKILL)", code)
		}
		if st := e.inspect(t, id, "{{.State.Status}} {{.State.ExitCode}} {{.State.OOMKilled}}"); st != "exited 137 false" {
			t.Errorf("docker inspect: status, exit code, OOMKilled %q, want \"exited 137 false\"", st)
		}
	})
	t.Run("signal", func(t *testing.T) {
		id := e.detached(t, "signal", nil, "sh", "-c", `trap "exit 9" USR1; while :; do sleep 0.1; done`)
		e.docker("kill", "--signal", "USR1", id).mustRun(t)
		if code := e.exitCode(t, id); code != 9 {
			t.Errorf("after docker kill --signal USR1: exit %d, want 9 (the trap's)", code)
		}
	})
}

func (e *dockerEnv) testRunTTY(t *testing.T) {
	// The client sizes the terminal once the process has started (see
	// ttyScript).
	name := e.name("runtty")
	t.Cleanup(func() { e.remove(t, name) })
	r := e.run(name, []string{"--rm", "-it"}, "sh", "-c", "[ -t 0 ] && echo stdin-is-a-tty; "+ttyScript+"exit 6").runTTY(t)
	checkTTY(t, r, 6)
	if !strings.Contains(r.stdout, "stdin-is-a-tty") {
		t.Errorf("output %q: the program's standard input is not a terminal", r.stdout)
	}
	t.Run("without-stdin", func(t *testing.T) {
		// -t alone: a terminal for the output, none for the input.
		name := e.name("runtty-noin")
		t.Cleanup(func() { e.remove(t, name) })
		r := e.run(name, []string{"--rm", "-t"}, "sh", "-c", "tty; exit 4").runTTY(t)
		if r.code != 4 {
			t.Errorf("exit status %d, want 4", r.code)
		}
		if !strings.Contains(r.stdout, "/dev/pts/") {
			t.Errorf("tty printed %q: the process has no terminal it can name", r.stdout)
		}
	})
}

func (e *dockerEnv) testUser(t *testing.T) {
	r := e.runRemoved(t, "user", []string{"--user", "1000:1000"}, "sh", "-c", "id; grep -E '^(Uid|Gid|Groups):' /proc/self/status")
	if r.code != 0 {
		t.Fatalf("exit status %d, want 0: %s", r.code, r)
	}
	if !strings.Contains(r.stdout, "uid=1000(") || !strings.Contains(r.stdout, "gid=1000(") {
		t.Errorf("id printed %q, want uid=1000 and gid=1000", r.stdout)
	}
	for _, want := range []string{"Uid:\t1000\t1000\t1000\t1000", "Gid:\t1000\t1000\t1000\t1000"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("/proc/self/status has no %q: %q", want, r.stdout)
		}
	}
	if strings.Contains(r.stdout, "Groups:\t0") {
		t.Errorf("the process kept root's groups: %q", r.stdout)
	}
}

func (e *dockerEnv) testReadOnly(t *testing.T) {
	r := e.runRemoved(t, "readonly", []string{"--read-only"}, "sh", "-c",
		"if touch /written 2>/dev/null; then echo root-writable; fi; grep ' / ' /proc/self/mounts; touch /dev/shm/x && echo shm-writable")
	if r.code != 0 {
		t.Fatalf("exit status %d, want 0: %s", r.code, r)
	}
	if strings.Contains(r.stdout, "root-writable") {
		t.Errorf("--read-only: a write to / succeeded")
	}
	if !strings.Contains(r.stdout, " ro,") && !strings.Contains(r.stdout, " ro ") {
		t.Errorf("--read-only: the root mount is not ro: %q", r.stdout)
	}
	if !strings.Contains(r.stdout, "shm-writable") {
		t.Errorf("--read-only: /dev/shm (a tmpfs of its own) is not writable: %q", r.stdout)
	}
}

// dockerDefaultCaps is Docker's default capability set: CHOWN,
// DAC_OVERRIDE, FOWNER, FSETID, KILL, SETGID, SETUID, SETPCAP,
// NET_BIND_SERVICE, NET_RAW, SYS_CHROOT, MKNOD, AUDIT_WRITE, SETFCAP.
const (
	dockerDefaultCaps = "00000000a80425fb"
	capNetRaw         = 1 << 13
)

func (e *dockerEnv) testCapabilities(t *testing.T) {
	t.Run("default", func(t *testing.T) {
		for _, f := range []string{"CapEff", "CapBnd", "CapPrm"} {
			if got := e.procStatus(t, "capdef", nil, f); got != dockerDefaultCaps {
				t.Errorf("%s %s, want Docker's default set %s", f, got, dockerDefaultCaps)
			}
		}
	})
	t.Run("drop-all", func(t *testing.T) {
		for _, f := range []string{"CapEff", "CapBnd"} {
			if got := e.procStatus(t, "capnone", []string{"--cap-drop", "ALL"}, f); got != "0000000000000000" {
				t.Errorf("--cap-drop ALL: %s %s, want 0000000000000000", f, got)
			}
		}
	})
	t.Run("drop-net-raw", func(t *testing.T) {
		def, _ := strconv.ParseUint(dockerDefaultCaps, 16, 64)
		want := fmt.Sprintf("%016x", def&^capNetRaw)
		if got := e.procStatus(t, "capnoraw", []string{"--cap-drop", "NET_RAW"}, "CapEff"); got != want {
			t.Errorf("--cap-drop NET_RAW: CapEff %s, want %s", got, want)
		}
	})
	t.Run("add-sys-admin", func(t *testing.T) {
		def, _ := strconv.ParseUint(dockerDefaultCaps, 16, 64)
		want := fmt.Sprintf("%016x", def|1<<21)
		if got := e.procStatus(t, "capadmin", []string{"--cap-add", "SYS_ADMIN"}, "CapEff"); got != want {
			t.Errorf("--cap-add SYS_ADMIN: CapEff %s, want %s", got, want)
		}
	})
}

func (e *dockerEnv) testNoNewPrivileges(t *testing.T) {
	if got := e.procStatus(t, "nnp", []string{"--security-opt", "no-new-privileges"}, "NoNewPrivs"); got != "1" {
		t.Errorf("--security-opt no-new-privileges: NoNewPrivs %s, want 1", got)
	}
	if got := e.procStatus(t, "nnp-off", nil, "NoNewPrivs"); got != "0" {
		t.Errorf("without no-new-privileges: NoNewPrivs %s, want 0", got)
	}
	// Docker's default seccomp profile is on: the process runs filtered.
	if got := e.procStatus(t, "seccomp", nil, "Seccomp"); got != "2" {
		t.Errorf("Docker's default seccomp profile: Seccomp %s, want 2 (filter)", got)
	}
}

func (e *dockerEnv) testInit(t *testing.T) {
	if _, err := os.Stat(dockerInitBin); err != nil {
		t.Skipf("%s missing: docker.io ships it (a link to tini-static); reinstall docker.io", dockerInitBin)
	}
	r := e.runRemoved(t, "init", []string{"--init"}, "sh", "-c", `echo "pid $$"; tr '\0' ' ' </proc/1/cmdline; echo`)
	if r.code != 0 {
		t.Fatalf("exit status %d, want 0: %s", r.code, r)
	}
	if strings.Contains(r.stdout, "pid 1\n") {
		t.Errorf("--init: the program is pid 1, want docker-init there: %q", r.stdout)
	}
	if !strings.Contains(r.stdout, "docker-init -- sh -c") {
		t.Errorf("--init: pid 1 is not docker-init running the program: %q", r.stdout)
	}
	// The init forwards the program's exit status.
	if r := e.runRemoved(t, "init-exit", []string{"--init"}, "sh", "-c", "exit 5"); r.code != 5 {
		t.Errorf("--init: exit status %d, want 5 (the program's, through docker-init)", r.code)
	}
}

func (e *dockerEnv) testShmSize(t *testing.T) {
	r := e.runRemoved(t, "shm", []string{"--shm-size", "48m"}, "df", "-k", "/dev/shm")
	if r.code != 0 {
		t.Fatalf("exit status %d, want 0: %s", r.code, r)
	}
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	if f := strings.Fields(lines[len(lines)-1]); len(f) < 2 || f[1] != strconv.Itoa(48<<10) {
		t.Errorf("--shm-size 48m: df -k /dev/shm printed %q, want %d blocks of 1K", r.stdout, 48<<10)
	}
}

func (e *dockerEnv) testSysctl(t *testing.T) {
	host, err := os.ReadFile("/proc/sys/net/ipv4/ip_forward")
	if err != nil {
		t.Fatal(err)
	}
	r := e.runRemoved(t, "sysctl", []string{"--sysctl", "net.ipv4.ip_forward=1", "--sysctl", "net.ipv4.ping_group_range=0 1000"},
		"sh", "-c", "cat /proc/sys/net/ipv4/ip_forward /proc/sys/net/ipv4/ping_group_range")
	if r.code != 0 {
		t.Fatalf("exit status %d, want 0: %s", r.code, r)
	}
	if f := strings.Fields(r.stdout); len(f) != 3 || f[0] != "1" || f[1] != "0" || f[2] != "1000" {
		t.Errorf("--sysctl: the container sees %q, want 1 and 0 1000", r.stdout)
	}
	if after, _ := os.ReadFile("/proc/sys/net/ipv4/ip_forward"); string(after) != string(host) {
		t.Errorf("the host's net.ipv4.ip_forward changed from %q to %q: the sysctl left the container's namespace", host, after)
	}
}

func (e *dockerEnv) testVolume(t *testing.T) {
	host := filepath.Join(e.dir, "volume")
	if err := os.Mkdir(host, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(host, "from-host"), []byte("written by the host\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Run("read-write", func(t *testing.T) {
		r := e.runRemoved(t, "volrw", []string{"--volume", host + ":/data"}, "sh", "-c", "cat /data/from-host && echo written by the container >/data/from-container")
		if r.code != 0 || !strings.Contains(r.stdout, "written by the host") {
			t.Errorf("reading the host's file in the volume: %s", r)
		}
		data, err := os.ReadFile(filepath.Join(host, "from-container"))
		if err != nil || string(data) != "written by the container\n" {
			t.Errorf("the container's file on the host: %q, %v", data, err)
		}
	})
	t.Run("read-only", func(t *testing.T) {
		r := e.runRemoved(t, "volro", []string{"--volume", host + ":/data:ro"}, "sh", "-c", "cat /data/from-host; if echo x >/data/denied; then echo write-succeeded; fi")
		if r.code != 0 || !strings.Contains(r.stdout, "written by the host") {
			t.Errorf("reading the host's file in the volume: %s", r)
		}
		if strings.Contains(r.stdout, "write-succeeded") {
			t.Errorf("a write to a :ro volume succeeded")
		}
		if _, err := os.Stat(filepath.Join(host, "denied")); err == nil {
			t.Errorf("a write to a :ro volume reached the host")
		}
	})
	t.Run("named", func(t *testing.T) {
		vol := e.name("libct-vol")
		t.Cleanup(func() { e.docker("volume", "rm", "--force", vol).run(t) })
		e.runRemoved(t, "volnamed-w", []string{"--volume", vol + ":/data"}, "sh", "-c", "echo kept >/data/file")
		r := e.runRemoved(t, "volnamed-r", []string{"--volume", vol + ":/data"}, "cat", "/data/file")
		if r.code != 0 || strings.TrimSpace(r.stdout) != "kept" {
			t.Errorf("a named volume did not keep a file from one container to the next: %s", r)
		}
	})
}

func (e *dockerEnv) testStdin(t *testing.T) {
	name := e.name("stdin")
	t.Cleanup(func() { e.remove(t, name) })
	c := e.run(name, []string{"--rm", "--interactive"}, "sh", "-c", "tr a-z A-Z; echo end")
	c.stdin = "piped through the container\n"
	r := c.run(t)
	if r.code != 0 || r.stdout != "PIPED THROUGH THE CONTAINER\nend\n" {
		t.Errorf("docker run -i: the program's output %q (exit %d), want the input in capitals, then end: %s", r.stdout, r.code, r)
	}
}

// testOptions checks what `docker run` options set in the process and its
// root, each in a container of its own.
func (e *dockerEnv) testOptions(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts []string
		argv string
		want string
	}{
		{"hostname", []string{"--hostname", "libct-box"}, "hostname", "libct-box\n"},
		{"env-workdir", []string{"--env", "LIBCT_E2E=set", "--workdir", "/var"}, `echo "$LIBCT_E2E $(pwd)"`, "set /var\n"},
		{"entrypoint", []string{"--entrypoint", "/bin/echo"}, "", "sh -c \n"},
		{"group-add", []string{"--user", "1000:1000", "--group-add", "1234", "--group-add", "2345"}, "grep ^Groups: /proc/self/status", "Groups:\t1000 1234 2345 \n"},
		{"ulimit", []string{"--ulimit", "nofile=512:1024"}, "echo $(ulimit -Sn) $(ulimit -Hn)", "512 1024\n"},
		{"oom-score-adj", []string{"--oom-score-adj", "500"}, "cat /proc/self/oom_score_adj", "500\n"},
		{"tmpfs", []string{"--read-only", "--tmpfs", "/scratch:size=8m,mode=1777"}, "echo x >/scratch/f && stat -c %a /scratch && df -k /scratch | tail -1 | awk '{print $2}'", "1777\n8192\n"},
		{"device", []string{"--device", "/dev/zero:/dev/libct-zero"}, "head -c 3 /dev/libct-zero | od -An -tx1 | tr -d ' '", "000000\n"},
		// The masked paths that exist on this host: files read empty,
		// directories list nothing; /proc/sys is read-only.
		{"masked-paths", nil, "echo $(cat /proc/keys /proc/timer_list | wc -c) $(ls -A /proc/acpi | wc -l) $(ls -A /sys/firmware | wc -l); " +
			"echo x 2>/dev/null >/proc/sys/kernel/domainname || echo ro", "0 0 0\nro\n"},
		{"seccomp-unconfined", []string{"--security-opt", "seccomp=unconfined"}, "grep ^Seccomp: /proc/self/status", "Seccomp:\t0\n"},
		// A cgroup namespace of its own: the container sees its cgroup
		// as the root of every hierarchy.
		{"cgroupns-private", []string{"--cgroupns", "private"}, "grep -E '^[0-9]+:(memory|pids):' /proc/self/cgroup | cut -d: -f3 | sort -u", "/\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var argv []string
			if tc.argv != "" {
				argv = []string{"sh", "-c", tc.argv}
			} else {
				argv = []string{"sh", "-c", ""}
			}
			r := e.runRemoved(t, "opt-"+tc.name, tc.opts, argv...)
			if r.code != 0 || r.stdout != tc.want {
				t.Errorf("%v: output %q (exit %d), want %q: %s", tc.opts, r.stdout, r.code, tc.want, r)
			}
		})
	}
	t.Run("device-denied", func(t *testing.T) {
		// The device cgroup lets the container make a node of the
		// host's disk (Docker allows mknod of any) but not open it.
		disk, err := os.ReadFile("/sys/class/block/vda/dev")
		if err != nil {
			t.Skipf("no /dev/vda on this host to try: %v", err)
		}
		major, minor, _ := strings.Cut(strings.TrimSpace(string(disk)), ":")
		r := e.runRemoved(t, "opt-device-denied", nil, "sh", "-c",
			"mknod /tmp/disk b "+major+" "+minor+" && echo made; head -c 1 /tmp/disk >/dev/null && echo read-the-disk")
		if !strings.Contains(r.stdout, "made") || strings.Contains(r.stdout, "read-the-disk") || !strings.Contains(r.stderr, "not permitted") {
			t.Errorf("the device cgroup did not refuse the host's disk %s: %s", strings.TrimSpace(string(disk)), r)
		}
	})
}

// testNamespaces checks --pid, --ipc and --uts host: the container shares
// the host's namespace, which ct must join rather than create.
func (e *dockerEnv) testNamespaces(t *testing.T) {
	for _, ns := range []string{"pid", "ipc", "uts"} {
		t.Run(ns+"-host", func(t *testing.T) {
			host, err := os.Readlink("/proc/self/ns/" + ns)
			if err != nil {
				t.Fatal(err)
			}
			r := e.runRemoved(t, "ns-"+ns, []string{"--" + ns, "host"}, "readlink", "/proc/self/ns/"+ns)
			if got := strings.TrimSpace(r.stdout); r.code != 0 || got != host {
				t.Errorf("--%s host: the container is in %q, want the host's %s: %s", ns, got, host, r)
			}
			r = e.runRemoved(t, "ns-"+ns+"-own", nil, "readlink", "/proc/self/ns/"+ns)
			if got := strings.TrimSpace(r.stdout); r.code != 0 || got == host {
				t.Errorf("without --%s host: the container is in %q, want a namespace of its own: %s", ns, got, r)
			}
		})
	}
	t.Run("pid-host-sees-test", func(t *testing.T) {
		r := e.runRemoved(t, "ns-pid-see", []string{"--pid", "host"}, "sh", "-c", fmt.Sprintf("test -d /proc/%d && echo sees-test", os.Getpid()))
		if !strings.Contains(r.stdout, "sees-test") {
			t.Errorf("--pid host: the test's process %d is not in the container's /proc: %s", os.Getpid(), r)
		}
	})
}

// testJoinContainer checks containers that join the namespaces of
// another (--network, --ipc and --pid container:<id>): ct must enter the
// first container's namespaces, not make new ones.
func (e *dockerEnv) testJoinContainer(t *testing.T) {
	first := e.detached(t, "join-first", []string{"--ipc", "shareable"}, "sleep", "1000")
	pid := e.initPid(t, first)
	var want []string
	for _, ns := range []string{"net", "ipc", "pid"} {
		link, err := os.Readlink(fmt.Sprintf("/proc/%d/ns/%s", pid, ns))
		if err != nil {
			t.Fatal(err)
		}
		want = append(want, link)
	}
	r := e.runRemoved(t, "join-second", []string{"--network", "container:" + first, "--ipc", "container:" + first, "--pid", "container:" + first},
		"sh", "-c", "for ns in net ipc pid; do readlink /proc/self/ns/$ns; done; ps -o args | grep -c '^sleep 1000'")
	got := strings.Fields(r.stdout)
	if r.code != 0 || len(got) != 4 {
		t.Fatalf("the joining container failed: %s", r)
	}
	for i, ns := range []string{"net", "ipc", "pid"} {
		if got[i] != want[i] {
			t.Errorf("--%s container: the second container is in %s, want the first's %s", ns, got[i], want[i])
		}
	}
	if got[3] != "1" {
		t.Errorf("--pid container: the second container does not see the first's sleep: %s", r)
	}
}

// hostCapBnd is the test process's bounding set: what a privileged
// container may have at most (the sandbox may lack some capabilities).
func hostCapBnd(t *testing.T) string {
	t.Helper()
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, "CapBnd:"); ok {
			return strings.TrimSpace(v)
		}
	}
	t.Fatal("no CapBnd in /proc/self/status")
	return ""
}

// dockerClassicCaps are capabilities 0 (CHOWN) to 37 (AUDIT_READ), all
// that Docker 20.10's --privileged is sure to ask for (newer ones depend
// on the capability list it was built with).
const dockerClassicCaps = 1<<38 - 1

func (e *dockerEnv) testPrivileged(t *testing.T) {
	host, err := strconv.ParseUint(hostCapBnd(t), 16, 64)
	if err != nil {
		t.Fatal(err)
	}
	r := e.runRemoved(t, "privileged", []string{"--privileged"}, "sh", "-c",
		"grep -E '^(CapEff|CapBnd|Seccomp|NoNewPrivs):' /proc/self/status; test -b /dev/vda && echo has-vda; "+
			"grep ' /sys ' /proc/self/mounts | cut -d' ' -f4 | cut -d, -f1; mkdir /tmp/m && mount -t tmpfs none /tmp/m && echo mounted")
	if r.code != 0 {
		t.Fatalf("exit status %d, want 0: %s", r.code, r)
	}
	caps := map[string]uint64{}
	for _, line := range strings.Split(r.stdout, "\n") {
		if name, v, ok := strings.Cut(line, ":\t"); ok && strings.HasPrefix(name, "Cap") {
			caps[name], _ = strconv.ParseUint(v, 16, 64)
		}
	}
	if caps["CapEff"] != caps["CapBnd"] {
		t.Errorf("--privileged: CapEff %x, want all of CapBnd %x", caps["CapEff"], caps["CapBnd"])
	}
	if want := host & dockerClassicCaps; caps["CapBnd"]&want != want || caps["CapBnd"]&^host != 0 {
		t.Errorf("--privileged: CapBnd %x, want every capability of the host's %x up to AUDIT_READ (%x) and no other", caps["CapBnd"], host, want)
	}
	for _, line := range []string{"Seccomp:\t0", "NoNewPrivs:\t0", "rw", "mounted"} {
		if !strings.Contains(r.stdout, line+"\n") {
			t.Errorf("--privileged: no %q in the container's output %q", line, r.stdout)
		}
	}
	if _, err := os.Stat("/dev/vda"); err == nil && !strings.Contains(r.stdout, "has-vda") {
		t.Errorf("--privileged: the host's /dev/vda is not in the container's /dev")
	}
}

// testResources checks the cgroup files of CPU and memory options.
func (e *dockerEnv) testResources(t *testing.T) {
	id := e.detached(t, "resources", []string{"--cpus", "0.5", "--cpu-shares", "512", "--cpuset-cpus", "0",
		"--memory", "48m", "--memory-reservation", "32m", "--memory-swappiness", "10"}, "sleep", "1000")
	cg := e.cgroup(id)
	for _, c := range []struct{ ctl, file, want string }{
		{"cpu", "cpu.cfs_period_us", "100000"},
		{"cpu", "cpu.cfs_quota_us", "50000"},
		{"cpu", "cpu.shares", "512"},
		{"cpuset", "cpuset.cpus", "0"},
		{"memory", "memory.limit_in_bytes", strconv.Itoa(48 << 20)},
		{"memory", "memory.soft_limit_in_bytes", strconv.Itoa(32 << 20)},
		{"memory", "memory.swappiness", "10"},
	} {
		if got := cgroupFile(c.ctl, cg, c.file); got != c.want {
			t.Errorf("%s of %s: %s, want %s", c.file, cg, got, c.want)
		}
	}
	e.docker("update", "--cpus", "1.5", "--cpu-shares", "256", "--cpuset-cpus", "0-1", id).mustRun(t)
	for _, c := range []struct{ ctl, file, want string }{
		{"cpu", "cpu.cfs_quota_us", "150000"},
		{"cpu", "cpu.shares", "256"},
		{"cpuset", "cpuset.cpus", "0-1"},
	} {
		if got := cgroupFile(c.ctl, cg, c.file); got != c.want {
			t.Errorf("after docker update: %s of %s: %s, want %s", c.file, cg, got, c.want)
		}
	}
}

func (e *dockerEnv) exec(id string, opts []string, argv ...string) command {
	c := e.docker(append(append(append([]string{"exec"}, opts...), id), argv...)...)
	c.timeout = execTimeout
	return c
}

func (e *dockerEnv) testExec(t *testing.T) {
	requireEnterStage(t, e.f) // dockerd execs through ct exec
	id := e.detached(t, "exec", nil, "sleep", "1000")
	pid := e.initPid(t, id)
	mounts := mountsOf(t, pid)
	defer func() { checkMountsUnchanged(t, mounts, mountsOf(t, pid)) }()
	t.Run("quick-exit", func(t *testing.T) {
		r := e.exec(id, nil, "sh", "-c", `echo "out $$"; echo err >&2; exit 3`).run(t)
		checkExec(t, r, 3, "out ", "err")
	})
	t.Run("long-lived", func(t *testing.T) {
		r := e.exec(id, nil, "sh", "-c", "sleep 0.5; echo out; echo err >&2; exit 4").run(t)
		checkExec(t, r, 4, "out", "err")
	})
	t.Run("sees-container", func(t *testing.T) {
		r := e.exec(id, nil, "sh", "-c", "sleep 0.3; ps -o pid,args").run(t)
		checkExec(t, r, 0, "sleep 1000", "")
		if !strings.Contains(r.stdout, "1 sleep 1000") && !strings.Contains(r.stdout, "1 root     sleep 1000") {
			t.Errorf("ps in the container shows %q: want the container's init, sleep, as pid 1", r.stdout)
		}
	})
	t.Run("user-env-workdir", func(t *testing.T) {
		r := e.exec(id, []string{"--user", "1000:1000", "--env", "LIBCT_E2E=yes", "--workdir", "/tmp"}, "sh", "-c", `echo "$(id -u):$(id -g) $LIBCT_E2E $(pwd)"`).run(t)
		checkExec(t, r, 0, "1000:1000 yes /tmp", "")
	})
	t.Run("privileged", func(t *testing.T) {
		// The exec gets every capability, the container keeps Docker's
		// default set.
		host := hostCapBnd(t)
		r := e.exec(id, []string{"--privileged"}, "sh", "-c", "grep -E '^CapBnd:' /proc/self/status; grep ^CapEff: /proc/1/status").run(t)
		checkExec(t, r, 0, "CapEff:\t"+dockerDefaultCaps, "")
		bnd, err := strconv.ParseUint(strings.TrimSpace(strings.TrimPrefix(strings.Split(r.stdout, "\n")[0], "CapBnd:")), 16, 64)
		hostBnd, _ := strconv.ParseUint(host, 16, 64)
		if want := hostBnd & dockerClassicCaps; err != nil || bnd&want != want {
			t.Errorf("docker exec --privileged: bounding set %q, want every capability of the host's %s up to AUDIT_READ", r.stdout, host)
		}
	})
	t.Run("detached", func(t *testing.T) {
		e.exec(id, []string{"--detach"}, "sh", "-c", "echo done >/tmp/exec-detached").mustRun(t)
		var r result
		ok := waitFor(5*time.Second, func() bool {
			r = e.exec(id, nil, "cat", "/tmp/exec-detached").run(t)
			return strings.TrimSpace(r.stdout) == "done"
		})
		if !ok {
			t.Errorf("docker exec --detach: its program did not run: %s", r)
		}
	})
}

func (e *dockerEnv) testExecTTY(t *testing.T) {
	requireEnterStage(t, e.f) // dockerd execs through ct exec
	id := e.detached(t, "exectty", nil, "sleep", "1000")
	pid := e.initPid(t, id)
	mounts := mountsOf(t, pid)
	// Twice, and alive until ct exec has returned: see containerd's.
	for i := 1; i <= 2; i++ {
		t.Run(strconv.Itoa(i), func(t *testing.T) {
			r := e.exec(id, []string{"-it"}, "sh", "-c", "[ -t 0 ] && echo stdin-is-a-tty; "+ttyScript+"exit 5").runTTY(t)
			checkTTY(t, r, 5)
			if !strings.Contains(r.stdout, "stdin-is-a-tty") {
				t.Errorf("output %q: the program's standard input is not a terminal", r.stdout)
			}
		})
	}
	checkMountsUnchanged(t, mounts, mountsOf(t, pid))
}

func (e *dockerEnv) testTop(t *testing.T) {
	// The shell waits: it stays the init (a last command it would exec).
	id := e.detached(t, "top", nil, "sh", "-c", "sleep 1001 & sleep 1002 & wait")
	var r result
	ok := waitFor(5*time.Second, func() bool {
		r = e.docker("top", id).run(t)
		return strings.Contains(r.stdout, "sleep 1001") && strings.Contains(r.stdout, "sleep 1002")
	})
	if !ok {
		t.Errorf("docker top: want the shell's two sleeps: %s", r)
	}
	if !strings.Contains(r.stdout, "sh -c sleep 1001 & sleep 1002 & wait") {
		t.Errorf("docker top: the container's init, the shell, is missing: %q", r.stdout)
	}
}

func (e *dockerEnv) testStats(t *testing.T) {
	id := e.detached(t, "stats", []string{"--memory", "64m"}, "sh", "-c", "sleep 1001 & sleep 1002 & wait")
	// The pids count: the shell and its two sleeps, once both started.
	var r result
	ok := waitFor(10*time.Second, func() bool {
		r = e.docker("stats", "--no-stream", "--format", "{{.ID}} {{.PIDs}} {{.MemUsage}}", id).run(t)
		f := strings.Fields(r.stdout)
		return len(f) >= 2 && f[1] == "3"
	})
	if !ok {
		t.Errorf("docker stats --no-stream: want 3 pids: %s", r)
	}
	f := strings.Fields(r.stdout)
	if len(f) < 1 || !strings.HasPrefix(id, f[0]) {
		t.Errorf("docker stats printed %q, want container %.12s", r.stdout, id)
	}
	if !strings.Contains(r.stdout, "/ 64MiB") {
		t.Errorf("docker stats: memory %q, want a limit of 64MiB", r.stdout)
	}
	if strings.Contains(r.stdout, " 0B /") {
		t.Errorf("docker stats: memory usage 0B: the cgroup's statistics were not read: %q", r.stdout)
	}
}

func (e *dockerEnv) testPauseUnpause(t *testing.T) {
	id := e.detached(t, "pause", nil, "sh", "-c", "while :; do echo tick; sleep 0.05; done")
	cg := e.cgroup(id)
	e.docker("pause", id).mustRun(t)
	if st := e.inspect(t, id, "{{.State.Status}}"); st != "paused" {
		t.Errorf("docker inspect after pause: %s, want paused", st)
	}
	checkFrozen(t, cg, ctStatus(t, e.ct("state", id)), true)
	e.docker("unpause", id).mustRun(t)
	if st := e.inspect(t, id, "{{.State.Status}}"); st != "running" {
		t.Errorf("docker inspect after unpause: %s, want running", st)
	}
	checkFrozen(t, cg, ctStatus(t, e.ct("state", id)), false)
	// The container runs on: its program goes on printing.
	ticks := func() int { return strings.Count(e.docker("logs", id).run(t).stdout, "tick") }
	before := ticks()
	if !waitFor(10*time.Second, func() bool { return ticks() > before }) {
		t.Errorf("after docker unpause the program printed nothing more (%d ticks)", before)
	}
	t.Run("exec", func(t *testing.T) {
		requireEnterStage(t, e.f)
		checkExec(t, e.exec(id, nil, "echo", "alive").run(t), 0, "alive", "")
	})
}

// testRemovePaused removes a paused container: ct must kill the frozen
// processes and remove the cgroup.
func (e *dockerEnv) testRemovePaused(t *testing.T) {
	name := e.name("rmpaused")
	t.Cleanup(func() { e.remove(t, name) })
	e.run(name, []string{"-d"}, "sleep", "1000").mustRun(t)
	id := e.id(t, name)
	pid := e.initPid(t, id)
	e.docker("pause", id).mustRun(t)
	start := time.Now()
	e.docker("rm", "--force", id).mustRun(t)
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("docker rm --force of a paused container took %v", d)
	}
	if err := syscall.Kill(pid, 0); err == nil {
		t.Errorf("the paused container's process %d survived docker rm --force", pid)
	}
	if dirs := cgroupDirs(e.cgroup(id)); len(dirs) > 0 {
		t.Errorf("the paused container's cgroups are left: %v", dirs)
	}
}

func (e *dockerEnv) testUpdateMemory(t *testing.T) {
	id := e.detached(t, "update", []string{"--memory", "64m", "--memory-swap", "64m"}, "sleep", "1000")
	cg := e.cgroup(id)
	if got := cgroupFile("memory", cg, "memory.limit_in_bytes"); got != strconv.Itoa(64<<20) {
		t.Errorf("before the update: memory.limit_in_bytes of %s: %s, want %d", cg, got, 64<<20)
	}
	e.docker("update", "--memory", "96m", "--memory-swap", "128m", "--pids-limit", "50", id).mustRun(t)
	for file, want := range map[string]string{
		"memory.limit_in_bytes":       strconv.Itoa(96 << 20),
		"memory.memsw.limit_in_bytes": strconv.Itoa(128 << 20),
	} {
		if got := cgroupFile("memory", cg, file); got != want {
			t.Errorf("after docker update: %s of %s: %s, want %s", file, cg, got, want)
		}
	}
	if got := cgroupFile("pids", cg, "pids.max"); got != "50" {
		t.Errorf("after docker update --pids-limit 50: pids.max of %s: %s, want 50", cg, got)
	}
	if got := e.inspect(t, id, "{{.HostConfig.Memory}}"); got != strconv.Itoa(96<<20) {
		t.Errorf("docker inspect: HostConfig.Memory %s, want %d", got, 96<<20)
	}
	if st := e.inspect(t, id, "{{.State.Status}}"); st != "running" {
		t.Errorf("after the update the container is %s, want running", st)
	}
}

func (e *dockerEnv) testStop(t *testing.T) {
	t.Run("term", func(t *testing.T) {
		id := e.detached(t, "stop", nil, "sh", "-c", `trap "echo got TERM; exit 7" TERM; while :; do sleep 0.1; done`)
		start := time.Now()
		e.docker("stop", "--time", "20", id).mustRun(t)
		if d := time.Since(start); d > 10*time.Second {
			t.Errorf("docker stop took %v: SIGTERM did not reach the program", d)
		}
		if code := e.exitCode(t, id); code != 7 {
			t.Errorf("after docker stop: exit %d, want 7 (the trap's)", code)
		}
		if logs := e.docker("logs", id).run(t); !strings.Contains(logs.stdout, "got TERM") {
			t.Errorf("the program's output %q has no trace of SIGTERM", logs.stdout)
		}
	})
	t.Run("timeout", func(t *testing.T) {
		// sleep as pid 1 ignores SIGTERM: stop kills it after 1s.
		id := e.detached(t, "stopkill", nil, "sleep", "1000")
		e.docker("stop", "--time", "1", id).mustRun(t)
		if code := e.exitCode(t, id); code != 137 {
			t.Errorf("after docker stop --time 1: exit %d, want 137", code)
		}
	})
	t.Run("stop-signal", func(t *testing.T) {
		id := e.detached(t, "stopsig", []string{"--stop-signal", "USR1"}, "sh", "-c", `trap "exit 8" USR1; while :; do sleep 0.1; done`)
		e.docker("stop", "--time", "20", id).mustRun(t)
		if code := e.exitCode(t, id); code != 8 {
			t.Errorf("after docker stop with --stop-signal USR1: exit %d, want 8 (the trap's)", code)
		}
	})
}

func (e *dockerEnv) testRestart(t *testing.T) {
	t.Run("docker-restart", func(t *testing.T) {
		id := e.detached(t, "restart", nil, "sh", "-c", `trap "exit 0" TERM; echo started; while :; do sleep 0.1; done`)
		before := e.initPid(t, id)
		e.docker("restart", "--time", "10", id).mustRun(t)
		if st := e.inspect(t, id, "{{.State.Status}}"); st != "running" {
			t.Fatalf("after docker restart: %s, want running", st)
		}
		if after := e.initPid(t, id); after == before {
			t.Errorf("after docker restart: the init is still pid %d, want a new process", before)
		}
		if logs := e.docker("logs", id).run(t); strings.Count(logs.stdout, "started") != 2 {
			t.Errorf("after docker restart: the program's output %q, want it started twice", logs.stdout)
		}
		t.Run("exec", func(t *testing.T) {
			requireEnterStage(t, e.f)
			checkExec(t, e.exec(id, nil, "echo", "alive").run(t), 0, "alive", "")
		})
	})
	t.Run("on-failure", func(t *testing.T) {
		// The program fails each time: dockerd starts it again twice.
		id := e.detached(t, "restartpolicy", []string{"--restart", "on-failure:2"}, "sh", "-c", "echo ran; exit 1")
		var st string
		ok := waitFor(30*time.Second, func() bool {
			st = e.poll(id, "{{.RestartCount}} {{.State.Status}} {{.State.ExitCode}}")
			return st == "2 exited 1"
		})
		if !ok {
			t.Errorf("--restart on-failure:2: restart count, status, exit code %q, want \"2 exited 1\"", st)
		}
		if logs := e.docker("logs", id).run(t); strings.Count(logs.stdout, "ran") != 3 {
			t.Errorf("--restart on-failure:2: the program's output %q, want it run 3 times", logs.stdout)
		}
	})
}

func (e *dockerEnv) testHealthcheck(t *testing.T) {
	// dockerd runs the check as an exec every interval.
	requireEnterStage(t, e.f)
	id := e.detached(t, "health", []string{"--health-cmd", "test -e /tmp/healthy", "--health-interval", "1s", "--health-retries", "1"},
		"sh", "-c", "touch /tmp/healthy; sleep 1000")
	var st string
	if !waitFor(15*time.Second, func() bool { st = e.poll(id, "{{.State.Health.Status}}"); return st == "healthy" }) {
		t.Errorf("health status %q, want healthy", st)
	}
	e.exec(id, nil, "rm", "/tmp/healthy").mustRun(t)
	if !waitFor(15*time.Second, func() bool { st = e.poll(id, "{{.State.Health.Status}}"); return st == "unhealthy" }) {
		t.Errorf("after the check started failing: health status %q, want unhealthy", st)
	}
}

func (e *dockerEnv) testMemoryOOM(t *testing.T) {
	const limit = 32 << 20
	trigger := filepath.Join(e.dir, "trigger-oom")
	if err := os.Mkdir(trigger, 0o755); err != nil {
		t.Fatal(err)
	}
	// The program waits for the test to have seen its limit, then asks
	// for twice as much memory as it may have.
	id := e.detached(t, "oom", []string{"--memory", strconv.Itoa(limit), "--memory-swap", strconv.Itoa(limit),
		"--volume", trigger + ":/trigger"},
		"sh", "-c", "while [ ! -e /trigger/go ]; do sleep 0.05; done; exec dd if=/dev/zero of=/dev/null bs=64M count=1")
	cg := e.cgroup(id)
	checkMemoryLimit(t, cg, limit)
	if err := os.WriteFile(filepath.Join(trigger, "go"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if code := e.exitCode(t, id); code != 137 {
		t.Errorf("exit status %d, want 137 (killed by the OOM killer)", code)
	}
	if oom := e.inspect(t, id, "{{.State.OOMKilled}}"); oom != "true" {
		t.Errorf("docker inspect: OOMKilled is %s, want true", oom)
	}
}

func (e *dockerEnv) testPidsLimit(t *testing.T) {
	// The program's shell starts a shell that runs 20 sleeps in the
	// background: fork fails once 10 processes run, and busybox's inner
	// shell gives up; the outer one says so and stays.
	id := e.detached(t, "pids", []string{"--pids-limit", "10"}, "sh", "-c",
		`sh -c 'i=0; while [ $i -lt 20 ]; do sleep 30 & i=$((i+1)); done; echo all-started'; echo inner-done; exec sleep 1000`)
	cg := e.cgroup(id)
	if got := cgroupFile("pids", cg, "pids.max"); got != "10" {
		t.Errorf("--pids-limit 10: pids.max of %s: %s, want 10", cg, got)
	}
	var r result
	if !waitFor(10*time.Second, func() bool { r = e.docker("logs", id).run(t); return strings.Contains(r.stdout, "inner-done") }) {
		t.Fatalf("--pids-limit 10: the program did not get past its forks: %s", r)
	}
	if strings.Contains(r.stdout, "all-started") || !strings.Contains(r.stderr, "can't fork") {
		t.Errorf("--pids-limit 10: 21 processes started, or fork failed for another reason: %s", r)
	}
	if n, err := strconv.Atoi(cgroupFile("pids", cg, "pids.current")); err != nil || n > 10 || n < 2 {
		t.Errorf("--pids-limit 10: pids.current of %s: %s, want 2 to 10", cg, cgroupFile("pids", cg, "pids.current"))
	}
	if ev := cgroupFile("pids", cg, "pids.events"); ev == "max 0" || !strings.HasPrefix(ev, "max ") {
		t.Errorf("--pids-limit 10: pids.events of %s: %q, want forks refused at the limit", cg, ev)
	}
}

func (e *dockerEnv) testNetworkHost(t *testing.T) {
	r := e.runRemoved(t, "nethost", []string{"--network", "host"}, "sh", "-c", netScript)
	if r.code != 0 {
		t.Fatalf("exit status %d, want 0: %s", r.code, r)
	}
	checkNetwork(t, r.stdout, true)
}

func (e *dockerEnv) testNetworkNone(t *testing.T) {
	r := e.runRemoved(t, "netnone", []string{"--network", "none"}, "sh", "-c", netScript+"; ping -c1 -W2 127.0.0.1 >/dev/null && echo lo-up")
	if r.code != 0 {
		t.Fatalf("exit status %d, want 0: %s", r.code, r)
	}
	checkNetwork(t, strings.ReplaceAll(r.stdout, "lo-up", ""), false)
	if !strings.Contains(r.stdout, "lo-up") {
		t.Errorf("lo in the private network does not answer 127.0.0.1")
	}
}

// leakCheck is what the Docker tests may leave.
func (e *dockerEnv) leakCheck() *leakCheck {
	return &leakCheck{
		cgroupParents: []string{e.cgroupParent},
		ids:           e.ids(),
		stateRoots:    []string{e.ctRoot()},
		dir:           e.dir,
	}
}

func (e *dockerEnv) testNothingLeft(t *testing.T) {
	r := e.docker("ps", "--all", "--quiet").run(t)
	if left := strings.Fields(r.stdout); len(left) > 0 {
		t.Errorf("containers left in dockerd: %v", left)
	}
	if len(e.ids()) == 0 {
		t.Errorf("no container was tracked: the check below proves nothing")
	}
	// ct keeps only its own dot directories in a root (see containerd's).
	var names []string
	for _, n := range dirEntries(e.ctRoot()) {
		if !strings.HasPrefix(n, ".") {
			names = append(names, n)
		}
	}
	if len(names) > 0 {
		t.Errorf("ct state left in %s: %v", e.ctRoot(), names)
	}
	// While the daemon runs (its command line and its containerd's name
	// the test's directory): the containers' processes, cgroups, mounts.
	l := e.leakCheck()
	l.dir = ""
	l.check(t)
	e.stop(t)
	e.leakCheck().check(t)
	checkShimSocketsGone(t, e.shimSockets)
}

// stop stops dockerd by its PID (SIGTERM, SIGKILL after 20s); it stops
// its containerd itself. What still names the test's directory after
// that (containerd, shims) is reported and killed by PID.
func (e *dockerEnv) stop(t testing.TB) {
	select {
	case <-e.exited:
		return
	default:
	}
	if stopPID(e.daemon.Process.Pid, e.exited, syscall.SIGTERM, 20*time.Second) {
		t.Errorf("dockerd (pid %d) ignored SIGTERM for 20s and was killed", e.daemon.Process.Pid)
	}
	t.Logf("dockerd stopped")
	// dockerd keeps its bind mount of the host's network namespace when
	// it stops (libnetwork's, for the next start): its own, not a
	// container's.
	if err := syscall.Unmount(filepath.Join(e.execRoot, "netns", "default"), syscall.MNT_DETACH); err == nil {
		t.Logf("unmounted dockerd's %s", filepath.Join(e.execRoot, "netns", "default"))
	}
	var left []string
	waitFor(5*time.Second, func() bool {
		left = (&leakCheck{dir: e.dir}).processes()
		return len(left) == 0
	})
	for _, p := range left {
		t.Errorf("left behind after dockerd stopped: %s", p)
		if pid, err := strconv.Atoi(strings.TrimSuffix(strings.Fields(p)[1], ":")); err == nil {
			syscall.Kill(pid, syscall.SIGKILL)
		}
	}
}

// cleanup runs at the end of TestDocker, whatever happened: removes every
// container left, stops the daemon, removes the cgroups under the parent,
// what dockerd made outside the directory, and the directory.
func (e *dockerEnv) cleanup(t *testing.T) {
	if e.daemon != nil && e.daemon.Process != nil {
		select {
		case <-e.exited:
		default:
			out, _ := e.docker("ps", "--all", "--quiet").output()
			for _, id := range strings.Fields(out) {
				e.remove(t, id)
			}
			e.stop(t)
		}
	}
	for _, d := range cgroupDirs(e.cgroupParent) {
		if err := removeCgroupTree(d); err != nil {
			t.Errorf("remove cgroups: %v", err)
		}
	}
	for _, p := range e.createdPaths {
		if fi, err := os.Lstat(p); err == nil && fi.IsDir() {
			syscall.Rmdir(p) // only when empty
		} else if err == nil {
			os.Remove(p)
		}
	}
	if t.Failed() {
		t.Logf("dockerd's log (end):\n%s", e.log())
	}
	removeTree(t, e.dir)
}
