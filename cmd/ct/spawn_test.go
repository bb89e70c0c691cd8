package main

// Tests of `ct spawn`. They run ct as a separate process (this test
// binary, turned into ct by TestMain) so that what the container prints on
// ct's standard output and error can be read, and its exit code seen as a
// shell sees it. The usage errors, which start no container, call ct
// directly.

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/libct/libct/internal/testutil"
)

// ctTerm is the TERM the tests give ct, which passes it on when no --env
// is given.
const ctTerm = "TERM=ct-test"

// defaultPath is the PATH ct gives a container when no --env is given.
const defaultPath = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

type ctResult struct {
	code           int
	stdout, stderr string
}

// ctCommand prepares a run of ct with args after "--root root".
func ctCommand(t *testing.T, ctx context.Context, root string, args ...string) *exec.Cmd {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.CommandContext(ctx, self, append([]string{"--root", root}, args...)...)
	cmd.Env = append(os.Environ(), runAsCT+"=1", ctTerm)
	cmd.WaitDelay = 5 * time.Second
	return cmd
}

// runCT runs ct with a fresh --root, args after it, and returns its exit
// code and what it printed. It checks that nothing is left in the root.
func runCT(t *testing.T, args ...string) ctResult {
	t.Helper()
	root := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := ctCommand(t, ctx, root, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	res := ctResult{stdout: stdout.String(), stderr: stderr.String()}
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee) && ee.Exited():
		res.code = ee.ExitCode()
	default:
		t.Fatalf("ct %q: %v (ctx: %v); stdout %q stderr %q", args, err, ctx.Err(), res.stdout, res.stderr)
	}
	checkRootEmpty(t, root)
	return res
}

// checkRootEmpty asserts that ct left nothing in its state root: no
// container directory, no temporary one, nothing of libct's own.
func checkRootEmpty(t *testing.T, root string) {
	t.Helper()
	entries, err := os.ReadDir(root)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if len(names) > 0 {
		t.Errorf("ct left %v in its --root %s", names, root)
	}
}

// busyboxRootfs is a busybox root with an empty /data.
func busyboxRootfs(t *testing.T) string {
	t.Helper()
	r := testutil.BusyboxRootfs(t)
	if err := os.Mkdir(filepath.Join(r, "data"), 0o755); err != nil {
		t.Fatal(err)
	}
	return r
}

func lines(s string) []string {
	s = strings.TrimSuffix(s, "\n")
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

// TestSpawnNamespaces runs the example and checks, from inside,
// that the container has exactly the namespaces --ns names.
func TestSpawnNamespaces(t *testing.T) {
	testutil.RequireRoot(t)
	rootfs := busyboxRootfs(t)
	t.Run("example", func(t *testing.T) {
		res := runCT(t, "spawn", "--rootfs", rootfs, "--hostname", "h", "--ns", "mnt,pid,uts,ipc,net",
			"--", "/bin/sh", "-c", "hostname; echo $$")
		if res.code != 0 || res.stdout != "h\n1\n" || res.stderr != "" {
			t.Errorf("exit %d, stdout %q, stderr %q; want 0, \"h\\n1\\n\", \"\"", res.code, res.stdout, res.stderr)
		}
	})
	kinds := []string{"mnt", "pid", "uts", "ipc", "net", "cgroup", "user"}
	host := map[string]string{}
	for _, k := range kinds {
		link, err := os.Readlink("/proc/self/ns/" + k)
		if err != nil {
			t.Fatal(err)
		}
		host[k] = link
	}
	for _, tc := range []struct {
		ns  string
		own []string // the namespaces the container must not share with the host
	}{
		{"mnt,pid,uts,ipc,net", []string{"mnt", "pid", "uts", "ipc", "net"}},
		{"mount,pid,network", []string{"mnt", "pid", "net"}},
		{"mnt,pid", []string{"mnt", "pid"}},
		{"mnt,pid,cgroup", []string{"mnt", "pid", "cgroup"}},
	} {
		t.Run(tc.ns, func(t *testing.T) {
			res := runCT(t, "spawn", "--rootfs", rootfs, "--ns", tc.ns,
				"--", "/bin/sh", "-c", "for n in "+strings.Join(kinds, " ")+"; do echo $n $(readlink /proc/self/ns/$n); done")
			if res.code != 0 || res.stderr != "" {
				t.Fatalf("exit %d, stderr %q", res.code, res.stderr)
			}
			got := lines(res.stdout)
			if len(got) != len(kinds) {
				t.Fatalf("output %q: want one line per namespace", res.stdout)
			}
			for _, line := range got {
				kind, link, _ := strings.Cut(line, " ")
				shared := link == host[kind]
				if want := !slices.Contains(tc.own, kind); shared != want {
					t.Errorf("%s namespace %s (host %s): shared with the host %t, want %t", kind, link, host[kind], shared, want)
				}
			}
		})
	}
}

// TestSpawnExitStatus checks that ct exits with the container's status,
// 128+signal when the container was killed.
func TestSpawnExitStatus(t *testing.T) {
	testutil.RequireRoot(t)
	rootfs := busyboxRootfs(t)
	for _, tc := range []struct {
		name   string
		ns     string
		script string
		code   int
		stdout string
	}{
		{"exit 0", "mnt,pid", "exit 0", 0, ""},
		{"exit 3", "mnt,pid", "exit 3", 3, ""},
		{"exit 255", "mnt,pid", "exit 255", 255, ""},
		// Without a pid namespace the shell is an ordinary process and
		// its signal to itself kills it.
		{"SIGKILL", "mnt,uts", "kill -9 $$", 128 + 9, ""},
		{"SIGTERM", "mnt,uts", "kill -TERM $$", 128 + 15, ""},
		{"SIGSEGV", "mnt,uts", "kill -SEGV $$", 128 + 11, ""},
		// In a pid namespace the shell is its init, which the kernel
		// keeps from signals sent from inside it, SIGKILL included: that
		// is why the cases above have no pid namespace.
		{"pid 1 survives its own SIGKILL", "mnt,pid", "kill -9 $$; echo alive; exit 4", 4, "alive\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := runCT(t, "spawn", "--rootfs", rootfs, "--ns", tc.ns, "--", "/bin/sh", "-c", tc.script)
			if res.code != tc.code || res.stdout != tc.stdout || res.stderr != "" {
				t.Errorf("exit %d, stdout %q, stderr %q; want %d, %q, \"\"", res.code, res.stdout, res.stderr, tc.code, tc.stdout)
			}
		})
	}
}

// TestSpawnForwardsSignals checks that a termination signal sent to ct
// goes to the container, and that ct then exits with 128+signal.
func TestSpawnForwardsSignals(t *testing.T) {
	testutil.RequireRoot(t)
	rootfs := busyboxRootfs(t)
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP} {
		t.Run(sig.String(), func(t *testing.T) {
			root := t.TempDir()
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			// No pid namespace: the init of one ignores signals it has no
			// handler for.
			cmd := ctCommand(t, ctx, root, "spawn", "--rootfs", rootfs, "--ns", "mnt,uts",
				"--", "/bin/sh", "-c", "echo ready; exec sleep 60")
			stdout, err := cmd.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			line, err := bufio.NewReader(stdout).ReadString('\n')
			if line != "ready\n" {
				cmd.Process.Kill()
				cmd.Wait()
				t.Fatalf("container printed %q, %v; stderr %q", line, err, stderr.String())
			}
			if err := cmd.Process.Signal(sig); err != nil {
				t.Fatal(err)
			}
			err = cmd.Wait()
			var ee *exec.ExitError
			if !errors.As(err, &ee) || !ee.Exited() {
				t.Fatalf("ct ended with %v, want exit status %d; stderr %q", err, 128+int(sig), stderr.String())
			}
			if ee.ExitCode() != 128+int(sig) {
				t.Errorf("ct exit status %d, want %d; stderr %q", ee.ExitCode(), 128+int(sig), stderr.String())
			}
			checkRootEmpty(t, root)
		})
	}
}

// TestSpawnBind checks --bind SRC:DST[:ro]: the container sees the host
// directory, writes through a read-write bind and cannot write through a
// read-only one.
func TestSpawnBind(t *testing.T) {
	testutil.RequireRoot(t)
	rootfs := busyboxRootfs(t)
	for _, tc := range []struct {
		name     string
		opt      string
		code     int
		stdout   string
		stderr   string // a substring
		hostFile string // content of out on the host, "" for none
	}{
		{"read-write", "", 0, "from the host\n", "", "written\n"},
		{"read-only", ":ro", 1, "from the host\n", "Read-only file system", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src := t.TempDir()
			if err := os.WriteFile(filepath.Join(src, "in"), []byte("from the host\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			res := runCT(t, "spawn", "--rootfs", rootfs, "--ns", "mnt,pid", "--bind", src+":/data"+tc.opt,
				"--", "/bin/sh", "-c", "cat /data/in && echo written > /data/out")
			if res.code != tc.code || res.stdout != tc.stdout || !strings.Contains(res.stderr, tc.stderr) {
				t.Errorf("exit %d, stdout %q, stderr %q; want %d, %q, stderr with %q", res.code, res.stdout, res.stderr, tc.code, tc.stdout, tc.stderr)
			}
			if tc.stderr == "" && res.stderr != "" {
				t.Errorf("stderr %q, want none", res.stderr)
			}
			data, err := os.ReadFile(filepath.Join(src, "out"))
			switch {
			case tc.hostFile == "" && !errors.Is(err, os.ErrNotExist):
				t.Errorf("the container wrote through a read-only bind: %q, %v", data, err)
			case tc.hostFile != "" && string(data) != tc.hostFile:
				t.Errorf("host file written through the bind: %q, %v; want %q", data, err, tc.hostFile)
			}
			// The bind lives in the container's mount namespace only.
			if entries, _ := os.ReadDir(filepath.Join(rootfs, "data")); len(entries) != 0 {
				t.Errorf("the root's /data on the host holds %d entries, want none", len(entries))
			}
		})
	}
}

// TestSpawnEnv checks the environment ct gives the program: PATH and its
// own TERM by default, with the --env variables added or replacing them.
func TestSpawnEnv(t *testing.T) {
	testutil.RequireRoot(t)
	rootfs := busyboxRootfs(t)
	for _, tc := range []struct {
		name string
		args []string
		want []string // the environment, any order
	}{
		{"default", []string{"/bin/env"}, []string{defaultPath, ctTerm, "HOME=/root"}},
		{"--env", []string{"--env", "K=V", "--env", "SPACED=a b", "--env", "PATH=/bin", "/bin/env"},
			[]string{"K=V", "SPACED=a b", "PATH=/bin", ctTerm, "HOME=/root"}},
		{"--env HOME", []string{"--env", "HOME=/tmp", "--env", "PATH=/bin", "/bin/env"},
			[]string{"HOME=/tmp", "PATH=/bin", ctTerm}},
		{"--env TERM", []string{"--env", "TERM=dumb", "/bin/env"},
			[]string{defaultPath, "TERM=dumb", "HOME=/root"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"spawn", "--rootfs", rootfs, "--ns", "mnt,pid"}, tc.args...)
			res := runCT(t, args...)
			if res.code != 0 || res.stderr != "" {
				t.Fatalf("exit %d, stderr %q", res.code, res.stderr)
			}
			got := lines(res.stdout)
			slices.Sort(got)
			want := slices.Sorted(slices.Values(tc.want))
			if !slices.Equal(got, want) {
				t.Errorf("environment:\n got %q\nwant %q", got, want)
			}
		})
	}
	// A variable given with --env adds to the environment: the program is
	// still found in, and can still use, the default PATH.
	t.Run("--env keeps PATH", func(t *testing.T) {
		res := runCT(t, "spawn", "--rootfs", rootfs, "--ns", "mnt,pid", "--env", "K=V",
			"--", "sh", "-c", `echo "$K"; echo "$PATH"`)
		want := "V\n" + strings.TrimPrefix(defaultPath, "PATH=") + "\n"
		if res.code != 0 || res.stdout != want || res.stderr != "" {
			t.Errorf("exit %d, stdout %q, stderr %q; want 0, %q, \"\"", res.code, res.stdout, res.stderr, want)
		}
	})
}

// TestSpawnCwdUser checks --cwd and --user, and that a bad one makes ct
// fail with one line naming the field.
func TestSpawnCwdUser(t *testing.T) {
	testutil.RequireRoot(t)
	rootfs := busyboxRootfs(t)
	for _, tc := range []struct {
		name   string
		flags  []string
		code   int
		stdout string
		stderr []string // substrings of the one line of stderr; none: empty
	}{
		{"default", nil, 0, "/\n0 0\n", nil},
		{"--cwd", []string{"--cwd", "/tmp"}, 0, "/tmp\n0 0\n", nil},
		{"--user uid:gid", []string{"--user", "1000:1000"}, 0, "/\n1000 1000\n", nil},
		{"--user name", []string{"--user", "nobody"}, 0, "/\n65534 65534\n", nil},
		{"--user and --cwd", []string{"--user", "alice", "--cwd", "/home/alice"}, 0, "/home/alice\n1000 1000\n", nil},
		{"missing --cwd", []string{"--cwd", "/nowhere"}, 125, "", []string{"process.cwd", "/nowhere", "no such file or directory"}},
		{"unknown --user", []string{"--user", "bob"}, 125, "", []string{"process.user", "bob"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"spawn", "--rootfs", rootfs, "--ns", "mnt,pid"}, tc.flags...)
			args = append(args, "--", "/bin/sh", "-c", `cd -P . && echo "$PWD"; echo $(id -u) $(id -g)`)
			res := runCT(t, args...)
			if res.code != tc.code || res.stdout != tc.stdout {
				t.Errorf("exit %d, stdout %q, stderr %q; want %d, %q", res.code, res.stdout, res.stderr, tc.code, tc.stdout)
			}
			checkOneLine(t, res.stderr, tc.stderr)
		})
	}
}

// checkOneLine asserts that stderr is empty when want is, and otherwise a
// single line holding every string of want.
func checkOneLine(t *testing.T, stderr string, want []string) {
	t.Helper()
	if len(want) == 0 {
		if stderr != "" {
			t.Errorf("stderr %q, want none", stderr)
		}
		return
	}
	if strings.Count(stderr, "\n") != 1 || !strings.HasSuffix(stderr, "\n") {
		t.Errorf("stderr %q is not exactly one line", stderr)
	}
	for _, w := range want {
		if !strings.Contains(stderr, w) {
			t.Errorf("stderr %q does not name %q", stderr, w)
		}
	}
}

// TestSpawnPrivate checks --private: the directory is the container's root
// while it runs, with or without a mount namespace, and nothing of it is
// left mounted on the host.
func TestSpawnPrivate(t *testing.T) {
	testutil.RequireRoot(t)
	private := testutil.BusyboxRootfs(t)
	if err := os.WriteFile(filepath.Join(private, "marker"), []byte("private area\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		ns   string
	}{
		{"mount namespace", "mnt,pid"},
		{"host bind", "uts"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rootfs := t.TempDir() // empty: the private area is bound on it
			mounts := testutil.MountCount(t)
			res := runCT(t, "spawn", "--rootfs", rootfs, "--private", private, "--ns", tc.ns,
				"--", "/bin/sh", "-c", "cat /marker; ls /etc/passwd")
			if res.code != 0 || res.stdout != "private area\n/etc/passwd\n" || res.stderr != "" {
				t.Errorf("exit %d, stdout %q, stderr %q", res.code, res.stdout, res.stderr)
			}
			if got := testutil.MountCount(t); got != mounts {
				t.Errorf("%d mounts on the host after ct, %d before", got, mounts)
			}
			if entries, _ := os.ReadDir(rootfs); len(entries) != 0 {
				t.Errorf("--rootfs holds %d entries after ct, want none: the private area is still bound", len(entries))
			}
		})
	}
}

// TestSpawnExecFails checks that a program that cannot be run makes ct
// print one line naming it and the cause, and exit 125.
func TestSpawnExecFails(t *testing.T) {
	testutil.RequireRoot(t)
	rootfs := busyboxRootfs(t)
	for _, tc := range []struct {
		name string
		prog string
		want []string
	}{
		{"missing", "/bin/nope", []string{`"/bin/nope"`, "no such file or directory"}},
		{"missing in PATH", "nope", []string{`"nope"`, "not found"}},
		{"a directory", "/etc", []string{`"/etc"`, "is a directory"}},
		{"not executable", "/etc/passwd", []string{`"/etc/passwd"`, "permission denied"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := runCT(t, "spawn", "--rootfs", rootfs, "--ns", "mnt,pid", "--", tc.prog, "arg")
			if res.code != 125 || res.stdout != "" {
				t.Errorf("exit %d, stdout %q; want 125, none", res.code, res.stdout)
			}
			checkOneLine(t, res.stderr, tc.want)
		})
	}
}

// TestSpawnUsage checks the usage errors: exit 2 and a message naming
// what is wrong, before any container is made. They call ct directly.
func TestSpawnUsage(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		code int
		want []string // substrings of stderr
	}{
		{"unknown --ns", []string{"spawn", "--ns", "mnt,bogus", "--", "/bin/true"}, 2, []string{"--ns", `"bogus"`}},
		{"bad --bind", []string{"spawn", "--bind", "nocolon", "--", "/bin/true"}, 2, []string{"--bind", "nocolon"}},
		{"bad --bind option", []string{"spawn", "--bind", "/a:/b:rw", "--", "/bin/true"}, 2, []string{"--bind", `"rw"`}},
		{"no command", []string{"spawn", "--ns", "mnt"}, 2, []string{"missing command", "usage: ct spawn"}},
		{"unknown flag", []string{"spawn", "--nope", "/bin/true"}, 2, []string{"-nope"}},
		{"unknown command", []string{"bogus"}, 2, []string{`unknown command "bogus"`, "spawn"}},
		{"no command at all", nil, 2, []string{"usage: ct"}},
		{"help", []string{"-h"}, 0, []string{"usage: ct"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root := filepath.Join(t.TempDir(), "root")
			var stderr bytes.Buffer
			code := ct(append([]string{"--root", root}, tc.args...), &stderr)
			if code != tc.code {
				t.Errorf("exit %d, want %d; stderr %q", code, tc.code, stderr.String())
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

// TestTrace: --trace prints each phase of the start on stderr, the init's
// included, and the total; the container's own output is untouched.
func TestTrace(t *testing.T) {
	testutil.RequireRoot(t)
	rootfs := busyboxRootfs(t)
	res := runCT(t, "--trace", "spawn", "--rootfs", rootfs, "--ns", "mnt,pid,uts,ipc", "--", "/bin/echo", "hi")
	if res.code != 0 || res.stdout != "hi\n" {
		t.Fatalf("exit %d, stdout %q, stderr %q", res.code, res.stdout, res.stderr)
	}
	for _, want := range []string{"clone", "init: root file system", "init: credentials and security", "total"} {
		found := false
		for _, line := range lines(res.stderr) {
			if strings.HasPrefix(line, "ct: trace: ") && strings.Contains(line, want) && strings.Contains(line, " ms") {
				found = true
			}
		}
		if !found {
			t.Errorf("no trace line for %q in:\n%s", want, res.stderr)
		}
	}
}
