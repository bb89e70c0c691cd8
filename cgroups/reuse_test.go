package cgroups

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// TestCreateRefusesBusyCgroup: a cgroup that exists and holds a process
// is refused (runc's "container's cgroup is not empty"), naming its
// directory and the pid, and the refusal leaves it and its process alone.
func TestCreateRefusesBusyCgroup(t *testing.T) {
	m := create(t, Config{})
	h := startHelper(t, m, "sleep")
	if l := h.line(5 * time.Second); l != "ready" {
		t.Fatalf("helper: %q", l)
	}
	_, err := Create(&Config{Path: testPath(t)})
	var be *BusyCgroupError
	if !errors.As(err, &be) || !errors.Is(err, ErrCgroupNotEmpty) || !errors.Is(err, unix.EBUSY) {
		t.Fatalf("Create into a busy cgroup: %v, want a *BusyCgroupError (ErrCgroupNotEmpty, EBUSY)", err)
	}
	if !strings.Contains(err.Error(), m.State().Path) || !strings.Contains(err.Error(), fmt.Sprint(h.pid())) {
		t.Errorf("error %q does not name the cgroup and pid %d", err, h.pid())
	}
	if pids, err := m.Pids(); err != nil || len(pids) != 1 || pids[0] != h.pid() {
		t.Errorf("after the refusal the cgroup holds %v (%v), want the helper %d", pids, err, h.pid())
	}
}

// TestCreateRefusesFrozenCgroup: an existing frozen cgroup is refused (a
// start in it would hang), and accepted again once thawed and empty.
func TestCreateRefusesFrozenCgroup(t *testing.T) {
	m := create(t, Config{})
	if err := m.Freeze(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Thaw() })
	_, err := Create(&Config{Path: testPath(t)})
	var be *BusyCgroupError
	if !errors.As(err, &be) || !errors.Is(err, ErrCgroupFrozen) || !errors.Is(err, unix.EBUSY) {
		t.Fatalf("Create into a frozen cgroup: %v, want a *BusyCgroupError (ErrCgroupFrozen, EBUSY)", err)
	}
	if !strings.Contains(err.Error(), m.State().Path) || !strings.Contains(err.Error(), "frozen") {
		t.Errorf("error %q does not name the cgroup and say it is frozen", err)
	}
	if err := m.Thaw(); err != nil {
		t.Fatal(err)
	}
	if _, err := Create(&Config{Path: testPath(t)}); err != nil {
		t.Errorf("Create into the same cgroup, empty and thawed: %v", err)
	}
}
