package e2e

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// cgroupRoot is where the cgroup hierarchies are mounted: one directory
// per v1 hierarchy (cpu, memory, ..., systemd) and unified for cgroup2 on
// a hybrid host, or the cgroup2 tree itself on a pure v2 host.
const cgroupRoot = "/sys/fs/cgroup"

// cgroupDirs returns the directories named rel (a cgroup path such as
// "/libct-test") that exist in some hierarchy.
func cgroupDirs(rel string) []string {
	var dirs []string
	candidates := []string{filepath.Join(cgroupRoot, rel)}
	entries, _ := os.ReadDir(cgroupRoot)
	for _, e := range entries {
		if e.IsDir() {
			candidates = append(candidates, filepath.Join(cgroupRoot, e.Name(), rel))
		}
	}
	for _, d := range candidates {
		if fi, err := os.Stat(d); err == nil && fi.IsDir() {
			dirs = append(dirs, d)
		}
	}
	return dirs
}

// cgroupChildren lists the child cgroups (subdirectories) of dir.
func cgroupChildren(dir string) []string {
	entries, _ := os.ReadDir(dir)
	var names []string
	for _, e := range entries {
		if e.IsDir() {
			names = append(names, e.Name())
		}
	}
	return names
}

// removeCgroupTree removes the cgroup dir and every cgroup below it,
// deepest first, with rmdir only (never rm: cgroupfs refuses it, and an
// rmdir of a cgroup that still has processes fails, which is reported).
func removeCgroupTree(dir string) error {
	// conmon makes "<controller>/<parent>/conmon/tasks" for each
	// controller of its own cgroup, also where no hierarchy of that
	// controller is mounted: plain directories on /sys/fs/cgroup's tmpfs.
	var fs unix.Statfs_t
	if err := unix.Statfs(dir, &fs); err == nil && fs.Type != unix.CGROUP_SUPER_MAGIC && fs.Type != unix.CGROUP2_SUPER_MAGIC {
		return os.RemoveAll(dir)
	}
	var errs []error
	for _, child := range cgroupChildren(dir) {
		if err := removeCgroupTree(filepath.Join(dir, child)); err != nil {
			errs = append(errs, err)
		}
	}
	// A cgroup emptied a moment ago may still be busy.
	var err error
	for i := 0; i < 50; i++ {
		if err = unix.Rmdir(dir); err == nil || errors.Is(err, unix.ENOENT) {
			err = nil
			break
		}
		if !errors.Is(err, unix.EBUSY) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		errs = append(errs, fmt.Errorf("rmdir %s: %w (procs: %s)", dir, err, cgroupProcs(dir)))
	}
	return errors.Join(errs...)
}

func cgroupProcs(dir string) string {
	data, _ := os.ReadFile(filepath.Join(dir, "cgroup.procs"))
	return strings.Join(strings.Fields(string(data)), " ")
}

// leakCheck describes what an engine test may have left behind.
type leakCheck struct {
	// cgroupParents are the engine's cgroup parents (such as
	// "/libct-test"); below them only engineCgroups may remain. When
	// sharedParents is set, other runs may use them too, and only the
	// children named by one of ids count.
	cgroupParents []string
	sharedParents bool
	// engineCgroups are child cgroups the engine itself makes and keeps
	// (podman's "conmon"), removed by the test's own cleanup.
	engineCgroups []string
	// ids are the containers the test made: none may keep a cgroup under
	// /libct (ct's default parent) or a state directory in stateRoots.
	ids        []string
	stateRoots []string
	// dir is the test's temporary directory: no mount may remain below
	// it, no process may name it.
	dir string
}

// find returns every leftover, or nothing when all is clean.
func (l *leakCheck) find() []string {
	var leaks []string
	for _, parent := range l.cgroupParents {
		for _, d := range cgroupDirs(parent) {
			for _, child := range cgroupChildren(d) {
				if l.sharedParents && !l.names(child) {
					continue
				}
				if !slices.Contains(l.engineCgroups, child) {
					leaks = append(leaks, fmt.Sprintf("cgroup %s (procs: %s)", filepath.Join(d, child), cgroupProcs(filepath.Join(d, child))))
				}
			}
		}
	}
	for _, id := range l.ids {
		for _, d := range cgroupDirs(filepath.Join("/libct", id)) {
			leaks = append(leaks, "cgroup "+d)
		}
		for _, root := range l.stateRoots {
			if _, err := os.Lstat(filepath.Join(root, id)); err == nil {
				leaks = append(leaks, "ct state directory "+filepath.Join(root, id))
			}
		}
	}
	leaks = append(leaks, l.mounts()...)
	leaks = append(leaks, l.processes()...)
	return leaks
}

// mounts lists the mounts below the test's directory or naming one of
// its containers.
func (l *leakCheck) mounts() []string {
	data, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		return []string{"read mountinfo: " + err.Error()}
	}
	var leaks []string
	for _, line := range strings.Split(string(data), "\n") {
		fields := strings.Fields(line)
		if len(fields) < 5 {
			continue
		}
		if l.names(fields[4]) || l.names(fields[3]) {
			leaks = append(leaks, "mount "+line)
		}
	}
	return leaks
}

// names tells whether s is, or is below, the test's directory, or names
// one of its containers.
func (l *leakCheck) names(s string) bool {
	if l.dir != "" && (s == l.dir || strings.HasPrefix(s, l.dir+"/")) {
		return true
	}
	for _, id := range l.ids {
		if strings.Contains(s, id) {
			return true
		}
	}
	return false
}

// processes lists the processes (but this one) whose command line names
// the test's directory or one of its containers, or that are in one of
// its cgroups.
func (l *leakCheck) processes() []string {
	var leaks []string
	self := os.Getpid()
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == self {
			continue
		}
		cmdline, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
		if err != nil {
			continue // gone meanwhile
		}
		args := strings.Split(strings.TrimRight(string(cmdline), "\x00"), "\x00")
		hit := false
		for _, a := range args {
			if l.dir != "" && strings.Contains(a, l.dir) {
				hit = true
			}
			for _, id := range l.ids {
				if strings.Contains(a, id) {
					hit = true
				}
			}
		}
		cg, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cgroup", pid))
		for _, parent := range l.cgroupParents {
			if bytes.Contains(cg, []byte(":"+parent+"/")) {
				hit = true
			}
		}
		for _, id := range l.ids {
			if bytes.Contains(cg, []byte("/libct/"+id)) {
				hit = true
			}
		}
		if hit {
			leaks = append(leaks, fmt.Sprintf("process %d: %s", pid, strings.Join(args, " ")))
		}
	}
	return leaks
}

// check waits a little for the engine's asynchronous cleanup (conmon's
// exit command, a shim's shutdown) and fails t with every leftover.
func (l *leakCheck) check(t testing.TB) {
	t.Helper()
	var leaks []string
	waitFor(5*time.Second, func() bool {
		leaks = l.find()
		return len(leaks) == 0
	})
	for _, leak := range leaks {
		t.Errorf("left behind: %s", leak)
	}
}

// unmountBelow detaches every mount below dir (deepest first) and returns
// them: a directory is removed only once nothing is mounted in it, so
// that its removal cannot reach into another file system.
func unmountBelow(dir string) []string {
	data, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		return nil
	}
	var points []string
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) >= 5 && strings.HasPrefix(fields[4], dir+"/") {
			points = append(points, fields[4])
		}
	}
	slices.SortFunc(points, func(a, b string) int { return len(b) - len(a) })
	for _, p := range points {
		unix.Unmount(p, unix.MNT_DETACH)
	}
	return points
}

// removeTree removes dir after detaching what is mounted below it.
func removeTree(t testing.TB, dir string) {
	t.Helper()
	if points := unmountBelow(dir); len(points) > 0 {
		t.Errorf("mounts left below %s (detached now): %s", dir, strings.Join(points, ", "))
	}
	if err := os.RemoveAll(dir); err != nil {
		t.Errorf("remove %s: %v", dir, err)
	}
}

// dirEntries lists the names in dir (none when it does not exist).
func dirEntries(dir string) []string {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

// missingPaths returns those of paths that do not exist yet: what an
// engine makes there during the test is removed at its end.
func missingPaths(paths ...string) []string {
	var missing []string
	for _, p := range paths {
		if _, err := os.Lstat(p); errors.Is(err, fs.ErrNotExist) {
			missing = append(missing, p)
		}
	}
	return missing
}

// stopPID ends a process the test started (by its PID): sig first, then
// SIGKILL after grace. done is closed when it has been reaped.
func stopPID(pid int, done <-chan struct{}, sig syscall.Signal, grace time.Duration) (killed bool) {
	syscall.Kill(pid, sig)
	select {
	case <-done:
		return false
	case <-time.After(grace):
	}
	syscall.Kill(pid, syscall.SIGKILL)
	<-done
	return true
}

// cidOf is the full ID of container name, from its cidfile in dir (the
// engines' --cidfile).
func cidOf(t testing.TB, dir, name string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, name))
	id := strings.TrimSpace(string(data))
	if err != nil || id == "" {
		t.Fatalf("container %s: no ID in its cidfile: %v", name, err)
	}
	return id
}

// cidsIn are the IDs of the cidfiles in dir: every container a test made.
func cidsIn(dir string) []string {
	var ids []string
	for _, name := range dirEntries(dir) {
		if data, err := os.ReadFile(filepath.Join(dir, name)); err == nil && len(data) > 0 {
			ids = append(ids, strings.TrimSpace(string(data)))
		}
	}
	return ids
}

// checkShimSocketsGone fails t when shimSocketDir holds a socket that
// was not among before, once the shims had a moment to go.
func checkShimSocketsGone(t testing.TB, before []string) {
	t.Helper()
	var sockets []string
	waitFor(5*time.Second, func() bool {
		sockets = nil
		for _, s := range dirEntries(shimSocketDir) {
			if !contains(before, s) {
				sockets = append(sockets, s)
			}
		}
		return len(sockets) == 0
	})
	if len(sockets) > 0 {
		t.Errorf("shim sockets left in %s: %v", shimSocketDir, sockets)
	}
}
