package libct_test

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/libct/libct"
	"github.com/libct/libct/internal/testutil"
)

// logHook appends "name status pid uts-namespace" to log, reading the
// state document from stdin.
func logHook(name, log string) libct.Hook {
	script := `state=$(cat); echo "` + name + ` $state" >> ` + log + `; echo "` + name + `-uts $(readlink /proc/self/ns/uts)" >> ` + log
	return libct.Hook{Path: "/bin/sh", Args: []string{"sh", "-c", script}}
}

// TestHooks runs every kind of hook once through a Prepare, Start and
// Destroy: in order, each with the state, the container's own in its
// namespaces.
func TestHooks(t *testing.T) {
	s := newSession(t)
	logDir := t.TempDir()
	hostLog := filepath.Join(logDir, "log")
	cfg := busybox(t)
	cfg.Annotations = map[string]string{"org.example": "yes"}
	cfg.Bundle = "/bundle"
	// startContainer runs inside the container: the log is bound there.
	cfg.Mounts = []libct.Mount{{Source: logDir, Destination: "/hooklog", Flags: libct.MountBind}}
	cfg.Hooks = libct.Hooks{
		Prestart:        []libct.Hook{logHook("prestart", hostLog)},
		CreateRuntime:   []libct.Hook{logHook("createRuntime", hostLog)},
		CreateContainer: []libct.Hook{logHook("createContainer", hostLog)},
		StartContainer:  []libct.Hook{logHook("startContainer", "/hooklog/log")},
		Poststart:       []libct.Hook{logHook("poststart", hostLog)},
		Poststop:        []libct.Hook{logHook("poststop", hostLog)},
	}
	c, err := s.Create(uniqueName(t), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Prepare(&libct.Process{Args: []string{"sleep", "100"}}); err != nil {
		t.Fatal(err)
	}
	pid, _ := c.Pid()
	containerUTS := nsLink(t, pid, "uts")
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	if err := c.Destroy(); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(hostLog)
	var order []string
	states := map[string]struct {
		ID          string            `json:"id"`
		Status      string            `json:"status"`
		Pid         int               `json:"pid"`
		Bundle      string            `json:"bundle"`
		Annotations map[string]string `json:"annotations"`
	}{}
	utsOf := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		name, rest, _ := strings.Cut(line, " ")
		if hook, ok := strings.CutSuffix(name, "-uts"); ok {
			utsOf[hook] = rest
			continue
		}
		order = append(order, name)
		st := states[name]
		if err := json.Unmarshal([]byte(rest), &st); err != nil {
			t.Errorf("%s got %q: %v", name, rest, err)
		}
		states[name] = st
	}
	want := "prestart createRuntime createContainer startContainer poststart poststop"
	if got := strings.Join(order, " "); got != want {
		t.Fatalf("hooks ran as %q, want %q\n%s", got, want, data)
	}
	for name, st := range states {
		if st.ID != c.Name() || st.Bundle != "/bundle" || st.Annotations["org.example"] != "yes" {
			t.Errorf("%s state %+v", name, st)
		}
		if name != "poststop" && st.Pid != pid {
			t.Errorf("%s state pid %d, want %d", name, st.Pid, pid)
		}
	}
	if states["prestart"].Status != "created" || states["poststart"].Status != "running" || states["poststop"].Status != "stopped" {
		t.Errorf("statuses: %+v", states)
	}
	host := nsLink(t, os.Getpid(), "uts")
	for hook, in := range map[string]bool{"prestart": false, "createRuntime": false, "createContainer": true, "startContainer": true, "poststart": false} {
		if want := map[bool]string{true: containerUTS, false: host}[in]; utsOf[hook] != want {
			t.Errorf("%s ran in uts namespace %s, want %s", hook, utsOf[hook], want)
		}
	}
}

// TestHookFailure: a failing or hanging createRuntime hook fails the
// start and leaves nothing behind.
func TestHookFailure(t *testing.T) {
	s := newSession(t)
	warmUp(t, s)
	for _, tc := range []struct {
		name string
		hook libct.Hook
		want string
	}{
		{"exit status", libct.Hook{Path: "/bin/sh", Args: []string{"sh", "-c", "echo no way >&2; exit 3"}}, "no way"},
		{"timeout", libct.Hook{Path: "/bin/sleep", Args: []string{"sleep", "10"}, Timeout: 100 * time.Millisecond}, "timed out"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := busybox(t)
			cfg.Hooks.CreateRuntime = []libct.Hook{tc.hook}
			c, err := s.Create(uniqueName(t), cfg)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Destroy()
			leaks := newLeakCheck(t)
			err = c.Spawn(sh("true"))
			var se *libct.StartError
			if !errors.As(err, &se) || !strings.Contains(err.Error(), "hooks.createRuntime[0]") || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Spawn = %v; want a StartError naming hooks.createRuntime[0] and %q", err, tc.want)
			}
			leaks.verify(t)
			expectState(t, c, libct.Stopped)
		})
	}
}

// TestStartReportsLateFailures: what fails after Start released the init
// (a startContainer hook here) comes back from Start, and a registered
// function starts in two steps too.
func TestStartReportsLateFailures(t *testing.T) {
	s := newSession(t)
	cfg := busybox(t)
	cfg.Hooks.StartContainer = []libct.Hook{{Path: "/bin/sh", Args: []string{"sh", "-c", "echo refused >&2; exit 1"}}}
	c, err := s.Create(uniqueName(t), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Destroy()
	if err := c.Prepare(sh("true")); err != nil {
		t.Fatal(err)
	}
	err = c.Start()
	var se *libct.StartError
	if !errors.As(err, &se) || !strings.Contains(err.Error(), "hooks.startContainer[0]") || !strings.Contains(err.Error(), "refused") {
		t.Errorf("Start = %v; want the startContainer hook's failure", err)
	}

	f, err := s.Create(uniqueName(t), busybox(t))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Destroy()
	if err := f.Prepare(&libct.Process{Func: "exit-with", FuncArg: []byte("6")}); err != nil {
		t.Fatal(err)
	}
	if err := f.Start(); err != nil {
		t.Fatal(err)
	}
	if st, err := f.Wait(); err != nil || st.Code != 6 {
		t.Errorf("function after Start: %v, %v", st, err)
	}
}

// TestHooksFollowTheStoredConfig: a handle keeps the hooks it read, and
// reads them again once the stored config changed under it: here the
// container is destroyed and made again, with another poststop hook, by a
// handle of another session.
func TestHooksFollowTheStoredConfig(t *testing.T) {
	s := newSession(t)
	log := filepath.Join(t.TempDir(), "log")
	poststop := func(word string) libct.Hook {
		return libct.Hook{Path: "/bin/sh", Args: []string{"sh", "-c", "echo " + word + " >> " + log}}
	}
	name := uniqueName(t)
	cfg := busybox(t)
	cfg.Hooks.Poststop = []libct.Hook{poststop("first")}
	c, err := s.Create(name, cfg)
	if err != nil {
		t.Fatal(err)
	}
	// The start reads the hooks; Destroy runs them.
	if _, _, err := spawnAndWait(c, sh("true")); err != nil {
		t.Fatal(err)
	}
	if err := c.Destroy(); err != nil {
		t.Fatal(err)
	}
	other, err := libct.Open("local", libct.WithRoot(s.Root()))
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	cfg.Hooks.Poststop = []libct.Hook{poststop("second")}
	if _, err := other.Create(name, cfg); err != nil {
		t.Fatal(err)
	}
	if err := c.Destroy(); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(log)
	if got := strings.Fields(string(data)); strings.Join(got, " ") != "first second" {
		t.Fatalf("poststop hooks ran as %q, want \"first second\"", got)
	}
}

// TestHookEnvironmentAndDirectory: a hook without an environment of its
// own gets the runtime's (the process's, in the container), and each kind
// runs where runc runs it: the bundle, the root about to become /, the
// process's working directory.
func TestHookEnvironmentAndDirectory(t *testing.T) {
	s := newSession(t)
	t.Setenv("LIBCT_HOOK_TEST", "runtime")
	logDir := t.TempDir()
	bundle := t.TempDir()
	cfg := busybox(t)
	cfg.Bundle = bundle
	cfg.Mounts = []libct.Mount{{Source: logDir, Destination: "/hooklog", Flags: libct.MountBind}}
	report := func(name, log string) libct.Hook {
		script := `echo "` + name + ` ${LIBCT_HOOK_TEST:-none} ${ONE:-none} $(pwd)" >> ` + log
		return libct.Hook{Path: "/bin/sh", Args: []string{"sh", "-c", script}}
	}
	hostLog := filepath.Join(logDir, "log")
	cfg.Hooks = libct.Hooks{
		Prestart:        []libct.Hook{report("prestart", hostLog)},
		CreateRuntime:   []libct.Hook{report("createRuntime", hostLog)},
		CreateContainer: []libct.Hook{report("createContainer", hostLog)},
		StartContainer:  []libct.Hook{report("startContainer", "/hooklog/log")},
		Poststart:       []libct.Hook{report("poststart", hostLog)},
	}
	c, err := s.Create(uniqueName(t), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Destroy()
	if err := c.Spawn(&libct.Process{Args: []string{"sleep", "100"}, Env: []string{"PATH=/bin", "ONE=two"}, Dir: "/tmp"}); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(hostLog)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		name, rest, _ := strings.Cut(line, " ")
		got[name] = rest
	}
	tests := []struct{ hook, want string }{
		{"prestart", "runtime none " + bundle},
		{"createRuntime", "runtime none " + bundle},
		{"createContainer", "none two " + cfg.Root},
		{"startContainer", "none two /tmp"},
		{"poststart", "runtime none " + bundle},
	}
	for _, tt := range tests {
		t.Run(tt.hook, func(t *testing.T) {
			if got[tt.hook] != tt.want {
				t.Errorf("%s saw %q (environment, then cwd), want %q", tt.hook, got[tt.hook], tt.want)
			}
		})
	}
}

// TestFailingPoststart: with WithFailingPoststart a failed poststart hook
// fails the start: a Spawn leaves nothing behind, a Start leaves the
// container stopped.
func TestFailingPoststart(t *testing.T) {
	testutil.RequireRoot(t)
	s, err := libct.Open("local", libct.WithRoot(t.TempDir()), libct.WithFailingPoststart())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	warmUp(t, s)
	fails := libct.Hook{Path: "/bin/sh", Args: []string{"sh", "-c", "echo refused >&2; exit 1"}}
	tests := []struct {
		name  string
		start func(*libct.Container) error
	}{
		{"spawn", func(c *libct.Container) error { return c.Spawn(&libct.Process{Args: []string{"sleep", "100"}}) }},
		{"prepare and start", func(c *libct.Container) error {
			if err := c.Prepare(&libct.Process{Args: []string{"sleep", "100"}}); err != nil {
				return err
			}
			return c.Start()
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := busybox(t)
			cfg.Hooks.Poststart = []libct.Hook{fails}
			c, err := s.Create(uniqueName(t), cfg)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Destroy()
			err = tt.start(c)
			if err == nil || !strings.Contains(err.Error(), "error running poststart hook #0:") || !strings.Contains(err.Error(), "refused") {
				t.Fatalf("start = %v; want the poststart hook's failure", err)
			}
			deadline := time.Now().Add(10 * time.Second)
			for st, _ := c.State(); st != libct.Stopped && time.Now().Before(deadline); st, _ = c.State() {
				time.Sleep(10 * time.Millisecond)
			}
			expectState(t, c, libct.Stopped)
		})
	}
}
