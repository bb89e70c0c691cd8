package main

// Tests of the OCI runtime commands. They drive ct (this test binary,
// turned into ct by TestMain) as engines do: one process per command, on
// a busybox bundle whose config.json comes from oci.DefaultSpec. ct's
// standard streams are files, not pipes: a created container keeps them
// as its own.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/libct/libct/internal/testutil"
	"github.com/libct/libct/oci"
)

// ociEnv is one test's ct state root and the containers it made.
type ociEnv struct {
	t      *testing.T
	root   string
	rootfs string
}

var idSeq atomic.Int64

// newOCIEnv makes a state root whose containers are force-deleted when
// the test ends, and checks that nothing of them is left: no state
// directory, no cgroup.
func newOCIEnv(t *testing.T) *ociEnv {
	t.Helper()
	testutil.RequireRoot(t)
	e := &ociEnv{t: t, root: t.TempDir(), rootfs: testutil.BusyboxRootfs(t)}
	t.Cleanup(func() {
		entries, _ := os.ReadDir(e.root)
		for _, ent := range entries {
			if ent.IsDir() && !strings.HasPrefix(ent.Name(), ".") {
				e.ct("delete", "--force", ent.Name())
				checkNoCgroup(t, ent.Name())
			}
		}
		checkRootEmpty(t, e.root)
	})
	return e
}

// sub is e for subtest t: its failures end t, not the parent.
func (e *ociEnv) sub(t *testing.T) *ociEnv {
	c := *e
	c.t = t
	return &c
}

// id returns a container ID unique on the host: cgroup paths are global.
func (e *ociEnv) id(name string) string {
	return fmt.Sprintf("cttest-%d-%d-%s", os.Getpid(), idSeq.Add(1), name)
}

// checkNoCgroup asserts that no hierarchy has a cgroup of container id.
func checkNoCgroup(t *testing.T, id string) {
	t.Helper()
	dirs, _ := filepath.Glob("/sys/fs/cgroup/*/libct/" + id)
	if own, _ := filepath.Glob("/sys/fs/cgroup/libct/" + id); len(own) > 0 {
		dirs = append(dirs, own...)
	}
	if len(dirs) > 0 {
		t.Errorf("cgroups of %s left behind: %v", id, dirs)
	}
}

// command prepares ct with --root and args; its stdout and stderr go to
// files read by result.
func (e *ociEnv) command(ctx context.Context, args ...string) (*exec.Cmd, func() ctResult) {
	e.t.Helper()
	cmd := ctCommand(e.t, ctx, e.root, args...)
	dir := e.t.TempDir()
	stdout, err := os.Create(filepath.Join(dir, "stdout"))
	if err != nil {
		e.t.Fatal(err)
	}
	stderr, err := os.Create(filepath.Join(dir, "stderr"))
	if err != nil {
		e.t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = stdout, stderr
	result := func() ctResult {
		stdout.Close()
		stderr.Close()
		out, _ := os.ReadFile(stdout.Name())
		errOut, _ := os.ReadFile(stderr.Name())
		res := ctResult{stdout: string(out), stderr: string(errOut)}
		if cmd.ProcessState != nil {
			res.code = cmd.ProcessState.ExitCode()
		}
		return res
	}
	return cmd, result
}

// ct runs ct with args and returns how it ended.
func (e *ociEnv) ct(args ...string) ctResult {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd, result := e.command(ctx, args...)
	err := cmd.Run()
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		e.t.Fatalf("ct %q: %v", args, err)
	}
	return result()
}

// ok runs ct and fails the test unless it exits 0.
func (e *ociEnv) ok(args ...string) ctResult {
	e.t.Helper()
	res := e.ct(args...)
	if res.code != 0 {
		e.t.Fatalf("ct %q: exit %d, stderr %q", args, res.code, res.stderr)
	}
	return res
}

// bundle writes a bundle running args in the busybox root, with the
// default spec edited by edit.
func (e *ociEnv) bundle(args []string, edit func(*specs.Spec)) string {
	e.t.Helper()
	s := oci.DefaultSpec(false)
	s.Root = &specs.Root{Path: e.rootfs}
	s.Process.Terminal = false
	s.Process.Args = args
	if edit != nil {
		edit(s)
	}
	dir := e.t.TempDir()
	data, err := json.MarshalIndent(s, "", "\t")
	if err != nil {
		e.t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "config.json"), data, 0o644); err != nil {
		e.t.Fatal(err)
	}
	return dir
}

// state reads ct state of id.
func (e *ociEnv) state(id string) containerState {
	e.t.Helper()
	res := e.ok("state", id)
	var st containerState
	if err := json.Unmarshal([]byte(res.stdout), &st); err != nil {
		e.t.Fatalf("state %s: %v in %q", id, err, res.stdout)
	}
	return st
}

// waitStatus waits until container id is in status.
func (e *ociEnv) waitStatus(id string, status specs.ContainerState) containerState {
	e.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		res := e.ct("state", id)
		var st containerState
		if res.code == 0 {
			if err := json.Unmarshal([]byte(res.stdout), &st); err != nil {
				e.t.Fatalf("state %s: %v in %q", id, err, res.stdout)
			}
			if st.Status == status {
				return st
			}
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("container %s is %q (%s), want %s", id, st.Status, res.stderr, status)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// checkState checks status and pid of id: a live pid for a live
// container, none for a stopped one.
func (e *ociEnv) checkState(id string, status specs.ContainerState) containerState {
	e.t.Helper()
	st := e.state(id)
	if st.Status != status || st.ID != id || st.Version != specs.Version {
		e.t.Fatalf("state %+v: want %s %s, ociVersion %s", st, id, status, specs.Version)
	}
	if alive := status != specs.StateStopped; alive != (st.Pid > 0) {
		e.t.Fatalf("state of %s container: pid %d", status, st.Pid)
	}
	return st
}

// waitInside waits until path exists inside container id, seen through
// its init's root (/proc/PID/root), while the container may still be
// coming up: a readiness probe that needs no ct exec, so no enter stage,
// and starts nothing in the container.
func (e *ociEnv) waitInside(id, path string, timeout time.Duration) bool {
	e.t.Helper()
	for deadline := time.Now().Add(timeout); ; time.Sleep(20 * time.Millisecond) {
		var st containerState
		if res := e.ct("state", id); res.code == 0 && json.Unmarshal([]byte(res.stdout), &st) == nil && st.Pid > 0 {
			if _, err := os.Stat("/proc/" + strconv.Itoa(st.Pid) + "/root" + path); err == nil {
				return true
			}
		}
		if time.Now().After(deadline) {
			return false
		}
	}
}

func alive(pid int) bool {
	return syscall.Kill(pid, 0) == nil && !isZombie(pid)
}

func isZombie(pid int) bool {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return true
	}
	i := bytes.LastIndexByte(data, ')')
	return i < 0 || i+2 >= len(data) || data[i+2] == 'Z' || data[i+2] == 'X'
}

func readPid(t *testing.T, path string) int {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	pid, err := strconv.Atoi(string(data))
	if err != nil {
		t.Fatalf("pid file %s: %q", path, data)
	}
	return pid
}

// TestLifecycle drives one container through the commands an engine
// uses, in order.
func TestLifecycle(t *testing.T) {
	e := newOCIEnv(t)
	bundle := e.bundle([]string{"sleep", "1000"}, nil)
	id := e.id("life")
	pidFile := filepath.Join(t.TempDir(), "init.pid")

	e.ok("create", "--bundle", bundle, "--pid-file", pidFile, id)
	st := e.checkState(id, specs.StateCreated)
	if got := readPid(t, pidFile); got != st.Pid {
		t.Errorf("pid file %d, state pid %d", got, st.Pid)
	}
	if st.Bundle != bundle || st.Rootfs != e.rootfs || st.Owner != "root" || time.Since(st.Created) > time.Minute {
		t.Errorf("state %+v: want bundle %s, rootfs %s, owner root, created just now", st, bundle, e.rootfs)
	}

	e.ok("start", id)
	st = e.checkState(id, specs.StateRunning)
	initPid := st.Pid
	if res := e.ct("start", id); res.code != 1 || !strings.Contains(res.stderr, "running") {
		t.Errorf("second start: exit %d, stderr %q; want 1 and the state", res.code, res.stderr)
	}

	t.Run("ps", func(t *testing.T) {
		e := e.sub(t)
		res := e.ok("ps", "--format", "json", id)
		var pids []int
		if err := json.Unmarshal([]byte(res.stdout), &pids); err != nil || !slices.Contains(pids, initPid) {
			t.Errorf("ps json %q (%v): want the init %d", res.stdout, err, initPid)
		}
		res = e.ok("ps", id)
		rows := lines(res.stdout)
		if len(rows) != 2 || !strings.Contains(rows[0], "PID") || !strings.Contains(rows[1], " "+strconv.Itoa(initPid)+" ") {
			t.Errorf("ps table %q: want the header and the init %d", res.stdout, initPid)
		}
	})

	var execDetached int // the pid of a process exec --detach left running
	t.Run("exec", func(t *testing.T) {
		e := e.sub(t)
		testutil.RequireEnterStage(t) // ct exec joins the container's mount namespace
		res := e.ct("exec", id, "sh", "-c", "echo in $(hostname); exit 3")
		if res.code != 3 || !strings.HasPrefix(res.stdout, "in ") {
			t.Errorf("exec: exit %d, stdout %q, stderr %q; want 3, \"in HOSTNAME\"", res.code, res.stdout, res.stderr)
		}
		res = e.ct("exec", "--env", "K=V", "--cwd", "/tmp", "--user", "1000:1000", id, "sh", "-c", `echo "$K $PWD $(id -u):$(id -g)"`)
		if res.code != 0 || res.stdout != "V /tmp 1000:1000\n" {
			t.Errorf("exec with flags: exit %d, stdout %q, stderr %q", res.code, res.stdout, res.stderr)
		}
		execPidFile := filepath.Join(t.TempDir(), "exec.pid")
		e.ok("exec", "--detach", "--pid-file", execPidFile, id, "sleep", "1000")
		pid := readPid(t, execPidFile)
		if !alive(pid) {
			t.Fatalf("detached exec pid %d is not alive", pid)
		}
		execDetached = pid
		res = e.ok("ps", "--format", "json", id)
		if !strings.Contains(res.stdout, strconv.Itoa(pid)) {
			t.Errorf("ps %q does not list the exec'd %d", res.stdout, pid)
		}
	})

	t.Run("exec forwards signals", func(t *testing.T) {
		e := e.sub(t)
		testutil.RequireEnterStage(t) // ct exec joins the container's mount namespace
		script := `trap "touch /dev/shm/usr1" USR1; trap "exit 7" TERM; touch /dev/shm/exec-ready; while :; do sleep 0.05; done`
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		cmd, result := e.command(ctx, "exec", id, "sh", "-c", script)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		defer e.ct("exec", id, "rm", "-f", "/dev/shm/exec-ready", "/dev/shm/usr1")
		waitFor := func(file string) {
			t.Helper()
			deadline := time.Now().Add(10 * time.Second)
			for e.ct("exec", id, "test", "-e", file).code != 0 {
				if time.Now().After(deadline) {
					cmd.Process.Kill()
					cmd.Wait()
					t.Fatalf("%s never appeared; stderr %q", file, result().stderr)
				}
				time.Sleep(20 * time.Millisecond)
			}
		}
		waitFor("/dev/shm/exec-ready")
		// One signal the process handles and goes on, then one it ends on.
		cmd.Process.Signal(syscall.SIGUSR1)
		waitFor("/dev/shm/usr1")
		cmd.Process.Signal(syscall.SIGTERM)
		cmd.Wait()
		if res := result(); res.code != 7 || res.stderr != "" {
			t.Errorf("exit %d, stderr %q; want 7 from the process's trap", res.code, res.stderr)
		}
	})

	t.Run("pause", func(t *testing.T) {
		e := e.sub(t)
		e.ok("pause", id)
		e.checkState(id, specs.ContainerState("paused"))
		if res := e.ct("exec", id, "true"); res.code == 0 {
			t.Errorf("exec in a paused container succeeded")
		}
		e.ok("resume", id)
		e.checkState(id, specs.StateRunning)
	})

	t.Run("update", func(t *testing.T) {
		e := e.sub(t)
		e.ok("update", "--pids-limit", "50", id)
		data, err := os.ReadFile("/sys/fs/cgroup/pids/libct/" + id + "/pids.max")
		if err != nil || strings.TrimSpace(string(data)) != "50" {
			t.Errorf("pids.max %q, %v; want 50", data, err)
		}
		e.ok("update", "--memory", "64m", id)
		data, err = os.ReadFile("/sys/fs/cgroup/memory/libct/" + id + "/memory.limit_in_bytes")
		if err != nil || strings.TrimSpace(string(data)) != strconv.Itoa(64<<20) {
			t.Errorf("memory.limit_in_bytes %q, %v; want %d", data, err, 64<<20)
		}
		// What Docker sends for an update of the cpu time alone: the
		// memory fields it leaves alone as 0, which runc reads as none
		// given. The memory limit must stay.
		resources := filepath.Join(t.TempDir(), "resources.json")
		dockerUpdate := `{"memory":{"limit":0,"reservation":0,"kernel":0},"cpu":{"shares":0,"quota":50000,"period":100000},"blockIO":{"weight":0}}`
		if err := os.WriteFile(resources, []byte(dockerUpdate), 0o644); err != nil {
			t.Fatal(err)
		}
		e.ok("update", "--resources", resources, id)
		data, err = os.ReadFile("/sys/fs/cgroup/memory/libct/" + id + "/memory.limit_in_bytes")
		if err != nil || strings.TrimSpace(string(data)) != strconv.Itoa(64<<20) {
			t.Errorf("after an update with memory.limit 0: memory.limit_in_bytes %q, %v; want %d, unchanged", data, err, 64<<20)
		}
		data, err = os.ReadFile("/sys/fs/cgroup/cpu/libct/" + id + "/cpu.cfs_quota_us")
		if err != nil || strings.TrimSpace(string(data)) != "50000" {
			t.Errorf("cpu.cfs_quota_us %q, %v; want 50000", data, err)
		}
		// runc's flags, and limits the kernel checks against others.
		unlimited, _ := os.ReadFile("/sys/fs/cgroup/memory/memory.memsw.limit_in_bytes")
		for _, tc := range []struct {
			name string
			args []string
			// file of the container's cgroup under /sys/fs/cgroup, and
			// what it must read; "" when the host lacks the file.
			file, want string
		}{
			{"cpu-share", []string{"--cpu-share", "300"}, "cpu/libct/" + id + "/cpu.shares", "300"},
			{"cpu-burst", []string{"--cpu-burst", "20000"}, "cpu/libct/" + id + "/cpu.cfs_burst_us", "20000"},
			{"cpu-idle", []string{"--cpu-idle", "1"}, "cpu/libct/" + id + "/cpu.idle", "1"},
			{"memory-swap alone", []string{"--memory-swap", "128m"}, "memory/libct/" + id + "/memory.memsw.limit_in_bytes", strconv.Itoa(128 << 20)},
			{"memory lifted", []string{"--memory", "-1"}, "memory/libct/" + id + "/memory.memsw.limit_in_bytes", strings.TrimSpace(string(unlimited))},
			{"memory limited again", []string{"--memory", "64m"}, "memory/libct/" + id + "/memory.limit_in_bytes", strconv.Itoa(64 << 20)},
		} {
			t.Run(tc.name, func(t *testing.T) {
				e := e.sub(t)
				path := "/sys/fs/cgroup/" + tc.file
				if _, err := os.Stat(path); err != nil {
					t.Skipf("no %s here", path)
				}
				e.ok(append(append([]string{"update"}, tc.args...), id)...)
				if data, err := os.ReadFile(path); err != nil || strings.TrimSpace(string(data)) != tc.want {
					t.Errorf("%s %q, %v; want %s", path, data, err, tc.want)
				}
			})
		}
	})

	t.Run("events", func(t *testing.T) {
		e := e.sub(t)
		res := e.ok("events", "--stats", id)
		var ev struct {
			Type string
			ID   string
			Data eventStats
		}
		if err := json.Unmarshal([]byte(res.stdout), &ev); err != nil {
			t.Fatalf("events --stats %q: %v", res.stdout, err)
		}
		tasks := uint64(1) // the init, and the sleep exec --detach left if it ran
		if execDetached != 0 {
			tasks++
		}
		if ev.Type != "stats" || ev.ID != id || ev.Data.Pids.Current < tasks || ev.Data.Pids.Limit != 50 ||
			ev.Data.Memory.Usage.Limit != 64<<20 || ev.Data.Memory.Usage.Usage == 0 {
			t.Errorf("events --stats %q: want stats of %s with %d tasks of at most 50, 64M memory", res.stdout, id, tasks)
		}
		if !strings.Contains(res.stdout, `"cpu"`) || !strings.Contains(res.stdout, `"blkio"`) {
			t.Errorf("events --stats %q: want cpu and blkio", res.stdout)
		}
	})

	t.Run("delete running", func(t *testing.T) {
		e := e.sub(t)
		res := e.ct("delete", id)
		if res.code != 1 || !strings.Contains(res.stderr, "running") {
			t.Errorf("delete of a running container: exit %d, stderr %q; want 1", res.code, res.stderr)
		}
		e.checkState(id, specs.StateRunning)
	})

	// kill --all reaches the exec'd process too.
	pids := e.ok("ps", "--format", "json", id).stdout
	e.ok("kill", "--all", id, "KILL")
	e.waitStatus(id, specs.StateStopped)
	e.checkState(id, specs.StateStopped)
	var all []int
	json.Unmarshal([]byte(pids), &all)
	for _, pid := range all {
		if alive(pid) {
			t.Errorf("pid %d of the container survived kill --all", pid)
		}
	}
	if res := e.ct("kill", id, "KILL"); res.code != 1 || !strings.Contains(res.stderr, "container not running") {
		t.Errorf("kill of a stopped container: exit %d, stderr %q", res.code, res.stderr)
	}
	e.ok("delete", id)
	res := e.ct("state", id)
	if res.code != 1 || res.stdout != "" {
		t.Errorf("state after delete: exit %d, stdout %q", res.code, res.stdout)
	}
	checkOneLine(t, res.stderr, []string{"ct: state: ", id, "does not exist"})
	checkNoCgroup(t, id)
	checkRootEmpty(t, e.root)
}

// TestKill checks signals by name and number, and that kill takes its
// arguments as runc does (ID then SIGNAL, flags after them too).
func TestKill(t *testing.T) {
	e := newOCIEnv(t)
	// The init is pid 1 of its namespace: only a signal it handles ends it.
	trapper := e.bundle([]string{"sh", "-c", `trap "exit 7" TERM; echo ready > /tmp/ready; while :; do sleep 0.05; done`}, func(s *specs.Spec) {
		s.Root.Readonly = false
	})
	sleeper := e.bundle([]string{"sleep", "1000"}, nil)
	for _, tc := range []struct {
		name   string
		bundle string
		args   func(id string) []string
	}{
		{"SIGTERM by name", trapper, func(id string) []string { return []string{"kill", id, "SIGTERM"} }},
		{"TERM", trapper, func(id string) []string { return []string{"kill", id, "TERM"} }},
		{"default TERM", trapper, func(id string) []string { return []string{"kill", id} }},
		{"9", sleeper, func(id string) []string { return []string{"kill", id, "9"} }},
		{"--all after args", sleeper, func(id string) []string { return []string{"kill", id, "KILL", "--all"} }},
		{"-a KILL", sleeper, func(id string) []string { return []string{"kill", "-a", id, "kill"} }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := e.sub(t)
			id := e.id("kill")
			// The root is shared: the marker of an earlier container
			// would say ready before this one set its trap.
			os.Remove(filepath.Join(e.rootfs, "tmp/ready"))
			e.ok("run", "--detach", "--bundle", tc.bundle, id)
			if tc.bundle == trapper {
				// Wait for the trap to be set.
				if !e.waitInside(id, "/tmp/ready", 5*time.Second) {
					t.Fatal("the trap never got set")
				}
			}
			e.ok(tc.args(id)...)
			e.waitStatus(id, specs.StateStopped)
			e.ok("delete", id)
			checkNoCgroup(t, id)
		})
	}
	t.Run("signal 0", func(t *testing.T) {
		e := e.sub(t)
		id := e.id("zero")
		e.ok("run", "-d", "-b", sleeper, id)
		// Only a check that the container runs: it goes on running.
		e.ok("kill", id, "0")
		e.checkState(id, specs.StateRunning)
		e.ok("kill", id, "KILL")
		e.waitStatus(id, specs.StateStopped)
		if res := e.ct("kill", id, "0"); res.code != 1 || !strings.Contains(res.stderr, "container not running") {
			t.Errorf("kill 0 of a stopped container: exit %d, stderr %q; want 1, not running", res.code, res.stderr)
		}
		e.ok("kill", "--all", id, "0")
		e.ok("delete", id)
		checkNoCgroup(t, id)
	})
	t.Run("negative signal", func(t *testing.T) {
		e := e.sub(t)
		if res := e.ct("kill", "whatever", "-1"); res.code != 2 || !strings.Contains(res.stderr, "-1") {
			t.Errorf("exit %d, stderr %q; want 2 naming the signal", res.code, res.stderr)
		}
	})
	t.Run("bad signal", func(t *testing.T) {
		e := e.sub(t)
		res := e.ct("kill", "whatever", "SIGBOGUS")
		if res.code != 2 || !strings.Contains(res.stderr, "SIGBOGUS") {
			t.Errorf("exit %d, stderr %q; want 2 naming the signal", res.code, res.stderr)
		}
	})
	t.Run("delete --force", func(t *testing.T) {
		e := e.sub(t)
		id := e.id("force")
		e.ok("run", "-d", "-b", sleeper, id)
		e.ok("delete", "--force", id)
		if res := e.ct("state", id); res.code != 1 {
			t.Errorf("state after delete --force: exit %d", res.code)
		}
		checkNoCgroup(t, id)
		// Created, and flags after the ID.
		id = e.id("force-created")
		e.ok("create", "-b", sleeper, id)
		if res := e.ct("delete", id); res.code != 1 || !strings.Contains(res.stderr, "created") {
			t.Errorf("delete of a created container: exit %d, stderr %q; want 1", res.code, res.stderr)
		}
		e.ok("delete", id, "--force")
		checkNoCgroup(t, id)
		// Nothing to delete.
		e.ok("delete", "-f", id)
		if res := e.ct("delete", id); res.code != 1 || !strings.Contains(res.stderr, "does not exist") {
			t.Errorf("delete of a missing container: exit %d, stderr %q", res.code, res.stderr)
		}
	})
}

// TestRun checks run in the foreground: the container's streams are
// ct's, ct exits with its status, 128+signal when killed, and deletes it.
func TestRun(t *testing.T) {
	e := newOCIEnv(t)
	t.Run("exit status", func(t *testing.T) {
		e := e.sub(t)
		bundle := e.bundle([]string{"sh", "-c", "echo out; echo err >&2; exit 5"}, nil)
		id := e.id("run")
		res := e.ct("run", "--bundle", bundle, id)
		if res.code != 5 || res.stdout != "out\n" || res.stderr != "err\n" {
			t.Errorf("exit %d, stdout %q, stderr %q; want 5, out, err", res.code, res.stdout, res.stderr)
		}
		checkNoCgroup(t, id)
		checkRootEmpty(t, e.root)
	})
	t.Run("killed", func(t *testing.T) {
		e := e.sub(t)
		bundle := e.bundle([]string{"sleep", "1000"}, nil)
		id := e.id("run-killed")
		pidFile := filepath.Join(t.TempDir(), "pid")
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		cmd, result := e.command(ctx, "run", "--pid-file", pidFile, "--bundle", bundle, id)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		e.waitStatus(id, specs.StateRunning)
		e.ok("kill", id, "KILL")
		cmd.Wait()
		res := result()
		if res.code != 128+9 || res.stderr != "" {
			t.Errorf("exit %d, stderr %q; want 137", res.code, res.stderr)
		}
		checkNoCgroup(t, id)
		checkRootEmpty(t, e.root)
	})
	t.Run("signal forwarded", func(t *testing.T) {
		e := e.sub(t)
		bundle := e.bundle([]string{"sh", "-c", `trap "exit 7" TERM; touch /tmp/ready; while :; do sleep 0.05; done`}, func(s *specs.Spec) {
			s.Root.Readonly = false
		})
		id := e.id("run-term")
		os.Remove(filepath.Join(e.rootfs, "tmp/ready")) // an earlier container's marker
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		cmd, result := e.command(ctx, "run", "--bundle", bundle, id)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		if !e.waitInside(id, "/tmp/ready", 10*time.Second) {
			t.Fatal("the trap never got set")
		}
		cmd.Process.Signal(syscall.SIGTERM)
		cmd.Wait()
		if res := result(); res.code != 7 || res.stderr != "" {
			t.Errorf("exit %d, stderr %q; want 7 from the container's trap", res.code, res.stderr)
		}
		checkNoCgroup(t, id)
		checkRootEmpty(t, e.root)
	})
	t.Run("preserve-fds", func(t *testing.T) {
		e := e.sub(t)
		bundle := e.bundle([]string{"sh", "-c", "cat <&3"}, nil)
		extra := filepath.Join(t.TempDir(), "extra")
		if err := os.WriteFile(extra, []byte("through fd 3\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		file, err := os.Open(extra)
		if err != nil {
			t.Fatal(err)
		}
		defer file.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		cmd, result := e.command(ctx, "run", "--preserve-fds", "1", "--bundle", bundle, e.id("fds"))
		cmd.ExtraFiles = []*os.File{file}
		cmd.Run()
		if res := result(); res.code != 0 || res.stdout != "through fd 3\n" {
			t.Errorf("exit %d, stdout %q, stderr %q", res.code, res.stdout, res.stderr)
		}
	})
}

// TestForeignDefaultSpecs runs, unchanged, the configs that `runc spec`
// (runc 1.1.5) and `crun spec` (crun 1.8.1) write: their ambient
// capabilities are not inheritable, which the kernel cannot raise, and
// ct warns about each and runs the rest, as those runtimes do.
func TestForeignDefaultSpecs(t *testing.T) {
	e := newOCIEnv(t)
	for _, tc := range []struct{ name, file string }{
		{"runc 1.1.5", "testdata/runc-1.1.5-spec.json"},
		{"crun 1.8.1", "testdata/crun-1.8.1-spec.json"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := e.sub(t)
			data, err := os.ReadFile(tc.file)
			if err != nil {
				t.Fatal(err)
			}
			bundle := t.TempDir()
			if err := os.WriteFile(filepath.Join(bundle, "config.json"), data, 0o644); err != nil {
				t.Fatal(err)
			}
			if err := os.Symlink(e.rootfs, filepath.Join(bundle, "rootfs")); err != nil {
				t.Fatal(err)
			}
			id := e.id("foreign")
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			// The config runs sh on a terminal: ct relays what it reads
			// to it.
			cmd, result := e.command(ctx, "run", "--bundle", bundle, id)
			cmd.Stdin = strings.NewReader("echo answer-$((6*7)); grep CapAmb /proc/self/status; exit 3\n")
			cmd.Run()
			res := result()
			if res.code != 3 || !strings.Contains(res.stdout, "answer-42") {
				t.Errorf("exit %d, stdout %q, stderr %q; want 3 and answer-42", res.code, res.stdout, res.stderr)
			}
			if !strings.Contains(res.stdout, "CapAmb:\t0000000000000000") {
				t.Errorf("stdout %q: want no ambient capability", res.stdout)
			}
			for _, name := range []string{"CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"} {
				if !strings.Contains(res.stderr, "can't raise ambient capability "+name) {
					t.Errorf("stderr %q: want a warning about the ambient %s", res.stderr, name)
				}
			}
			checkNoCgroup(t, id)
		})
	}
}

// TestList checks list's table, JSON and quiet forms.
func TestList(t *testing.T) {
	e := newOCIEnv(t)
	bundle := e.bundle([]string{"sleep", "1000"}, nil)
	created, running := e.id("created"), e.id("running")
	e.ok("create", "--bundle", bundle, created)
	e.ok("run", "--detach", "--bundle", bundle, running)
	want := []string{created, running}
	slices.Sort(want)

	res := e.ok("list", "-q")
	if got := lines(res.stdout); !slices.Equal(got, want) {
		t.Errorf("list -q: %q, want %q", got, want)
	}
	res = e.ok("list", "--format", "json")
	var states []containerState
	if err := json.Unmarshal([]byte(res.stdout), &states); err != nil || len(states) != 2 {
		t.Fatalf("list json %q: %v", res.stdout, err)
	}
	// The keys in runc's order, which scripts match as text.
	keys := regexp.MustCompile(`"([a-zA-Z]+)":`).FindAllStringSubmatch(strings.SplitN(res.stdout, "},", 2)[0], -1)
	var order []string
	for _, k := range keys {
		order = append(order, k[1])
	}
	if wantOrder := []string{"ociVersion", "id", "pid", "status", "bundle", "rootfs", "created", "owner"}; !slices.Equal(order, wantOrder) {
		t.Errorf("list json keys %q, want %q", order, wantOrder)
	}
	for _, st := range states {
		wantStatus := map[string]specs.ContainerState{created: specs.StateCreated, running: specs.StateRunning}[st.ID]
		if st.Status != wantStatus || st.Pid <= 0 || st.Bundle != bundle || st.Owner != "root" {
			t.Errorf("list json entry %+v: want %s, a pid, bundle %s, owner root", st, wantStatus, bundle)
		}
	}
	res = e.ok("list")
	rows := lines(res.stdout)
	if len(rows) != 3 || !slices.Equal(strings.Fields(rows[0]), []string{"ID", "PID", "STATUS", "BUNDLE", "CREATED", "OWNER"}) {
		t.Fatalf("list table %q", res.stdout)
	}
	for i, id := range want {
		f := strings.Fields(rows[i+1])
		if len(f) != 6 || f[0] != id || f[3] != bundle || f[5] != "root" {
			t.Errorf("list row %q: want %s with its bundle and owner", rows[i+1], id)
		}
	}
	if res := (&ociEnv{t: t, root: t.TempDir()}).ct("list", "--format", "json"); res.code != 0 || strings.TrimSpace(res.stdout) != "[]" {
		t.Errorf("list of no containers: exit %d, %q", res.code, res.stdout)
	}
}

// TestSpecFeatures checks spec (a valid config.json, never overwritten)
// and features (valid JSON).
func TestSpecFeatures(t *testing.T) {
	e := newOCIEnv(t)
	dir := t.TempDir()
	e.ok("spec", "--bundle", dir)
	if _, err := oci.LoadSpec(dir); err != nil {
		t.Errorf("spec wrote a config.json that does not load: %v", err)
	}
	before, _ := os.ReadFile(filepath.Join(dir, "config.json"))
	res := e.ct("spec", "-b", dir)
	if res.code != 1 {
		t.Errorf("spec over an existing config.json: exit %d", res.code)
	}
	checkOneLine(t, res.stderr, []string{filepath.Join(dir, "config.json"), "exists"})
	if after, _ := os.ReadFile(filepath.Join(dir, "config.json")); !bytes.Equal(before, after) {
		t.Errorf("spec changed an existing config.json")
	}
	rootless := t.TempDir()
	e.ok("spec", "--rootless", "--bundle", rootless)
	s, err := oci.LoadSpec(rootless)
	if err != nil || s.Linux == nil || len(s.Linux.UIDMappings) == 0 {
		t.Errorf("spec --rootless: %v; want uid mappings", err)
	}

	res = e.ok("features")
	var features map[string]any
	if err := json.Unmarshal([]byte(res.stdout), &features); err != nil || features["ociVersionMax"] == nil {
		t.Errorf("features %q: %v", res.stdout, err)
	}
}

// TestGlobalFlags checks --version, --log with both formats, and the
// refusal of --systemd-cgroup.
func TestGlobalFlags(t *testing.T) {
	e := newOCIEnv(t)
	for _, flag := range []string{"--version", "-v"} {
		res := e.ok(flag)
		if !strings.HasPrefix(res.stdout, "ct version ") || !strings.HasSuffix(res.stdout, "\nspec: "+specs.Version+"\n") {
			t.Errorf("%s: %q", flag, res.stdout)
		}
	}
	for _, format := range []string{"json", "text"} {
		t.Run("log "+format, func(t *testing.T) {
			e := e.sub(t)
			logFile := filepath.Join(t.TempDir(), "log")
			res := e.ct("--log", logFile, "--log-format", format, "state", "nope")
			if res.code != 1 {
				t.Errorf("exit %d, want 1", res.code)
			}
			checkOneLine(t, res.stderr, []string{`ct: state: container "nope" does not exist`})
			data, err := os.ReadFile(logFile)
			if err != nil {
				t.Fatal(err)
			}
			if format == "text" {
				if !strings.Contains(string(data), "level=error") || !strings.Contains(string(data), "does not exist") {
					t.Errorf("log %q", data)
				}
				return
			}
			var entry struct{ Level, Msg, Time string }
			if err := json.Unmarshal(data, &entry); err != nil || entry.Level != "error" ||
				!strings.Contains(entry.Msg, `container "nope" does not exist`) || entry.Time == "" {
				t.Errorf("log %q (%v): want one JSON error entry", data, err)
			}
		})
	}
	res := e.ct("--systemd-cgroup", "create", "--bundle", e.bundle([]string{"true"}, nil), e.id("systemd"))
	if res.code != 1 {
		t.Errorf("--systemd-cgroup: exit %d", res.code)
	}
	checkOneLine(t, res.stderr, []string{"--systemd-cgroup", "systemd cgroup driver"})
	checkRootEmpty(t, e.root)
}

// TestBadInput checks that every bad input makes create fail with one
// line naming the file and the field, and leave nothing behind.
func TestBadInput(t *testing.T) {
	e := newOCIEnv(t)
	good := []string{"sleep", "1000"}
	for _, tc := range []struct {
		name   string
		bundle func() string
		want   func(bundle string) []string
	}{
		{"malformed config.json", func() string {
			dir := t.TempDir()
			os.WriteFile(filepath.Join(dir, "config.json"), []byte("{\n  \"ociVersion\": \"1.0.0\",\n  \"process\": {\n"), 0o644)
			return dir
		}, func(b string) []string { return []string{filepath.Join(b, "config.json"), "line"} }},
		{"wrong type", func() string {
			dir := t.TempDir()
			os.WriteFile(filepath.Join(dir, "config.json"), []byte(`{"ociVersion": "1.0.0", "process": {"user": {"uid": "root"}}}`), 0o644)
			return dir
		}, func(b string) []string { return []string{filepath.Join(b, "config.json"), "process.user.uid"} }},
		{"unknown namespace type", func() string {
			return e.bundle(good, func(s *specs.Spec) {
				s.Linux.Namespaces = append(s.Linux.Namespaces, specs.LinuxNamespace{Type: "bogus"})
			})
		}, func(b string) []string {
			return []string{filepath.Join(b, "config.json"), "linux.namespaces[", "bogus"}
		}},
		{"missing rootfs", func() string {
			return e.bundle(good, func(s *specs.Spec) { s.Root.Path = "/nonexistent-rootfs" })
		}, func(b string) []string {
			return []string{filepath.Join(b, "config.json"), "root.path", "/nonexistent-rootfs"}
		}},
		{"missing bundle", func() string { return "/nonexistent-bundle" },
			func(b string) []string { return []string{"/nonexistent-bundle", "bundle"} }},
		{"missing config.json", func() string { return t.TempDir() },
			func(b string) []string { return []string{filepath.Join(b, "config.json"), "no such file"} }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := e.sub(t)
			bundle := tc.bundle()
			id := e.id("bad")
			res := e.ct("create", "--bundle", bundle, id)
			if res.code != 1 || res.stdout != "" {
				t.Errorf("exit %d, stdout %q; want 1, none", res.code, res.stdout)
			}
			checkOneLine(t, res.stderr, append([]string{"ct: create: "}, tc.want(bundle)...))
			checkRootEmpty(t, e.root)
			checkNoCgroup(t, id)
		})
	}
	t.Run("unknown capability", func(t *testing.T) {
		// Not an error: runtime-spec 1.1 and later say a capability that
		// cannot be mapped to the kernel or granted "MUST be logged as a
		// warning" and the runtime "SHOULD NOT fail".
		e := e.sub(t)
		bundle := e.bundle(good, func(s *specs.Spec) {
			s.Process.Capabilities.Bounding = append(s.Process.Capabilities.Bounding, "CAP_BOGUS")
		})
		id := e.id("unknown-cap")
		res := e.ct("create", "--bundle", bundle, id)
		if res.code != 0 {
			t.Fatalf("exit %d: %s", res.code, res.stderr)
		}
		checkOneLine(t, res.stderr, []string{"level=warning", filepath.Join(bundle, "config.json"),
			"process.capabilities.bounding[", "CAP_BOGUS", "unknown capability, ignored"})
		e.checkState(id, specs.StateCreated)
		e.ok("delete", "--force", id)
		checkRootEmpty(t, e.root)
		checkNoCgroup(t, id)
	})
	t.Run("duplicate id", func(t *testing.T) {
		e := e.sub(t)
		bundle := e.bundle(good, nil)
		id := e.id("dup")
		e.ok("create", "--bundle", bundle, id)
		st := e.checkState(id, specs.StateCreated)
		res := e.ct("create", "--bundle", bundle, id)
		if res.code != 1 {
			t.Errorf("second create: exit %d", res.code)
		}
		checkOneLine(t, res.stderr, []string{"ct: create: ", id, "already exists"})
		// The first is untouched.
		if again := e.checkState(id, specs.StateCreated); again.Pid != st.Pid {
			t.Errorf("the first container's pid changed: %d, then %d", st.Pid, again.Pid)
		}
		e.ok("delete", "--force", id)
		checkRootEmpty(t, e.root)
		checkNoCgroup(t, id)
	})
	t.Run("failure inside the init", func(t *testing.T) {
		e := e.sub(t)
		// The init fails making the mount, after the cgroup and the
		// state directory were made.
		bundle := e.bundle(good, func(s *specs.Spec) {
			s.Mounts = append(s.Mounts, specs.Mount{Destination: "/mnt", Type: "bind", Source: "/nonexistent-src", Options: []string{"bind"}})
		})
		id := e.id("init-fails")
		res := e.ct("create", "--bundle", bundle, id)
		if res.code != 1 {
			t.Errorf("exit %d, want 1", res.code)
		}
		checkOneLine(t, res.stderr, []string{"ct: create: ", filepath.Join(bundle, "config.json"), "mounts[", "/nonexistent-src"})
		checkRootEmpty(t, e.root)
		checkNoCgroup(t, id)
	})
}

// TestOCIUsage checks usage errors: exit 2, before any container is made.
func TestOCIUsage(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		want []string
	}{
		{"create without ID", []string{"create"}, []string{"missing container ID"}},
		{"create with two IDs", []string{"create", "a", "b"}, []string{"one container ID"}},
		{"kill without ID", []string{"kill"}, []string{"CONTAINER_ID [SIGNAL]"}},
		{"exec without command", []string{"exec", "x"}, []string{"missing the command"}},
		{"unknown flag", []string{"delete", "--bogus", "x"}, []string{"-bogus"}},
		{"bad ps format", []string{"ps", "--format", "yaml", "x"}, []string{"yaml"}},
		{"bad log format", []string{"--log-format", "xml", "list"}, []string{"xml"}},
		{"update without limits", []string{"update", "x"}, []string{"nothing to update"}},
		{"bad memory size", []string{"update", "--memory", "lots", "x"}, []string{"lots"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root := filepath.Join(t.TempDir(), "root")
			var stderr bytes.Buffer
			code := ct(append([]string{"--root", root}, tc.args...), &stderr)
			if code != exitUsage {
				t.Errorf("exit %d, want %d; stderr %q", code, exitUsage, stderr.String())
			}
			for _, w := range tc.want {
				if !strings.Contains(stderr.String(), w) {
					t.Errorf("stderr %q does not name %q", stderr.String(), w)
				}
			}
			checkRootEmpty(t, root)
		})
	}
}

// fdReceiver listens on a unix socket named name, as an engine does with
// --console-socket or --pidfd-socket, and returns its path and the one
// descriptor the first connection sends.
func fdReceiver(t *testing.T, name string) (path string, fd <-chan int) {
	t.Helper()
	path = filepath.Join(t.TempDir(), name)
	l, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	ch := make(chan int, 1)
	go func() {
		defer close(ch)
		conn, err := l.AcceptUnix()
		if err != nil {
			return
		}
		defer conn.Close()
		buf, oob := make([]byte, 256), make([]byte, unix.CmsgSpace(4))
		_, oobn, _, _, err := conn.ReadMsgUnix(buf, oob)
		if err != nil {
			return
		}
		msgs, err := unix.ParseSocketControlMessage(oob[:oobn])
		if err != nil || len(msgs) != 1 {
			return
		}
		fds, err := unix.ParseUnixRights(&msgs[0])
		if err != nil || len(fds) != 1 {
			return
		}
		ch <- fds[0]
	}()
	return path, ch
}

// consoleReceiver listens on a unix socket for the master of a terminal,
// as an engine does with --console-socket.
func consoleReceiver(t *testing.T) (path string, master <-chan *os.File) {
	t.Helper()
	path, fd := fdReceiver(t, "console.sock")
	ch := make(chan *os.File, 1)
	go func() {
		defer close(ch)
		if n, ok := <-fd; ok {
			ch <- os.NewFile(uintptr(n), "console-master")
		}
	}()
	return path, ch
}

// readUntil reads from f until want shows up or time runs out.
func readUntil(t *testing.T, f *os.File, want string) string {
	t.Helper()
	var got []byte
	buf := make([]byte, 1024)
	f.SetReadDeadline(time.Now().Add(10 * time.Second))
	for !strings.Contains(string(got), want) {
		n, err := f.Read(buf)
		got = append(got, buf[:n]...)
		if err != nil {
			t.Fatalf("read %q from the terminal, want %q: %v", got, want, err)
		}
	}
	return string(got)
}

// TestConsoleSocket checks that create and exec hand the master of the
// process's terminal to --console-socket, as containerd and podman use it.
func TestConsoleSocket(t *testing.T) {
	e := newOCIEnv(t)
	bundle := e.bundle([]string{"sh", "-c", "read line; echo got $line; sleep 1000"}, func(s *specs.Spec) {
		s.Process.Terminal = true
	})
	id := e.id("console")
	sock, masters := consoleReceiver(t)
	e.ok("create", "--console-socket", sock, "--bundle", bundle, id)
	master := <-masters
	if master == nil {
		t.Fatal("no terminal master came over the console socket")
	}
	defer master.Close()
	e.ok("start", id)
	if _, err := master.Write([]byte("typed\n")); err != nil {
		t.Fatal(err)
	}
	readUntil(t, master, "got typed")

	// A terminal without a socket to send it to is refused.
	res := e.ct("create", "--bundle", bundle, e.id("no-socket"))
	if res.code != 1 {
		t.Errorf("create of a terminal container without --console-socket: exit %d", res.code)
	}
	checkOneLine(t, res.stderr, []string{"process.terminal", "--console-socket"})

	testutil.RequireEnterStage(t) // the rest is ct exec, which joins the container's mount namespace
	sock, masters = consoleReceiver(t)
	pidFile := filepath.Join(t.TempDir(), "exec.pid")
	e.ok("exec", "--tty", "--detach", "--console-socket", sock, "--pid-file", pidFile, id, "sh", "-c", "test -t 0 && test -t 1 && echo isatty; echo exec done")
	execMaster := <-masters
	if execMaster == nil {
		t.Fatal("no terminal master for exec came over the console socket")
	}
	defer execMaster.Close()
	out := readUntil(t, execMaster, "exec done")
	if !strings.Contains(out, "isatty") {
		t.Errorf("exec's terminal printed %q: its stdin and stdout are not a terminal", out)
	}
	if readPid(t, pidFile) <= 0 {
		t.Error("no exec pid")
	}
}

// TestEvents checks the event stream: stats every --interval, an oom
// event when the OOM killer strikes, and the end of the stream once the
// container stopped.
func TestEvents(t *testing.T) {
	e := newOCIEnv(t)
	// The shell doubles a string until the OOM killer ends it.
	bundle := e.bundle([]string{"sh", "-c", "sleep 0.5; x=0123456789abcdef; while :; do x=$x$x; done"}, func(s *specs.Spec) {
		limit := int64(32 << 20)
		if s.Linux.Resources == nil {
			s.Linux.Resources = &specs.LinuxResources{}
		}
		s.Linux.Resources.Memory = &specs.LinuxMemory{Limit: &limit, Swap: &limit}
	})
	id := e.id("events")
	e.ok("create", "--bundle", bundle, id)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd, result := e.command(ctx, "events", "--interval", "100ms", id)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	e.ok("start", id)
	err := cmd.Wait()
	res := result()
	if err != nil {
		t.Fatalf("events: %v, stderr %q", err, res.stderr)
	}
	var stats, ooms int
	for _, line := range lines(res.stdout) {
		var ev struct {
			Type string
			ID   string
			Data *eventStats
		}
		if err := json.Unmarshal([]byte(line), &ev); err != nil || ev.ID != id {
			t.Fatalf("event %q (%v): want JSON of %s", line, err, id)
		}
		switch ev.Type {
		case "stats":
			stats++
			if ev.Data == nil || ev.Data.Memory.Usage.Limit != 32<<20 {
				t.Errorf("stats event %q: want the 32M limit", line)
			}
		case "oom":
			ooms++
		default:
			t.Errorf("event %q of unknown type", line)
		}
	}
	if stats < 2 || ooms != 1 {
		t.Errorf("events %q: want stats events and one oom event", res.stdout)
	}
	e.checkState(id, specs.StateStopped)
}

// TestStartAfterInitDeath: `ct start` of a container whose init was
// killed while it waited fails and says so, rather than exiting 0 for a
// program that never ran; `ct create` of a container whose init dies
// before it is created fails with the signal; delete removes both.
func TestStartAfterInitDeath(t *testing.T) {
	e := newOCIEnv(t)
	id := e.id("killed")
	e.ok("create", "--bundle", e.bundle([]string{"echo", "ran"}, nil), id)
	st := e.checkState(id, specs.StateCreated)
	if err := syscall.Kill(st.Pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	// Once the init's parent reaped it the container is stopped; before,
	// start finds the init dead.
	if res := e.ct("start", id); res.code == 0 || !strings.Contains(res.stderr, "before start") &&
		!strings.Contains(res.stderr, "SIGKILL") && !strings.Contains(res.stderr, "is stopped") {
		t.Errorf("start after the init's death: exit %d, stderr %q; want a failure that says the init died", res.code, res.stderr)
	}
	e.ok("delete", "--force", id)

	id = e.id("killed-in-create")
	bundle := e.bundle([]string{"echo", "ran"}, func(s *specs.Spec) {
		s.Hooks = &specs.Hooks{CreateRuntime: []specs.Hook{{Path: "/bin/sh", Args: []string{"sh", "-c",
			`kill -9 $(sed -n 's/.*"pid":\([0-9]*\).*/\1/p')`}}}}
	})
	if res := e.ct("create", "--bundle", bundle, id); res.code == 0 || !strings.Contains(res.stderr, "killed by SIGKILL") {
		t.Errorf("create whose init is killed: exit %d, stderr %q; want a failure naming SIGKILL", res.code, res.stderr)
	}
	if res := e.ct("state", id); res.code == 0 {
		t.Errorf("state after the failed create: exit 0, %s", res.stdout)
	}
}
