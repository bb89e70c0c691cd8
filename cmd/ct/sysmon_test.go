//go:build cgo

package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

func timerSlackOf(t *testing.T, path string) int {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	n, err := strconv.Atoi(strings.TrimSpace(string(data)))
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return n
}

// The test binary links the wrapper as ct does: one thread of it, not the
// main one, has sysmon's slack, and neither the other threads nor a
// process it forks have it.
func TestOnlySysmonGetsTheTimerSlack(t *testing.T) {
	tasks, err := filepath.Glob("/proc/self/task/*")
	if err != nil || len(tasks) < 2 {
		t.Fatalf("threads: %v, %v", tasks, err)
	}
	pid := strconv.Itoa(os.Getpid())
	var slow []string
	for _, task := range tasks {
		tid := filepath.Base(task)
		// /proc/TID/timerslack_ns is the thread's own, as the kernel
		// keeps the slack per task.
		if timerSlackOf(t, "/proc/"+tid+"/timerslack_ns") == sysmonTimerSlack {
			slow = append(slow, tid)
		}
	}
	if len(slow) != 1 || slow[0] == pid {
		t.Fatalf("threads with %d ns of timer slack: %v (main thread %s), want one other than the main thread", sysmonTimerSlack, slow, pid)
	}
	own := timerSlackOf(t, "/proc/"+pid+"/timerslack_ns")
	out, err := exec.Command("/bin/cat", "/proc/self/timerslack_ns").Output()
	if err != nil {
		t.Fatal(err)
	}
	if child, err := strconv.Atoi(strings.TrimSpace(string(out))); err != nil || child != own {
		t.Fatalf("a forked process has %q ns of timer slack, want the main thread's %d", out, own)
	}
}
