package cgroups

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"golang.org/x/sys/unix"
)

// Why Create refuses a cgroup that existed before it: a container's own
// cgroup is what Kill, Pause and Destroy act on, so processes already in
// it would be killed, frozen and waited for with the container's (runc
// refuses such a cgroup for the same reason), and a frozen one would
// freeze the new init before it reports back, hanging the start. Either
// error also matches EBUSY.
var (
	// ErrCgroupNotEmpty: the container's cgroup, or one below it, holds
	// processes already.
	ErrCgroupNotEmpty = errors.New("cgroup already holds processes")
	// ErrCgroupFrozen: the container's cgroup is frozen already.
	ErrCgroupFrozen = errors.New("cgroup is frozen")
)

// BusyCgroupError is Create's refusal of a cgroup that existed already
// and holds processes or is frozen. errors.Is matches ErrCgroupNotEmpty
// or ErrCgroupFrozen, and EBUSY.
type BusyCgroupError struct {
	// Dir is the cgroup's directory in the hierarchy that showed it.
	Dir string
	// Pids are the processes found in it and below, when it is not empty.
	Pids []int
	// Freezer says what freezes it ("FROZEN", "cgroup.freeze 1", ...), when
	// it is frozen.
	Freezer string
}

// Error reads "container's cgroup is not empty:
// /sys/fs/cgroup/memory/libct/web already holds processes (pids 42, 43)"
// or "container's cgroup unexpectedly frozen: ...", the words runc uses,
// which tools and tests look for.
func (e *BusyCgroupError) Error() string {
	if e.Freezer != "" {
		return fmt.Sprintf("container's cgroup unexpectedly frozen: %s is frozen (%s); thaw it first", e.Dir, e.Freezer)
	}
	return fmt.Sprintf("container's cgroup is not empty: %s already holds processes (pids %s)", e.Dir, pidList(e.Pids))
}

// Unwrap lets errors.Is match the sentinel and EBUSY.
func (e *BusyCgroupError) Unwrap() []error {
	if e.Freezer != "" {
		return []error{ErrCgroupFrozen, unix.EBUSY}
	}
	return []error{ErrCgroupNotEmpty, unix.EBUSY}
}

// checkReusable checks the cgroup directories that existed before Create
// (those not in made): they must hold no process and not be frozen. A
// directory Create made is empty and thawed by construction (its parent
// may be frozen, which is not this check's business), so a fresh cgroup
// costs nothing here.
func (m *manager) checkReusable(made []string) error {
	for _, dir := range m.dirs() {
		if slices.Contains(made, dir) {
			continue
		}
		var pids []int
		if err := walkProcs(dir, func(pid int) { pids = append(pids, pid) }); err != nil {
			return err
		}
		if len(pids) > 0 {
			slices.Sort(pids)
			return &BusyCgroupError{Dir: dir, Pids: pids}
		}
		var freezer string
		switch dir {
		case m.st.V1["freezer"]:
			if state, _ := readFile(dir, "freezer.state"); state != "" && state != "THAWED" {
				freezer = "freezer.state " + state
			}
		case m.st.Unified:
			if v, _ := readFile(dir, "cgroup.freeze"); v == "1" {
				freezer = "cgroup.freeze 1"
			} else if f, err := v2Frozen(dir); err == nil && f {
				freezer = "frozen by an ancestor"
			}
		}
		if freezer != "" {
			return &BusyCgroupError{Dir: dir, Freezer: freezer}
		}
	}
	return nil
}

// pidList reads "1, 2, 3", cut after ten pids.
func pidList(pids []int) string {
	var b strings.Builder
	for i, pid := range pids {
		if i == 10 {
			fmt.Fprintf(&b, " and %d more", len(pids)-10)
			break
		}
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprint(&b, pid)
	}
	return b.String()
}
