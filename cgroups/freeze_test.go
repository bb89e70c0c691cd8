package cgroups

import (
	"strconv"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// TestFreeze: a frozen counter makes no progress; thawed, it goes on.
func TestFreeze(t *testing.T) {
	m := create(t, Config{Controllers: []string{"freezer"}})
	h := startHelper(t, m, "count")
	var last atomic.Int64
	go func() {
		for l := range h.lines {
			if n, err := strconv.Atoi(l); err == nil {
				last.Store(int64(n))
			}
		}
	}()
	waitFor(t, 10*time.Second, "the counter to count", func() bool { return last.Load() > 3 })
	if err := m.Freeze(); err != nil {
		t.Fatal(err)
	}
	if f, err := m.Frozen(); err != nil || !f {
		t.Fatalf("Frozen() = %v, %v after Freeze", f, err)
	}
	time.Sleep(100 * time.Millisecond) // what was printed before arrives
	a := last.Load()
	time.Sleep(400 * time.Millisecond)
	if b := last.Load(); b != a {
		t.Errorf("frozen counter went from %d to %d", a, b)
	}
	// Freeze is idempotent.
	if err := m.Freeze(); err != nil {
		t.Fatal(err)
	}
	if err := m.Thaw(); err != nil {
		t.Fatal(err)
	}
	if f, err := m.Frozen(); err != nil || f {
		t.Fatalf("Frozen() = %v, %v after Thaw", f, err)
	}
	waitFor(t, 10*time.Second, "the counter to resume", func() bool { return last.Load() > a+3 })

	// Kill of a frozen cgroup with another signal leaves it frozen; with
	// SIGKILL the processes die.
	if err := m.Freeze(); err != nil {
		t.Fatal(err)
	}
	if err := m.Kill(syscall.SIGCONT); err != nil {
		t.Fatal(err)
	}
	if f, _ := m.Frozen(); !f {
		t.Error("Kill(SIGCONT) thawed a frozen cgroup")
	}
	if err := m.Kill(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	if err := h.wait(10 * time.Second); err == nil {
		t.Error("the counter survived SIGKILL while frozen")
	}
}
