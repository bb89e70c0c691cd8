package main

// Tests of ct exec's runc flags and of the process attributes every
// start sets: sub-cgroups, paused containers, pidfds over a socket, the
// container's personality, the exit status of a failed exec and the cpu
// affinity a process starts with.

import (
	"context"
	"maps"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/libct/libct/internal/sysfile"
	"github.com/libct/libct/internal/testutil"
)

func TestParseSubCgroups(t *testing.T) {
	tests := []struct {
		name    string
		values  []string
		want    map[string]string
		wantErr string
	}{
		{name: "none", values: nil, want: nil},
		{name: "every hierarchy", values: []string{"sub"}, want: map[string]string{"": "sub"}},
		{
			name:   "controllers",
			values: []string{"memory:submem", "cpu,cpuacct:subcpu"},
			want:   map[string]string{"memory": "submem", "cpu": "subcpu", "cpuacct": "subcpu"},
		},
		{name: "both forms", values: []string{"a", "pids:b"}, want: map[string]string{"": "a", "pids": "b"}},
		{name: "a path keeps its colons", values: []string{"memory:a:b"}, want: map[string]string{"memory": "a:b"}},
		{name: "two bare paths", values: []string{"a", "b"}, wantErr: "a path for every controller was given already"},
		{name: "a controller twice", values: []string{"cpu:a", "cpu,memory:b"}, wantErr: `controller "cpu" was given a path already`},
		{name: "empty controller", values: []string{"cpu,:a"}, wantErr: "empty controller name"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseSubCgroups(tc.values)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("got %v, %v; want an error with %q", got, err, tc.wantErr)
				}
				return
			}
			if err != nil || !maps.Equal(got, tc.want) {
				t.Fatalf("got %v, %v; want %v", got, err, tc.want)
			}
		})
	}
}

// pidfdReceiver listens on a unix socket as runc's pidfd-kill does and
// returns the path and the pidfd that comes over it.
func pidfdReceiver(t *testing.T) (string, <-chan int) {
	t.Helper()
	return fdReceiver(t, "pidfd.sock")
}

// receivePidfd waits for the pidfd and checks that it is one of pid.
func receivePidfd(t *testing.T, pidfds <-chan int, pid int) int {
	t.Helper()
	fd, ok := <-pidfds
	if !ok {
		t.Fatal("no pidfd came over the socket")
	}
	t.Cleanup(func() { unix.Close(fd) })
	info, err := sysfile.ReadPseudo("/proc/self/fdinfo/" + strconv.Itoa(fd))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(info), "\nPid:\t"+strconv.Itoa(pid)+"\n") {
		t.Fatalf("the pidfd is not one of pid %d:\n%s", pid, info)
	}
	return fd
}

// waitGone waits until pid is dead.
func waitGone(t *testing.T, pid int) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); alive(pid); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("pid %d still alive", pid)
		}
	}
}

func TestPidfdSocket(t *testing.T) {
	e := newOCIEnv(t)
	bundle := e.bundle([]string{"sleep", "1000"}, nil)
	tests := []struct {
		name string
		// start starts a process with --pidfd-socket sock and returns its
		// pid.
		start func(e *ociEnv, sock string) int
	}{
		{"create", func(e *ociEnv, sock string) int {
			id := e.id("pidfd-create")
			e.ok("create", "--pidfd-socket", sock, "--bundle", bundle, id)
			return e.checkState(id, specs.StateCreated).Pid
		}},
		{"run", func(e *ociEnv, sock string) int {
			id := e.id("pidfd-run")
			e.ok("run", "--detach", "--pidfd-socket", sock, "--bundle", bundle, id)
			return e.checkState(id, specs.StateRunning).Pid
		}},
		{"exec", func(e *ociEnv, sock string) int {
			testutil.RequireEnterStage(e.t)
			id := e.id("pidfd-exec")
			e.ok("run", "--detach", "--bundle", bundle, id)
			pidFile := filepath.Join(e.t.TempDir(), "exec.pid")
			e.ok("exec", "--detach", "--pid-file", pidFile, "--pidfd-socket", sock, id, "sleep", "1000")
			return readPid(e.t, pidFile)
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := e.sub(t)
			sock, pidfds := pidfdReceiver(t)
			pid := tc.start(e, sock)
			fd := receivePidfd(t, pidfds, pid)
			if err := unix.PidfdSendSignal(fd, unix.SIGKILL, nil, 0); err != nil {
				t.Fatalf("pidfd_send_signal: %v", err)
			}
			waitGone(t, pid)
		})
	}
	t.Run("no listener", func(t *testing.T) {
		e := e.sub(t)
		id := e.id("pidfd-nobody")
		res := e.ct("run", "--detach", "--pidfd-socket", filepath.Join(t.TempDir(), "none.sock"), "--bundle", bundle, id)
		if res.code != 1 {
			t.Errorf("run with a socket nobody listens on: exit %d", res.code)
		}
		checkOneLine(t, res.stderr, []string{"--pidfd-socket", "none.sock"})
		if _, err := os.Stat(filepath.Join(e.root, id)); !os.IsNotExist(err) {
			t.Errorf("container %s left behind: %v", id, err)
		}
	})
}

// memoryCgroupDir is the directory of container id's cgroup that holds
// the memory controller.
func memoryCgroupDir(id string) string {
	if dir := "/sys/fs/cgroup/memory/libct/" + id; dirExists(dir) {
		return dir
	}
	return "/sys/fs/cgroup/libct/" + id
}

func dirExists(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.IsDir()
}

func TestExecFlags(t *testing.T) {
	testutil.RequireEnterStage(t)
	e := newOCIEnv(t)
	bundle := e.bundle([]string{"sleep", "1000"}, func(s *specs.Spec) {
		s.Linux.Personality = &specs.LinuxPersonality{Domain: specs.PerLinux32}
	})
	id := e.id("exec-flags")
	e.ok("run", "--detach", "--bundle", bundle, id)
	memDir := memoryCgroupDir(id)
	if err := os.Mkdir(filepath.Join(memDir, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		args    []string
		code    int
		stdout  string
		stderr  []string
		noLines bool
	}{
		{name: "the container's personality", args: []string{id, "uname", "-m"}, stdout: "i686\n"},
		{name: "the program's status", args: []string{id, "sh", "-c", "exit 42"}, code: 42},
		{name: "a missing program", args: []string{id, "no-such-program"}, code: exitExecFailed, stderr: []string{"no-such-program"}},
		{name: "a missing container", args: []string{"no-such-container", "true"}, code: exitExecFailed, stderr: []string{"does not exist"}},
		{
			name: "a pid file that cannot be written", args: []string{"--pid-file", "/no-such-dir/pid", id, "true"},
			code: exitExecFailed, stderr: []string{"--pid-file"},
		},
		{
			name: "a sub-cgroup", args: []string{"--cgroup", "memory:sub", id, "grep", "memory", "/proc/self/cgroup"},
			stdout: "/libct/" + id + "/sub\n",
		},
		{
			name: "the container's cgroup", args: []string{"--cgroup", "/", id, "grep", "memory", "/proc/self/cgroup"},
			stdout: "/libct/" + id + "\n",
		},
		{
			name: "a parent cgroup", args: []string{"--cgroup", "..", id, "true"},
			code: exitExecFailed, stderr: []string{".. is not a sub cgroup path"},
		},
		{
			name: "a missing sub-cgroup", args: []string{"--cgroup", "memory:none", id, "true"},
			code: exitExecFailed, stderr: []string{"adding pid", "/none/cgroup.procs: no such file"},
		},
		{
			name: "an unknown controller", args: []string{"--cgroup", "whaaat:/", id, "true"},
			code: exitExecFailed, stderr: []string{"unknown controller"},
		},
		{
			name: "a controller twice", args: []string{"--cgroup", "memory:a", "--cgroup", "memory:b", id, "true"},
			code: exitUsage, stderr: []string{"--cgroup"}, noLines: true,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := e.sub(t).ct(append([]string{"exec"}, tc.args...)...)
			if res.code != tc.code {
				t.Fatalf("exit %d, want %d; stderr %q", res.code, tc.code, res.stderr)
			}
			if tc.stdout != "" && !strings.HasSuffix(res.stdout, tc.stdout) {
				t.Errorf("stdout %q, want it to end in %q", res.stdout, tc.stdout)
			}
			if len(tc.stderr) > 0 && !tc.noLines {
				checkOneLine(t, res.stderr, tc.stderr)
			}
			for _, want := range tc.stderr {
				if !strings.Contains(res.stderr, want) {
					t.Errorf("stderr %q lacks %q", res.stderr, want)
				}
			}
		})
	}
}

func TestExecPaused(t *testing.T) {
	testutil.RequireEnterStage(t)
	e := newOCIEnv(t)
	id := e.id("exec-paused")
	e.ok("run", "--detach", "--bundle", e.bundle([]string{"sleep", "1000"}, nil), id)
	e.ok("pause", id)

	res := e.ct("exec", id, "echo", "ok")
	if res.code != exitExecFailed {
		t.Errorf("exec into a paused container: exit %d, want %d", res.code, exitExecFailed)
	}
	checkOneLine(t, res.stderr, []string{"cannot exec in a paused container", "--ignore-paused"})

	// With --ignore-paused the process starts frozen, and runs once the
	// container resumes.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd, result := e.command(ctx, "exec", "--ignore-paused", id, "echo", "ok")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		t.Fatalf("exec --ignore-paused ended while the container is paused: %v, %+v", err, result())
	case <-time.After(500 * time.Millisecond):
	}
	e.ok("resume", id)
	<-done
	if res := result(); res.code != 0 || res.stdout != "ok\n" {
		t.Errorf("exec --ignore-paused: %+v", res)
	}
}

// TestStartAffinity: a process starts on every cpu of its cgroup, not
// on the cpus ct was pinned to (as by taskset).
func TestStartAffinity(t *testing.T) {
	online, err := sysfile.ReadPseudo("/sys/devices/system/cpu/online")
	if err != nil {
		t.Fatal(err)
	}
	var all unix.CPUSet
	if err := unix.SchedGetaffinity(0, &all); err != nil {
		t.Fatal(err)
	}
	if all.Count() < 2 {
		t.Skip("needs two cpus")
	}
	wantList := "Cpus_allowed_list:\t" + strings.TrimSpace(string(online)) + "\n"
	e := newOCIEnv(t)
	grep := []string{"grep", "Cpus_allowed_list", "/proc/self/status"}

	// pinned runs ct from a thread of its own pinned to one cpu, which
	// ct and its children inherit.
	pinned := func(t *testing.T, args ...string) ctResult {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		var one unix.CPUSet
		one.Set(0)
		if err := unix.SchedSetaffinity(0, &one); err != nil {
			t.Fatal(err)
		}
		defer unix.SchedSetaffinity(0, &all)
		return e.sub(t).ct(args...)
	}
	tests := []struct {
		name string
		args func(t *testing.T) []string
	}{
		{"run", func(t *testing.T) []string {
			return []string{"run", "--bundle", e.bundle(grep, nil), e.id("affinity-run")}
		}},
		{"exec", func(t *testing.T) []string {
			testutil.RequireEnterStage(t)
			id := e.id("affinity-exec")
			e.sub(t).ok("run", "--detach", "--bundle", e.bundle([]string{"sleep", "1000"}, nil), id)
			return append([]string{"exec", id}, grep...)
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := pinned(t, tc.args(t)...)
			if res.code != 0 || res.stdout != wantList {
				t.Errorf("%+v, want stdout %q", res, wantList)
			}
		})
	}
}
