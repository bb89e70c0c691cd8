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
