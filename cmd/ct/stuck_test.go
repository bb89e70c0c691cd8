package main

// Tests of what ct does with processes a kill cannot end at once, with
// cgroups it must not take, and with a container without a pid namespace
// whose init died.

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// cgroupProcs lists the processes of container id's cgroup, read in the
// unified hierarchy of a v2 host or a v1 one's pids (or memory)
// hierarchy.
func cgroupProcs(t *testing.T, id string) []int {
	t.Helper()
	for _, dir := range []string{"/sys/fs/cgroup/pids", "/sys/fs/cgroup/memory", "/sys/fs/cgroup"} {
		b, err := os.ReadFile(filepath.Join(dir, "libct", id, "cgroup.procs"))
		if err != nil {
			continue
		}
		var pids []int
		for _, f := range strings.Fields(string(b)) {
			if pid, err := strconv.Atoi(f); err == nil {
				pids = append(pids, pid)
			}
		}
		return pids
	}
	t.Fatalf("no cgroup of %s found", id)
	return nil
}

// freezerDir makes the freezer cgroup of path (v1 freezer hierarchy, else
// the unified one) before any container, and returns a function that
// freezes (true) or thaws (false) it. It is thawed and removed at the
// end of the test, after the cleanups registered later.
func freezerDir(t *testing.T, path string) (string, func(bool)) {
	t.Helper()
	mnt, file, on, off := "/sys/fs/cgroup", "cgroup.freeze", "1", "0"
	if _, err := os.Stat("/sys/fs/cgroup/freezer/cgroup.procs"); err == nil {
		mnt, file, on, off = "/sys/fs/cgroup/freezer", "freezer.state", "FROZEN", "THAWED"
	}
	dir := filepath.Join(mnt, path)
	var made []string
	for d := dir; d != mnt; d = filepath.Dir(d) {
		if _, err := os.Stat(d); err == nil {
			break
		}
		made = append([]string{d}, made...)
	}
	for _, d := range made {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() {
		os.WriteFile(filepath.Join(dir, file), []byte(off), 0)
		for i := len(made) - 1; i >= 0; i-- {
			for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(10 * time.Millisecond) {
				err := unix.Rmdir(made[i])
				// A parent shared with another test's container stays.
				if err == nil || err == unix.ENOENT || i < len(made)-1 && err == unix.EBUSY {
					break
				}
				if time.Now().After(deadline) {
					t.Errorf("remove %s: %v", made[i], err)
					break
				}
			}
		}
	})
	return dir, func(frozen bool) {
		t.Helper()
		value := off
		if frozen {
			value = on
		}
		if err := os.WriteFile(filepath.Join(dir, file), []byte(value), 0); err != nil {
			t.Fatal(err)
		}
	}
}

// TestDeleteForeignFreezer: the init of a running container is moved
// into a frozen freezer cgroup ct does not own. delete -f returns within
// its wait limit (10 s) instead of hanging: on v1, where SIGKILL cannot
// end a frozen task, with an error naming the pid and that cgroup; on v2,
// where it can, with success. Once thawed, delete -f removes everything.
func TestDeleteForeignFreezer(t *testing.T) {
	e := newOCIEnv(t)
	id := e.id("frozen")
	e.ok("run", "-d", "-b", e.bundle([]string{"sleep", "1000"}, nil), id)
	pid := e.state(id).Pid
	dir, setFrozen := freezerDir(t, fmt.Sprintf("/libct-cttest-frozen-%d", os.Getpid()))
	t.Cleanup(func() { setFrozen(false) })
	if err := os.WriteFile(filepath.Join(dir, "cgroup.procs"), []byte(strconv.Itoa(pid)), 0); err != nil {
		t.Fatal(err)
	}
	setFrozen(true)
	v1 := strings.HasPrefix(dir, "/sys/fs/cgroup/freezer/")

	start := time.Now()
	res := e.ct("delete", "-f", id)
	took := time.Since(start)
	if took > 20*time.Second {
		t.Errorf("delete -f took %v", took)
	}
	if !v1 {
		if res.code != 0 {
			t.Fatalf("delete -f of a container frozen by a foreign v2 cgroup: exit %d, stderr %q", res.code, res.stderr)
		}
		checkNoCgroup(t, id)
		return
	}
	want := fmt.Sprintf("pid %d is frozen by %s", pid, dir)
	if res.code != 1 || !strings.Contains(res.stderr, want) {
		t.Fatalf("delete -f of a container frozen by a foreign freezer: exit %d after %v, stderr %q; want 1 saying %q", res.code, took, res.stderr, want)
	}
	setFrozen(false)
	e.ok("delete", "-f", id)
	checkNoCgroup(t, id)
	if alive(pid) {
		t.Errorf("init %d alive after delete -f", pid)
	}
}

// TestRunIntoBusyCgroup: run and create refuse a cgroup that already
// holds processes (runc: "container's cgroup is not empty") or that is
// frozen (a start in it would hang), naming its directory, and leave it
// and its processes alone.
func TestRunIntoBusyCgroup(t *testing.T) {
	e := newOCIEnv(t)
	first := e.id("owner")
	e.ok("run", "-d", "-b", e.bundle([]string{"sleep", "1000"}, nil), first)
	shared := e.bundle([]string{"sleep", "1000"}, func(s *specs.Spec) {
		s.Linux.CgroupsPath = "/libct/" + first
	})
	for _, cmd := range []string{"run", "create"} {
		id := e.id("intruder")
		res := e.ct(cmd, "-d", "-b", shared, id)
		if res.code != 1 || !strings.Contains(res.stderr, "/libct/"+first+" already holds processes") {
			t.Errorf("%s into a busy cgroup: exit %d, stderr %q; want 1 naming the cgroup", cmd, res.code, res.stderr)
		}
		if res := e.ct("state", id); res.code == 0 {
			t.Errorf("%s left container %s", cmd, id)
		}
	}
	e.checkState(first, specs.StateRunning)

	frozenPath := "/libct/" + e.id("frozen")
	dir, setFrozen := freezerDir(t, frozenPath)
	setFrozen(true)
	bundle := e.bundle([]string{"sleep", "1000"}, func(s *specs.Spec) { s.Linux.CgroupsPath = frozenPath })
	id := e.id("into-frozen")
	res := e.ct("run", "-d", "-b", bundle, id)
	if res.code != 1 || !strings.Contains(res.stderr, dir+" is frozen") {
		t.Errorf("run into a frozen cgroup: exit %d, stderr %q; want 1 naming %s", res.code, res.stderr, dir)
	}
	if _, err := os.Stat(dir); err != nil {
		t.Errorf("the refused frozen cgroup is gone: %v", err)
	}
}

// TestHostPIDNamespaceInitGone: a container without a pid namespace
// whose init was killed leaves its other processes in its cgroup; kill
// --all KILL and kill KILL (runc's "kill KILL [host pidns + init gone]")
// and delete ("delete [host pidns + init gone]") end them. kill KILL of
// such a container whose init lives ends them all too ("kill KILL [host
// pidns]").
func TestHostPIDNamespaceInitGone(t *testing.T) {
	e := newOCIEnv(t)
	bundle := e.bundle([]string{"sh", "-c", "sleep 1000 & sleep 1000 & wait"}, func(s *specs.Spec) {
		var ns []specs.LinuxNamespace
		for _, n := range s.Linux.Namespaces {
			if n.Type != specs.PIDNamespace {
				ns = append(ns, n)
			}
		}
		s.Linux.Namespaces = ns
	})
	for _, end := range []string{"kill --all", "kill", "kill running", "delete"} {
		t.Run(end, func(t *testing.T) {
			e := e.sub(t)
			id := e.id("hostpid")
			e.ok("run", "-d", "-b", bundle, id)
			init := e.state(id).Pid
			var pids []int
			for deadline := time.Now().Add(5 * time.Second); len(pids) < 3; time.Sleep(10 * time.Millisecond) {
				if pids = cgroupProcs(t, id); time.Now().After(deadline) {
					t.Fatalf("cgroup of %s holds %v, want the init and two sleeps", id, pids)
				}
			}
			if end != "kill running" {
				if err := syscall.Kill(init, syscall.SIGKILL); err != nil {
					t.Fatal(err)
				}
				e.waitStatus(id, specs.StateStopped)
			}
			switch end {
			case "kill --all", "kill", "kill running":
				args := []string{"kill", id, "KILL"}
				if end == "kill --all" {
					args = []string{"kill", "--all", id, "KILL"}
				}
				e.ok(args...)
				for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(10 * time.Millisecond) {
					if left := livePids(pids); len(left) == 0 {
						break
					} else if time.Now().After(deadline) {
						t.Fatalf("processes %v outlive %s", left, end)
					}
				}
				e.ok("delete", id)
			case "delete":
				e.ok("delete", id)
				if left := livePids(pids); len(left) > 0 {
					t.Errorf("processes %v outlive delete", left)
				}
			}
			checkNoCgroup(t, id)
		})
	}
}

func livePids(pids []int) []int {
	var out []int
	for _, pid := range pids {
		if alive(pid) {
			out = append(out, pid)
		}
	}
	return out
}
