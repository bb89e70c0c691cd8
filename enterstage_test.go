package libct_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/libct/libct"
	"github.com/libct/libct/cgroups"
	"github.com/libct/libct/internal/nsenter"
)

// checkNoEnterStageError checks that err is libct's one refusal of what
// needs the enter stage: errors.Is finds it, and its text names what is
// missing and why, along with context (the container's name, the field).
func checkNoEnterStageError(t *testing.T, err error, context string) {
	t.Helper()
	if !errors.Is(err, libct.ErrNoEnterStage) {
		t.Fatalf("error %v is not libct.ErrNoEnterStage", err)
	}
	for _, words := range []string{context, "user, mount or time namespace", "enter stage", "cgo", "CGO_ENABLED=1"} {
		if !strings.Contains(err.Error(), words) {
			t.Errorf("error %q does not name %q", err, words)
		}
	}
}

// TestEnterWithoutEnterStage: Enter into a container with a mount
// namespace works with the enter stage; without it (CGO_ENABLED=0) it is
// refused with ErrNoEnterStage before anything starts: the container's
// processes are those it had, and no process, mount or descriptor is
// left in the caller.
func TestEnterWithoutEnterStage(t *testing.T) {
	s := newSession(t)
	c := sleeper(t, s, cgroupConfig(t, libct.Resources{}))
	before, err := c.Processes()
	if err != nil {
		t.Fatal(err)
	}
	r, w := pipe(t)
	leaks := newLeakCheck(t)
	task, err := c.Enter(&libct.Process{Args: []string{"echo", "entered"}, Stdout: w, Stderr: w})
	w.Close()
	leaks.fds-- // the closed end of the pipe
	if nsenter.Available {
		if err != nil {
			t.Fatalf("Enter with the enter stage linked in: %v", err)
		}
		task.Wait()
		if out := readAll(t, r); !strings.Contains(out, "entered") {
			t.Errorf("entered process printed %q", out)
		}
		return
	}
	if task != nil {
		t.Errorf("Enter returned a task along with its refusal")
	}
	checkNoEnterStageError(t, err, c.Name())
	leaks.verify(t)
	after, err := c.Processes()
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(before, after) {
		t.Errorf("container processes %v after the refused Enter, %v before", after, before)
	}
	expectState(t, c, libct.Running)
}

// TestEnterWithoutMountNamespace: what needs no enter stage works in every
// build: Enter into a container whose namespaces are only pid, uts, ipc
// and net (its root by chroot) joins them, with or without cgo.
func TestEnterWithoutMountNamespace(t *testing.T) {
	s := newSession(t)
	cfg := busybox(t)
	cfg.Namespaces = libct.NewPID | libct.NewUTS | libct.NewIPC | libct.NewNet
	cfg.Hostname = "no-mnt"
	c := sleeper(t, s, cfg)
	r, w := pipe(t)
	task, err := c.Enter(&libct.Process{Args: []string{"/bin/sh", "-c", `hostname; echo "pid $$"`}, Stdout: w, Stderr: w})
	w.Close()
	if err != nil {
		t.Fatalf("Enter into a container without user, mount or time namespaces: %v", err)
	}
	if st, err := task.Wait(); err != nil || st.Code != 0 {
		t.Errorf("entered process: %v %v", st, err)
	}
	// A pid of the container's namespace, where sleep is 1, is small.
	out := readAll(t, r)
	if f := strings.Fields(out); len(f) != 3 || f[0] != "no-mnt" || f[1] != "pid" || atoi(f[2]) <= 1 || atoi(f[2]) > 10 {
		t.Errorf("entered process printed %q, want the container's hostname and a pid of its namespace", out)
	}
}

// TestJoinByPathWithoutEnterStage: a container that joins another's user
// namespace by path starts with the enter stage; without it the Config is
// refused at Create with a *ConfigError on the field, wrapping
// ErrNoEnterStage, and nothing of the container is made: no state
// directory, no cgroup, no process, mount or descriptor.
func TestJoinByPathWithoutEnterStage(t *testing.T) {
	s := newSession(t)
	owner := busybox(t)
	owner.Namespaces |= libct.NewUser
	owner.UIDMappings = []libct.IDMap{{ContainerID: 0, HostID: 100000, Size: 65536}}
	owner.GIDMappings = owner.UIDMappings
	a := sleeper(t, s, owner)
	pid, err := a.Pid()
	if err != nil {
		t.Fatal(err)
	}
	cfg := cgroupConfig(t, libct.Resources{})
	cfg.NamespacePaths = map[libct.Namespaces]string{libct.NewUser: fmt.Sprintf("/proc/%d/ns/user", pid)}
	name := uniqueName(t)
	leaks := newLeakCheck(t)
	c, err := s.Create(name, cfg)
	if nsenter.Available {
		if err != nil {
			t.Fatalf("Create with the enter stage linked in: %v", err)
		}
		defer c.Destroy()
		if out, st, err := spawnAndWait(c, sh("echo joined")); err != nil || st != (libct.ExitStatus{}) || !strings.Contains(out, "joined") {
			t.Fatalf("start joining a user namespace: %v %v %q", st, err, out)
		}
		return
	}
	checkNoEnterStageError(t, err, "namespacePaths[user]")
	var ce *libct.ConfigError
	if !errors.As(err, &ce) || ce.Field != "namespacePaths[user]" || !errors.Is(err, libct.ErrInvalidConfig) {
		t.Errorf("error %#v is not a ConfigError on namespacePaths[user]", err)
	}
	leaks.verify(t)
	if _, err := os.Stat(filepath.Join(s.Root(), name)); !os.IsNotExist(err) {
		t.Errorf("state directory of the refused container: %v", err)
	}
	if dirs := cgroupDirs(cgroups.DefaultPath(name)); len(dirs) > 0 {
		t.Errorf("cgroup of the refused container: %v", dirs)
	}
}
