package testutil

import (
	"bufio"
	"bytes"
	"io"
	"os"
	"slices"
	"strconv"
	"testing"
)

// MountCount returns the number of mounts the calling process sees: the
// lines of /proc/self/mountinfo. Compare it before and after an operation to
// find leaked mounts.
func MountCount(t testing.TB) int {
	t.Helper()
	data, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		t.Fatalf("count mounts: %v", err)
	}
	return bytes.Count(data, []byte("\n"))
}

// OpenFDs returns the number of open file descriptors of the process: the
// entries of /proc/self/fd, not counting the one used to list them.
func OpenFDs(t testing.TB) int {
	t.Helper()
	d, err := os.Open("/proc/self/fd")
	if err != nil {
		t.Fatalf("count fds: %v", err)
	}
	defer d.Close()
	own := strconv.Itoa(int(d.Fd()))
	names, err := d.Readdirnames(-1)
	if err != nil && err != io.EOF {
		t.Fatalf("count fds: %v", err)
	}
	n := 0
	for _, name := range names {
		if name != own {
			n++
		}
	}
	return n
}

// ChildPIDs returns, sorted, the pids of the processes whose parent is the
// calling process (PPid in /proc/PID/status equals os.Getpid()), zombies
// included. Use it to find children that were not reaped.
func ChildPIDs(t testing.TB) []int {
	t.Helper()
	d, err := os.Open("/proc")
	if err != nil {
		t.Fatalf("list processes: %v", err)
	}
	names, err := d.Readdirnames(-1)
	d.Close()
	if err != nil && err != io.EOF {
		t.Fatalf("list processes: %v", err)
	}
	self := os.Getpid()
	var pids []int
	for _, name := range names {
		pid, err := strconv.Atoi(name)
		if err != nil || pid <= 0 {
			continue
		}
		// A process may exit while we look: skip what we cannot read.
		if ppid, ok := parentPID(pid); ok && ppid == self {
			pids = append(pids, pid)
		}
	}
	slices.Sort(pids)
	return pids
}

func parentPID(pid int) (int, bool) {
	f, err := os.Open("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0, false
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if v, found := bytes.CutPrefix(s.Bytes(), []byte("PPid:")); found {
			ppid, err := strconv.Atoi(string(bytes.TrimSpace(v)))
			return ppid, err == nil
		}
	}
	return 0, false
}
