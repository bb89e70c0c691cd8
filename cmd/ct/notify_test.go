package main

import (
	"context"
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/libct/libct/internal/testutil"
)

func TestRelayed(t *testing.T) {
	tests := []struct {
		name    string
		msg     string
		mainPID int
		want    string
		ready   bool
	}{
		{name: "status", msg: "STATUS=loading", want: "STATUS=loading"},
		{name: "ready", msg: "READY=1", mainPID: 42, want: "READY=1\nMAINPID=42", ready: true},
		{name: "ready in foreground", msg: "READY=1", want: "READY=1", ready: true},
		{name: "ready among others", msg: "STATUS=up\nREADY=1\n", mainPID: 7, want: "STATUS=up\nREADY=1\nMAINPID=7", ready: true},
		{name: "container's MAINPID dropped", msg: "MAINPID=1\nREADY=1", mainPID: 9, want: "READY=1\nMAINPID=9", ready: true},
		{name: "only a MAINPID", msg: "MAINPID=1", want: ""},
		{name: "not ready", msg: "READY=0", mainPID: 3, want: "READY=0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ready := relayed([]byte(tt.msg), tt.mainPID)
			if string(got) != tt.want || ready != tt.ready {
				t.Errorf("relayed(%q, %d) = %q, %v; want %q, %v", tt.msg, tt.mainPID, got, ready, tt.want, tt.ready)
			}
		})
	}
}

// notifyListener is a service manager's notify socket: what ct relays
// arrives on it.
func notifyListener(t *testing.T) (path string, messages <-chan string) {
	t.Helper()
	path = filepath.Join(t.TempDir(), "notify.sock")
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	ch := make(chan string, 16)
	go func() {
		buf := make([]byte, 4096)
		for {
			n, err := conn.Read(buf)
			if err != nil {
				close(ch)
				return
			}
			ch <- string(buf[:n])
		}
	}()
	return path, ch
}

// nextMessage is the next message on messages, or "" after a while.
func nextMessage(messages <-chan string) string {
	select {
	case m := <-messages:
		return m
	case <-time.After(10 * time.Second):
		return ""
	}
}

// withSdnotify gives the container the sdnotify tool in its PATH.
func withSdnotify(tool string) func(*specs.Spec) {
	return func(s *specs.Spec) {
		s.Mounts = append(s.Mounts, specs.Mount{Destination: "/opt/sd", Type: "bind",
			Source: filepath.Dir(tool), Options: []string{"bind", "ro"}})
		s.Process.Env = append(s.Process.Env, "PATH=/opt/sd:/bin:/sbin:/usr/bin")
	}
}

// TestNotifySocket: with NOTIFY_SOCKET, ct gives the program a socket of
// its own at /run/notify/notify.sock and relays what it says, the
// READY=1 with the init's pid as MAINPID; ct run -d and ct start return
// only then.
func TestNotifySocket(t *testing.T) {
	e := newOCIEnv(t)
	tool := testutil.StaticTool(t, "sdnotify")
	// The container's MAINPID means nothing outside: ct drops it.
	script := `echo "in $NOTIFY_SOCKET"; sdnotify STATUS=starting MAINPID=77; sleep 0.3; sdnotify READY=1; exec sleep 100`

	check := func(t *testing.T, e *ociEnv, id string, messages <-chan string) {
		t.Helper()
		if m := nextMessage(messages); m != "STATUS=starting" {
			t.Errorf("first message %q, want STATUS=starting", m)
		}
		pid := e.state(id).Pid
		if m, want := nextMessage(messages), "READY=1\nMAINPID="+strconv.Itoa(pid); m != want {
			t.Errorf("second message %q, want %q", m, want)
		}
	}
	t.Run("run -d", func(t *testing.T) {
		e := e.sub(t)
		host, messages := notifyListener(t)
		id := e.id("notify-run")
		bundle := e.bundle([]string{"sh", "-c", script}, withSdnotify(tool))
		cmd, result := e.command(context.Background(), "run", "-d", "--bundle", bundle, id)
		cmd.Env = append(cmd.Env, "NOTIFY_SOCKET="+host)
		start := time.Now()
		cmd.Run()
		if res := result(); res.code != 0 || !strings.Contains(res.stdout, "in /run/notify/notify.sock") {
			t.Fatalf("run -d: exit %d, stdout %q, stderr %q", res.code, res.stdout, res.stderr)
		}
		if time.Since(start) < 300*time.Millisecond {
			t.Errorf("run -d returned before the program said READY=1")
		}
		check(t, e, id, messages)
		e.ok("delete", "--force", id)
	})
	t.Run("create and start", func(t *testing.T) {
		e := e.sub(t)
		host, messages := notifyListener(t)
		id := e.id("notify-start")
		bundle := e.bundle([]string{"sh", "-c", script}, withSdnotify(tool))
		for _, args := range [][]string{{"create", "--bundle", bundle, id}, {"start", id}} {
			cmd, result := e.command(context.Background(), args...)
			cmd.Env = append(cmd.Env, "NOTIFY_SOCKET="+host)
			cmd.Run()
			if res := result(); res.code != 0 {
				t.Fatalf("%s: exit %d, stderr %q", args[0], res.code, res.stderr)
			}
		}
		check(t, e, id, messages)
		e.ok("delete", "--force", id)
	})
	t.Run("stopped before ready", func(t *testing.T) {
		e := e.sub(t)
		host, _ := notifyListener(t)
		id := e.id("notify-exit")
		bundle := e.bundle([]string{"true"}, nil)
		cmd, result := e.command(context.Background(), "run", "-d", "--bundle", bundle, id)
		cmd.Env = append(cmd.Env, "NOTIFY_SOCKET="+host)
		cmd.Run()
		if res := result(); res.code == 0 || !strings.Contains(res.stderr, "READY=1") {
			t.Errorf("run -d: exit %d, stderr %q; want a failure that names READY=1", res.code, res.stderr)
		}
		e.ok("delete", "--force", id)
	})
	t.Run("without NOTIFY_SOCKET", func(t *testing.T) {
		e := e.sub(t)
		bundle := e.bundle([]string{"sh", "-c", `echo "[$NOTIFY_SOCKET]"; grep -q " /run/notify " /proc/mounts && echo mounted; true`}, nil)
		cmd, result := e.command(context.Background(), "run", "--bundle", bundle, e.id("notify-none"))
		cmd.Env = slices.DeleteFunc(cmd.Env, func(kv string) bool { return strings.HasPrefix(kv, "NOTIFY_SOCKET=") })
		cmd.Run()
		if res := result(); res.code != 0 || res.stdout != "[]\n" {
			t.Errorf("exit %d, stdout %q, stderr %q; want no socket", res.code, res.stdout, res.stderr)
		}
	})
}

// TestSocketActivation: sockets handed to ct with LISTEN_FDS (for ct's
// own pid) are the program's fds 3 on, with LISTEN_FDS and LISTEN_PID
// for it, and --preserve-fds counts after them.
func TestSocketActivation(t *testing.T) {
	e := newOCIEnv(t)
	dir := t.TempDir()
	var files []*os.File
	for i, content := range []string{"listen", "preserved"} {
		p := filepath.Join(dir, strconv.Itoa(i))
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		f, err := os.Open(p)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		files = append(files, f)
	}
	bundle := e.bundle([]string{"sh", "-c", `echo "$LISTEN_FDS $LISTEN_PID $LISTEN_FDNAMES"; cat <&3; echo; cat <&4`}, nil)
	cmd, result := e.command(context.Background(), "run", "--preserve-fds", "1", "--bundle", bundle, e.id("listen"))
	cmd.ExtraFiles = files
	cmd.Env = append(cmd.Env, "LISTEN_FDS=1", "LISTEN_FDNAMES=web")
	// LISTEN_PID names ct: a shell sets it to its own pid and becomes ct.
	cmd.Args = append([]string{"/bin/sh", "-c", `LISTEN_PID=$$ exec "$@"`, "sh"}, cmd.Args...)
	cmd.Path = "/bin/sh"
	err := cmd.Run()
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		t.Fatal(err)
	}
	if res := result(); res.code != 0 || res.stdout != "1 1 web\nlisten\npreserved" {
		t.Errorf("exit %d, stdout %q, stderr %q; want the listen fd as 3 and the preserved one as 4", res.code, res.stdout, res.stderr)
	}
}
