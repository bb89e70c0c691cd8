package libct_test

import (
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/libct/libct"
)

// TestScheduling: personality, I/O priority, scheduling policy and cpu
// affinity reach the program.
func TestScheduling(t *testing.T) {
	s := newSession(t)
	linux32 := uint32(0x0008) // PER_LINUX32
	p := &libct.Process{
		Args:        []string{"/bin/sh", "-c", "uname -m; grep -E 'Cpus_allowed_list' /proc/self/status; cut -d' ' -f41 /proc/self/stat"},
		Personality: &linux32,
		IOPriority:  &libct.IOPriority{Class: libct.IOPrioBestEffort, Level: 6},
		Scheduler:   &libct.Scheduler{Policy: unix.SCHED_BATCH, Nice: 5},
		CPUAffinity: &libct.CPUAffinity{Initial: "0", Final: "0"},
	}
	out := mustRun(t, s, busybox(t), p)
	// Field 41 of /proc/PID/stat is the policy: 3 is SCHED_BATCH.
	for _, want := range []string{"i686", "Cpus_allowed_list:\t0\n", "\n3\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %q in:\n%s", want, out)
		}
	}
	c, err := s.Create(uniqueName(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Destroy()
	for _, bad := range []*libct.Process{
		{Args: []string{"true"}, CPUAffinity: &libct.CPUAffinity{Final: "x-y"}},
		{Args: []string{"true"}, IOPriority: &libct.IOPriority{Class: 9}},
		{Args: []string{"true"}, Scheduler: &libct.Scheduler{Policy: 42}},
	} {
		if err := c.Spawn(bad); err == nil || !strings.Contains(err.Error(), "process.") {
			t.Errorf("bad scheduling: %v", err)
		}
	}
}
