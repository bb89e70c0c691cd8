package libct_test

// Tests of the process description (Process): what the program a container
// runs gets. Every test runs a real container on the real kernel and
// asserts what the program observes from inside it.

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/libct/libct"
	"github.com/libct/libct/internal/testutil"
)

// procDefaultPath is the PATH a program gets when Process.Env is empty.
const procDefaultPath = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// procLines splits output into its lines, without the empty last one.
func procLines(out string) []string {
	out = strings.TrimSuffix(out, "\n")
	if out == "" {
		return nil
	}
	return strings.Split(out, "\n")
}

// procCheckNothingLeft asserts that a start of c that failed left nothing
// behind: c is stopped and has no pid, the test process has the children
// and the mounts it had before (childrenBefore, mountsBefore).
func procCheckNothingLeft(t *testing.T, c *libct.Container, childrenBefore []int, mountsBefore int) {
	t.Helper()
	if st, err := c.State(); err != nil || st != libct.Stopped {
		t.Errorf("after the failed start: state %q, %v; want %q", st, err, libct.Stopped)
	}
	if pid, err := c.Pid(); err != nil || pid != 0 {
		t.Errorf("after the failed start: pid %d, %v; want 0", pid, err)
	}
	if got := testutil.ChildPIDs(t); !slices.Equal(got, childrenBefore) {
		t.Errorf("after the failed start: child processes %v, before %v", got, childrenBefore)
	}
	if got := testutil.MountCount(t); got != mountsBefore {
		t.Errorf("after the failed start: %d mounts, before %d", got, mountsBefore)
	}
}

// procObserve runs the registered function "observe" in a container made
// from cfg and returns its report, a map of the "key=value" pairs it
// prints. edit, when not nil, adjusts the process before the spawn.
func procObserve(t *testing.T, s *libct.Session, cfg *libct.Config, edit func(p *libct.Process)) map[string]string {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	p := &libct.Process{Func: "observe", FuncArg: []byte("observed"), ExtraFiles: []*os.File{w}}
	if edit != nil {
		edit(p)
	}
	out, st := run(t, s, cfg, p)
	w.Close()
	report, _ := io.ReadAll(r)
	if st != (libct.ExitStatus{}) {
		t.Fatalf("observe: %v; output: %s", st, out)
	}
	return procParseReport(t, string(report))
}

// procParseReport reads the line "observe" writes: "k=v" pairs separated
// by spaces, the last one, arg, running to the end of the line.
func procParseReport(t *testing.T, line string) map[string]string {
	t.Helper()
	line = strings.TrimSuffix(line, "\n")
	head, arg, ok := strings.Cut(line, " arg=")
	if !ok {
		t.Fatalf("observe report %q has no arg=", line)
	}
	m := map[string]string{"arg": arg}
	for _, kv := range strings.Fields(head) {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			t.Fatalf("observe report %q: field %q is not k=v", line, kv)
		}
		m[k] = v
	}
	return m
}

// TestProcessArgs checks that the program gets exactly Args as its argv,
// argv[0] included: the shell prints its own /proc/PID/cmdline.
func TestProcessArgs(t *testing.T) {
	s := newSession(t)
	cfg := busybox(t)
	// "; exit": busybox sh execs the last command of -c in its place.
	const script = `cat /proc/$$/cmdline; exit 0`
	for _, tc := range []struct {
		name string
		args []string
	}{
		{"plain", []string{"/bin/sh", "-c", script}},
		{"spaces and quotes", []string{"/bin/sh", "-c", script, "zero", "a b", `"double"`, `'single'`, `it's`, "  lead and trail  "}},
		{"shell syntax is not interpreted", []string{"/bin/sh", "-c", script, "$HOME", "`id`", "$(id)", "*", ";", "a|b", `back\slash`}},
		{"empty and control characters", []string{"/bin/sh", "-c", script, "", "new\nline", "tab\there", ""}},
		{"program found in PATH keeps argv0", []string{"sh", "-c", script, "x"}},
		{"unicode", []string{"/bin/sh", "-c", script, "héllo wörld", "日本"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := mustRun(t, s, cfg, &libct.Process{Args: tc.args})
			want := strings.Join(tc.args, "\x00") + "\x00"
			if out != want {
				t.Errorf("cmdline inside the container:\n got %q\nwant %q", out, want)
			}
		})
	}
}

// TestProcessEnv checks the environment the program gets: Env as given,
// PATH alone when Env is empty, HOME from the user's passwd entry when Env
// lacks it, and nothing of the caller's own environment.
func TestProcessEnv(t *testing.T) {
	t.Setenv("LIBCT_TEST_HOST_ONLY", "must not leak")
	s := newSession(t)
	cfg := busybox(t)
	for _, tc := range []struct {
		name string
		env  []string
		user string
		want []string
	}{
		{"empty gets PATH and HOME", nil, "", []string{procDefaultPath, "HOME=/root"}},
		{"given vars", []string{"FOO=bar baz", "EMPTY=", "EQ=a=b", "PATH=/bin", "QUOTE=\"it's\""},
			"", []string{"FOO=bar baz", "EMPTY=", "EQ=a=b", "PATH=/bin", "QUOTE=\"it's\"", "HOME=/root"}},
		{"given vars without PATH get no PATH", []string{"FOO=1"}, "", []string{"FOO=1", "HOME=/root"}},
		{"HOME given is kept", []string{"HOME=/elsewhere", "PATH=/bin"}, "", []string{"HOME=/elsewhere", "PATH=/bin"}},
		{"HOME of alice from passwd", nil, "alice", []string{procDefaultPath, "HOME=/home/alice"}},
		{"HOME of alice by uid", nil, "1000:1000", []string{procDefaultPath, "HOME=/home/alice"}},
		{"HOME of nobody", []string{"A=1"}, "nobody", []string{"A=1", "HOME=/nonexistent"}},
		{"HOME of an uid without passwd entry", nil, "4242", []string{procDefaultPath, "HOME=/"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// env run directly prints its environ(7) exactly, one per line.
			out := mustRun(t, s, cfg, &libct.Process{Args: []string{"/bin/env"}, Env: tc.env, User: tc.user})
			got := procLines(out)
			slices.Sort(got)
			want := slices.Sorted(slices.Values(tc.want))
			if !slices.Equal(got, want) {
				t.Errorf("environment inside the container:\n got %q\nwant %q", got, want)
			}
		})
	}
}

// TestProcessDir checks the working directory: Dir when set, "/" when
// empty, with pivot_root, with chroot and without a root of its own, and
// one only root may enter for a program of another user.
func TestProcessDir(t *testing.T) {
	s := newSession(t)
	root := testutil.BusyboxRootfs(t)
	pivot := &libct.Config{Namespaces: containerNS, Root: root}
	chroot := &libct.Config{Root: root}
	for _, tc := range []struct {
		name string
		cfg  *libct.Config
		dir  string
		user string
		want string
	}{
		{"pivot default", pivot, "", "", "/"},
		{"pivot dir", pivot, "/tmp", "", "/tmp"},
		{"pivot dir with dots", pivot, "/home/../tmp/", "", "/tmp"},
		{"pivot dir of alice entered as alice", pivot, "/home/alice", "alice", "/home/alice"},
		// Entered as root, before the user changes, as runc does: root's
		// home is 0700.
		{"pivot dir only root may enter, as alice", pivot, "/root", "alice", "/root"},
		{"chroot default", chroot, "", "", "/"},
		{"chroot dir", chroot, "/etc", "", "/etc"},
		{"no root of its own, default", &libct.Config{}, "", "", "/"},
		{"no root of its own, dir", &libct.Config{}, "/etc", "", "/etc"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			const script = `pwd -P`
			p := &libct.Process{Args: []string{"/bin/sh", "-c", script}, Dir: tc.dir, User: tc.user}
			if tc.cfg.Root == "" {
				// The host's busybox when the container has no root.
				p.Args = []string{testutil.BusyboxPath, "sh", "-c", script}
			}
			out := mustRun(t, s, tc.cfg, p)
			if got := strings.TrimSpace(out); got != tc.want {
				t.Errorf("working directory %q, want %q", got, tc.want)
			}
		})
	}
}

// TestProcessDirFails checks that a working directory the program cannot
// enter fails the start with a *StartError of step "cwd" naming
// process.cwd, and leaves nothing behind.
func TestProcessDirFails(t *testing.T) {
	s := newSession(t)
	cfg := busybox(t)
	for _, tc := range []struct {
		name  string
		dir   string
		user  string
		errno syscall.Errno
	}{
		{"missing", "/does/not/exist", "", unix.ENOENT},
		{"a file", "/etc/passwd", "", unix.ENOTDIR},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := s.Create(uniqueName(t), cfg)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Destroy()
			children, mounts := testutil.ChildPIDs(t), testutil.MountCount(t)
			err = c.Spawn(&libct.Process{Args: []string{"/bin/true"}, Dir: tc.dir, User: tc.user})
			if err == nil {
				t.Fatal("spawn succeeded")
			}
			var se *libct.StartError
			if !errors.As(err, &se) {
				t.Fatalf("error %v (%T) is not a *libct.StartError", err, err)
			}
			if se.Step != "cwd" || se.Errno != tc.errno {
				t.Errorf("step %q errno %v, want step \"cwd\" errno %v (%v)", se.Step, se.Errno, tc.errno, err)
			}
			if !strings.Contains(err.Error(), "process.cwd") || !strings.Contains(err.Error(), tc.dir) {
				t.Errorf("error %q does not name process.cwd and %s", err, tc.dir)
			}
			if !errors.Is(err, tc.errno) {
				t.Errorf("errors.Is(%v, %v) is false", err, tc.errno)
			}
			procCheckNothingLeft(t, c, children, mounts)
		})
	}
	t.Run("missing is fs.ErrNotExist", func(t *testing.T) {
		c, err := s.Create(uniqueName(t), cfg)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Destroy()
		err = c.Spawn(&libct.Process{Args: []string{"/bin/true"}, Dir: "/nope"})
		if !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("errors.Is(%v, fs.ErrNotExist) is false", err)
		}
	})
}

// TestProcessUser checks the credentials the program runs with, as the
// kernel reports them (/proc/self/status) and as id prints them.
func TestProcessUser(t *testing.T) {
	s := newSession(t)
	cfg := busybox(t)
	const script = `id -u; id -g; grep '^Groups:' /proc/self/status; id`
	for _, tc := range []struct {
		name   string
		user   string
		groups []string
		want   []string // id -u, id -g, Groups: of /proc/self/status, id
	}{
		{"default is root", "", nil,
			[]string{"0", "0", "Groups:", "uid=0(root) gid=0(root)"}},
		{"numeric uid:gid", "1000:1000", nil,
			[]string{"1000", "1000", "Groups:", "uid=1000(alice) gid=1000(alice)"}},
		{"numeric uid alone takes gid and groups from passwd", "1000", nil,
			[]string{"1000", "1000", "Groups:\t50", "uid=1000(alice) gid=1000(alice) groups=50(staff)"}},
		{"name with supplementary groups from /etc/group", "alice", nil,
			[]string{"1000", "1000", "Groups:\t50", "uid=1000(alice) gid=1000(alice) groups=50(staff)"}},
		{"name:group", "alice:staff", nil,
			[]string{"1000", "50", "Groups:", "uid=1000(alice) gid=50(staff)"}},
		{"name:numeric gid", "alice:65534", nil,
			[]string{"1000", "65534", "Groups:", "uid=1000(alice) gid=65534(nogroup)"}},
		{"nobody", "nobody", nil,
			[]string{"65534", "65534", "Groups:", "uid=65534(nobody) gid=65534(nogroup)"}},
		{"uid without passwd entry", "4242:4343", nil,
			[]string{"4242", "4343", "Groups:", "uid=4242 gid=4343"}},
		{"additional groups by name and number", "1000:1000", []string{"staff", "65534"},
			[]string{"1000", "1000", "Groups:\t50 65534", "uid=1000(alice) gid=1000(alice) groups=50(staff),65534(nogroup)"}},
		{"additional groups add to those of /etc/group", "alice", []string{"nogroup"},
			[]string{"1000", "1000", "Groups:\t50 65534", "uid=1000(alice) gid=1000(alice) groups=50(staff),65534(nogroup)"}},
		{"additional group not in /etc/group", "0:0", []string{"777"},
			[]string{"0", "0", "Groups:\t777", "uid=0(root) gid=0(root) groups=777"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := mustRun(t, s, cfg, &libct.Process{
				Args: []string{"/bin/sh", "-c", script}, User: tc.user, AdditionalGroups: tc.groups,
			})
			got := procLines(out)
			for i := range got {
				got[i] = strings.TrimRight(got[i], " \t")
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("credentials inside the container:\n got %q\nwant %q", got, tc.want)
			}
		})
	}
}

// TestProcessUserFails checks that a user or group the container's
// /etc/passwd and /etc/group do not know fails the start with a
// *StartError naming the field, and leaves nothing behind: the container
// can then be started with a good process.
func TestProcessUserFails(t *testing.T) {
	s := newSession(t)
	cfg := busybox(t)
	for _, tc := range []struct {
		name   string
		user   string
		groups []string
		field  string
	}{
		{"unknown user", "bob", nil, "process.user"},
		{"unknown group", "alice:nosuchgroup", nil, "process.user"},
		{"unknown additional group", "alice", []string{"nosuchgroup"}, "process.additionalGroups"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := s.Create(uniqueName(t), cfg)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Destroy()
			children, mounts := testutil.ChildPIDs(t), testutil.MountCount(t)
			err = c.Spawn(&libct.Process{Args: []string{"/bin/true"}, User: tc.user, AdditionalGroups: tc.groups})
			if err == nil {
				t.Fatal("spawn succeeded")
			}
			var se *libct.StartError
			if !errors.As(err, &se) {
				t.Fatalf("error %v (%T) is not a *libct.StartError", err, err)
			}
			if se.Step != "user" {
				t.Errorf("step %q, want \"user\" (%v)", se.Step, err)
			}
			bad := tc.user
			if tc.groups != nil {
				bad = tc.groups[0]
			}
			if msg := err.Error(); !strings.Contains(msg, tc.field) || !strings.Contains(msg, strings.TrimPrefix(bad, "alice:")) {
				t.Errorf("error %q does not name %s and %q", msg, tc.field, bad)
			}
			procCheckNothingLeft(t, c, children, mounts)

			out, st, err := spawnAndWait(c, &libct.Process{Args: []string{"/bin/echo", "again"}})
			if err != nil || st != (libct.ExitStatus{}) || out != "again\n" {
				t.Errorf("second spawn after the failure: %q, %v, %v", out, st, err)
			}
		})
	}
}

// TestProcessRlimits checks that Rlimits are in force in the program.
func TestProcessRlimits(t *testing.T) {
	s := newSession(t)
	cfg := busybox(t)
	for _, tc := range []struct {
		name    string
		rlimits []libct.Rlimit
		script  string
		want    string
	}{
		{"RLIMIT_NOFILE", []libct.Rlimit{{Type: "RLIMIT_NOFILE", Soft: 512, Hard: 1024}},
			"ulimit -n; ulimit -Hn", "512\n1024\n"},
		{"short lower-case name", []libct.Rlimit{{Type: "nofile", Soft: 100, Hard: 200}},
			"ulimit -n; ulimit -Hn", "100\n200\n"},
		{"soft equals hard", []libct.Rlimit{{Type: "RLIMIT_NOFILE", Soft: 64, Hard: 64}},
			"ulimit -n; ulimit -Hn", "64\n64\n"},
		{"several", []libct.Rlimit{{Type: "RLIMIT_NOFILE", Soft: 300, Hard: 400}, {Type: "RLIMIT_NPROC", Soft: 70, Hard: 80}},
			"ulimit -n; ulimit -Hn; ulimit -u; ulimit -Hu", "300\n400\n70\n80\n"},
		{"enforced", []libct.Rlimit{{Type: "RLIMIT_FSIZE", Soft: 1024, Hard: 1024}},
			"trap '' XFSZ; head -c 4096 /dev/zero 2>/dev/null > /tmp/big-$$; wc -c < /tmp/big-$$; rm /tmp/big-$$", "1024\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := mustRun(t, s, cfg, &libct.Process{Args: []string{"/bin/sh", "-c", tc.script}, Rlimits: tc.rlimits})
			if out != tc.want {
				t.Errorf("limits inside the container: %q, want %q", out, tc.want)
			}
		})
	}
}

// TestProcessUmask checks the program's file mode creation mask, as umask
// prints it and as it acts on new files.
func TestProcessUmask(t *testing.T) {
	s := newSession(t)
	cfg := busybox(t)
	for _, tc := range []struct {
		mask os.FileMode
		want string // umask, mode of a new file, mode of a new directory
	}{
		{0o027, "0027 640 750"},
		{0o077, "0077 600 700"},
		{0, "0000 666 777"},
		{0o777, "0777 0 0"},
	} {
		t.Run(fmt.Sprintf("%04o", uint32(tc.mask)), func(t *testing.T) {
			mask := tc.mask
			out := mustRun(t, s, cfg, &libct.Process{
				Args:  []string{"/bin/sh", "-c", `f=/tmp/umask-$$; touch $f.f; mkdir $f.d; echo $(umask) $(stat -c %a $f.f) $(stat -c %a $f.d); rm -r $f.f $f.d`},
				Umask: &mask,
			})
			if got := strings.TrimSpace(out); got != tc.want {
				t.Errorf("umask, file and directory modes: %q, want %q", got, tc.want)
			}
		})
	}
}

// TestProcessStdin checks the program's standard input: a pipe it reads
// to the end, or /dev/null when Stdin is nil.
func TestProcessStdin(t *testing.T) {
	s := newSession(t)
	cfg := busybox(t)
	t.Run("pipe", func(t *testing.T) {
		r, w, err := os.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		const data = "hello\nfrom the host\n"
		if _, err := w.WriteString(data); err != nil {
			t.Fatal(err)
		}
		w.Close()
		out := mustRun(t, s, cfg, &libct.Process{Args: []string{"/bin/cat"}, Stdin: r})
		if out != data {
			t.Errorf("cat printed %q, want %q", out, data)
		}
	})
	t.Run("pipe larger than its buffer", func(t *testing.T) {
		r, w, err := os.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		data := bytes.Repeat([]byte("0123456789abcdef"), 1<<14) // 256 KiB
		done := make(chan error, 1)
		go func() {
			_, err := w.Write(data)
			w.Close()
			done <- err
		}()
		out := mustRun(t, s, cfg, &libct.Process{Args: []string{"/bin/sh", "-c", "wc -c; echo end"}, Stdin: r})
		if err := <-done; err != nil {
			t.Errorf("write stdin: %v", err)
		}
		if want := fmt.Sprintf("%d\nend\n", len(data)); out != want {
			t.Errorf("container read %q, want %q", out, want)
		}
	})
	t.Run("nil is /dev/null", func(t *testing.T) {
		// The device numbers of what fd 0 opens: /dev/null is 1,3.
		out := mustRun(t, s, cfg, &libct.Process{Args: []string{"/bin/sh", "-c", "stat -L -c %t,%T /proc/self/fd/0; wc -c"}})
		if out != "1,3\n0\n" {
			t.Errorf("stdin device and size %q, want \"1,3\\n0\\n\"", out)
		}
	})
}

// TestProcessExtraFiles checks that ExtraFiles become fds 3, 4, ... of the
// program, and that it has no other descriptor.
func TestProcessExtraFiles(t *testing.T) {
	s := newSession(t)
	cfg := busybox(t)
	t.Run("read fd 3 write fd 4", func(t *testing.T) {
		inR, inW, err := os.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		defer inR.Close()
		outR, outW, err := os.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		defer outR.Close()
		if _, err := inW.WriteString("through three\n"); err != nil {
			t.Fatal(err)
		}
		inW.Close()

		c, err := s.Create(uniqueName(t), cfg)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Destroy()
		p := &libct.Process{
			Args:       []string{"/bin/sh", "-c", "cat <&3; echo through four >&4"},
			ExtraFiles: []*os.File{inR, outW},
		}
		stdout, st, err := func() (string, libct.ExitStatus, error) {
			defer outW.Close() // the container holds its own copy
			return spawnAndWait(c, p)
		}()
		if err != nil || st != (libct.ExitStatus{}) {
			t.Fatalf("container: %v %v; output %q", st, err, stdout)
		}
		fd4, _ := io.ReadAll(outR)
		if stdout != "through three\n" {
			t.Errorf("cat <&3 printed %q, want %q", stdout, "through three\n")
		}
		if string(fd4) != "through four\n" {
			t.Errorf("fd 4 carried %q, want %q", fd4, "through four\n")
		}
	})
	for _, tc := range []struct {
		name  string
		extra int
		want  string
	}{
		// ls run directly lists its own descriptors: the program's, then
		// the one it opened for the listing, at the lowest free number.
		{"no extra files", 0, "0 1 2 3"},
		{"two extra files", 2, "0 1 2 3 4 5"},
	} {
		t.Run("only its own descriptors/"+tc.name, func(t *testing.T) {
			var extra []*os.File
			for range tc.extra {
				f, err := os.Open(os.DevNull)
				if err != nil {
					t.Fatal(err)
				}
				defer f.Close()
				extra = append(extra, f)
			}
			out := mustRun(t, s, cfg, &libct.Process{Args: []string{"/bin/ls", "/proc/self/fd"}, ExtraFiles: extra})
			if got := strings.Join(strings.Fields(out), " "); got != tc.want {
				t.Errorf("descriptors of the program: %q, want %q", got, tc.want)
			}
		})
	}
}

// TestProcessPdeathsig checks that the program starts with Pdeathsig as
// its parent-death signal, also when it runs as another user (a change of
// credentials resets the signal).
func TestProcessPdeathsig(t *testing.T) {
	s := newSession(t)
	for _, tc := range []struct {
		name string
		sig  syscall.Signal
		user string
		want string
	}{
		{"none", 0, "", "0"},
		{"SIGUSR1", syscall.SIGUSR1, "", "10"},
		{"SIGKILL", syscall.SIGKILL, "", "9"},
		{"SIGUSR1 as another user", syscall.SIGUSR1, "1000:1000", "10"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// Pdeathsig follows the thread that starts the init: keep it.
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			rep := procObserve(t, s, &libct.Config{}, func(p *libct.Process) {
				p.Pdeathsig, p.User = tc.sig, tc.user
			})
			if rep["pdeathsig"] != tc.want {
				t.Errorf("pdeathsig=%s, want %s (report %v)", rep["pdeathsig"], tc.want, rep)
			}
			if tc.user != "" && rep["uid"] != "1000" {
				t.Errorf("uid=%s, want 1000", rep["uid"])
			}
		})
	}
}

// TestProcessPdeathsigDelivered checks that the parent-death signal is
// really sent: the init is started from a locked thread that then ends,
// and the program, which has no handler for SIGUSR1, dies of it.
func TestProcessPdeathsigDelivered(t *testing.T) {
	s := newSession(t)
	// No pid namespace: the init of one ignores signals it has no handler
	// for.
	cfg := &libct.Config{Namespaces: libct.NewMount, Root: testutil.BusyboxRootfs(t)}
	c, err := s.Create(uniqueName(t), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Destroy()

	// The Go runtime ends the thread of a goroutine that exits locked,
	// except the main thread, which it parks: spawn from another one. A
	// goroutine that lands on the main thread keeps it busy until the
	// test ends, so that the next one runs elsewhere.
	release := make(chan struct{})
	defer close(release)
	var spawnErr error
	for attempt := 0; ; attempt++ {
		onMain := make(chan bool)
		go func() {
			runtime.LockOSThread()
			if unix.Gettid() == unix.Getpid() {
				onMain <- true
				<-release
				runtime.UnlockOSThread()
				return
			}
			spawnErr = c.Spawn(&libct.Process{Args: []string{"/bin/sleep", "60"}, Pdeathsig: syscall.SIGUSR1})
			onMain <- false
			// Exit locked: the thread ends.
		}()
		if !<-onMain {
			break
		}
		if attempt == 10 {
			t.Fatal("could not get off the main thread")
		}
	}
	if spawnErr != nil {
		t.Fatal(spawnErr)
	}
	done := make(chan libct.ExitStatus, 1)
	go func() {
		st, err := c.Wait()
		if err != nil {
			t.Errorf("wait: %v", err)
		}
		done <- st
	}()
	select {
	case st := <-done:
		if want := (libct.ExitStatus{Code: -1, Signal: syscall.SIGUSR1}); st != want {
			t.Errorf("container ended with %v, want %v", st, want)
		}
	case <-time.After(10 * time.Second):
		c.Kill(syscall.SIGKILL)
		<-done
		t.Error("the container outlived the thread that started it by 10s: no parent-death signal")
	}
}

// TestProcessSetsid checks that the init leads a session of its own unless
// the container has the NoSetsid option.
func TestProcessSetsid(t *testing.T) {
	s := newSession(t)
	for _, tc := range []struct {
		name    string
		options libct.Options
		want    string
	}{
		{"default", 0, "true"},
		{"NoSetsid", libct.NoSetsid, "false"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rep := procObserve(t, s, &libct.Config{Options: tc.options}, nil)
			if rep["setsid"] != tc.want {
				t.Errorf("setsid=%s, want %s (report %v)", rep["setsid"], tc.want, rep)
			}
		})
	}
	t.Run("NoSetsid keeps the caller's session", func(t *testing.T) {
		sid, err := unix.Getsid(0)
		if err != nil {
			t.Fatal(err)
		}
		out := mustRun(t, s, &libct.Config{Options: libct.NoSetsid},
			&libct.Process{Args: []string{testutil.BusyboxPath, "sh", "-c", "cut -d' ' -f6 /proc/$$/stat"}})
		if got := strings.TrimSpace(out); got != fmt.Sprint(sid) {
			t.Errorf("session of the init %q, want the caller's %d", got, sid)
		}
	})
}

// TestProcessFuncExitStatus checks that a registered function's return
// value is the container's exit status.
func TestProcessFuncExitStatus(t *testing.T) {
	s := newSession(t)
	for _, tc := range []struct {
		arg  string
		want libct.ExitStatus
	}{
		{"0", libct.ExitStatus{}},
		{"7", libct.ExitStatus{Code: 7}},
		{"255", libct.ExitStatus{Code: 255}},
		{"not a number", libct.ExitStatus{Code: 255}},
	} {
		t.Run(tc.arg, func(t *testing.T) {
			out, st := run(t, s, &libct.Config{}, &libct.Process{Func: "exit-with", FuncArg: []byte(tc.arg)})
			if st != tc.want {
				t.Errorf("exit-with %q: %v, want %v; output %q", tc.arg, st, tc.want, out)
			}
			if st.ExitCode() != tc.want.Code {
				t.Errorf("ExitCode() = %d, want %d", st.ExitCode(), tc.want.Code)
			}
		})
	}
}

// TestProcessFuncInContainer checks that a registered function runs inside
// the container: pid 1 of its pid namespace, the container's hostname,
// the user of the process, its argument intact.
func TestProcessFuncInContainer(t *testing.T) {
	s := newSession(t)
	cfg := busybox(t)
	cfg.Hostname = "fn-box"
	rep := procObserve(t, s, cfg, func(p *libct.Process) {
		p.FuncArg = []byte("with spaces\tand tabs")
		p.User = "alice"
	})
	want := map[string]string{
		"pid": "1", "ppid": "0", "host": "fn-box", "uid": "1000", "gid": "1000",
		"pdeathsig": "0", "setsid": "true", "arg": "with spaces\tand tabs",
	}
	for k, v := range want {
		if rep[k] != v {
			t.Errorf("%s=%q, want %q (report %v)", k, rep[k], v, rep)
		}
	}
}

// TestProcessFuncEnvironment: a registered function gets the environment
// of its Process, and the Go runtime's settings that come from the
// environment (GOGC, GOMAXPROCS) follow it, whichever init started it.
// Its descriptors are the standard streams and its ExtraFiles only.
func TestProcessFuncEnvironment(t *testing.T) {
	s := newSession(t)
	for _, tc := range []struct {
		name        string
		env         []string
		gogc, procs string
	}{
		{"defaults", []string{"LIBCT_FUNC_TEST=plain"}, "100", strconv.Itoa(runtime.NumCPU())},
		{"tuned", []string{"LIBCT_FUNC_TEST=tuned", "GOGC=50", "GOMAXPROCS=1"}, "50", "1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rep := procObserve(t, s, busybox(t), func(p *libct.Process) { p.Env = tc.env })
			if rep["gogc"] != tc.gogc || rep["procs"] != tc.procs {
				t.Errorf("gogc=%s procs=%s, want %s and %s (report %v)", rep["gogc"], rep["procs"], tc.gogc, tc.procs, rep)
			}
			for _, kv := range tc.env {
				if !slices.Contains(strings.Split(rep["env"], ","), kv) {
					t.Errorf("environment %q lacks %q", rep["env"], kv)
				}
			}
			if strings.Contains(rep["env"], "GOGC=off") {
				t.Errorf("environment %q has the init stage's settings", rep["env"])
			}
			// 0, 1, 2, the report's 3, and the one that lists them.
			if rep["fds"] != "5" {
				t.Errorf("the function has %s descriptors open, want 5", rep["fds"])
			}
		})
	}
}

// TestProcessFuncBinaryLinkage: a function in a container with a root
// that only the Go init can start (here, with a time namespace) runs in
// a new image of the binary inside that root. A statically linked binary
// does; a dynamically linked one, whose loader is the host's, is refused
// before anything starts, with a ConfigError naming process.func and
// what sent the start to the Go init, and nothing is left behind.
func TestProcessFuncBinaryLinkage(t *testing.T) {
	s := newSession(t)
	warmUp(t, s)
	cfg := busybox(t)
	cfg.Namespaces |= libct.NewTime
	c, err := s.Create(uniqueName(t), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Destroy()
	leaks := newLeakCheck(t)
	err = c.Spawn(&libct.Process{Func: "exit-with", FuncArg: []byte("7")})
	if !testutil.DynamicallyLinked(t) {
		if err != nil {
			t.Fatalf("static binary: %v", err)
		}
		if st, err := c.Wait(); err != nil || st.Code != 7 {
			t.Fatalf("static binary: the function exited %v, %v; want 7", st, err)
		}
		return
	}
	var ce *libct.ConfigError
	why := "time namespace"
	if os.Getenv("LIBCT_INIT") == "go" {
		why = "LIBCT_INIT=go"
	}
	if !errors.As(err, &ce) || ce.Field != "process.func" || !strings.Contains(err.Error(), why) ||
		!strings.Contains(err.Error(), "statically") {
		t.Fatalf("dynamic binary: Spawn = %v; want a ConfigError for process.func naming %s", err, why)
	}
	if st, _ := c.State(); st != libct.Stopped {
		t.Errorf("after the refusal the container is %v", st)
	}
	leaks.verify(t)
}

// TestProcessInvalid checks that a bad Process is rejected before anything
// is started, with a *ConfigError naming the field that matches
// ErrInvalidConfig, by Spawn and Prepare alike.
func TestProcessInvalid(t *testing.T) {
	s := newSession(t)
	cfg := busybox(t)
	tooWide := os.FileMode(0o1777)
	for _, tc := range []struct {
		name  string
		p     *libct.Process
		field string
	}{
		{"nil", nil, "process"},
		{"args empty", &libct.Process{}, "process.args"},
		{"empty program name", &libct.Process{Args: []string{"", "x"}}, "process.args"},
		{"func and args", &libct.Process{Func: "observe", Args: []string{"/bin/true"}}, "process.func"},
		{"unregistered func", &libct.Process{Func: "no-such-function"}, "process.func"},
		{"env without =", &libct.Process{Args: []string{"/bin/true"}, Env: []string{"A=1", "NOEQUALS"}}, "process.env[1]"},
		{"env with an empty name", &libct.Process{Args: []string{"/bin/true"}, Env: []string{"=value"}}, "process.env[0]"},
		{"relative dir", &libct.Process{Args: []string{"/bin/true"}, Dir: "tmp"}, "process.dir"},
		{"user with two colons", &libct.Process{Args: []string{"/bin/true"}, User: "a:b:c"}, "process.user"},
		{"unknown rlimit", &libct.Process{Args: []string{"/bin/true"}, Rlimits: []libct.Rlimit{{Type: "RLIMIT_BOGUS", Soft: 1, Hard: 1}}}, "process.rlimits[0]"},
		{"second rlimit soft above hard", &libct.Process{Args: []string{"/bin/true"},
			Rlimits: []libct.Rlimit{{Type: "nofile", Soft: 1, Hard: 1}, {Type: "nproc", Soft: 2, Hard: 1}}}, "process.rlimits[1]"},
		{"umask beyond 0777", &libct.Process{Args: []string{"/bin/true"}, Umask: &tooWide}, "process.umask"},
		{"nil extra file", &libct.Process{Args: []string{"/bin/true"}, ExtraFiles: []*os.File{os.Stdin, nil}}, "process.extraFiles[1]"},
	} {
		for _, op := range []struct {
			name string
			call func(*libct.Container, *libct.Process) error
		}{
			{"Spawn", (*libct.Container).Spawn},
			{"Prepare", (*libct.Container).Prepare},
		} {
			t.Run(tc.name+"/"+op.name, func(t *testing.T) {
				c, err := s.Create(uniqueName(t), cfg)
				if err != nil {
					t.Fatal(err)
				}
				defer c.Destroy()
				children, mounts := testutil.ChildPIDs(t), testutil.MountCount(t)
				err = op.call(c, tc.p)
				var ce *libct.ConfigError
				if !errors.As(err, &ce) {
					t.Fatalf("error %v (%T) is not a *libct.ConfigError", err, err)
				}
				if ce.Field != tc.field {
					t.Errorf("field %q, want %q (%v)", ce.Field, tc.field, err)
				}
				if !errors.Is(err, libct.ErrInvalidConfig) {
					t.Errorf("errors.Is(%v, ErrInvalidConfig) is false", err)
				}
				if !strings.HasPrefix(err.Error(), tc.field+": ") {
					t.Errorf("message %q does not start with the field", err)
				}
				procCheckNothingLeft(t, c, children, mounts)
				if _, err := os.Stat(filepath.Join(s.Root(), c.Name(), "exec.fifo")); !errors.Is(err, fs.ErrNotExist) {
					t.Errorf("exec fifo left in the state directory: %v", err)
				}
			})
		}
	}
}
