package cgroups

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/libct/libct/internal/sysfile"
)

// DefaultWaitLimit bounds every wait for processes to die (Destroy) when
// the caller sets no other limit: long enough for a loaded host to tear
// down a large container, short enough that an engine's delete does not
// look hung.
const DefaultWaitLimit = 10 * time.Second

// ErrProcessesStuck: processes outlived a wait for them to die. The
// *StuckError that carries it says what holds each one.
var ErrProcessesStuck = errors.New("processes did not die")

// StuckError reports the processes that a kill did not end within the
// wait limit, and why, as far as the kernel tells: a freezer cgroup that
// holds them (SIGKILL takes effect on a v1-frozen task only once it is
// thawed), or an uninterruptible sleep. errors.Is matches
// ErrProcessesStuck and EBUSY (what crun returns in this case).
type StuckError struct {
	// Op is what waited: "destroy", "kill".
	Op string
	// Cgroup is the path of the container's cgroup, "" when it has none.
	Cgroup string
	// Waited is the limit that passed.
	Waited time.Duration
	// Procs are the processes still alive, in pid order.
	Procs []StuckProcess
}

// StuckProcess is one process that outlived a kill.
type StuckProcess struct {
	Pid int
	// State is the state letter of /proc/PID/stat ("D", "S", ...).
	State string
	// WChan is the kernel function a sleeping process waits in, when the
	// kernel tells.
	WChan string
	// FrozenBy is the freezer cgroup directory whose freeze holds the
	// process (v1 freezer.self_freezing, v2 cgroup.freeze), "" when none.
	FrozenBy string
	// Foreign tells that FrozenBy is not the container's cgroup nor below
	// it: libct did not freeze it and does not thaw it.
	Foreign bool
}

// Error reads "destroy /libct/web: processes did not die within
// 10s: pid 42 is frozen by /sys/fs/cgroup/freezer/other (a freezer cgroup
// libct does not own: thaw it)".
func (e *StuckError) Error() string {
	var b strings.Builder
	b.WriteString(e.Op)
	if e.Cgroup != "" {
		b.WriteString(" ")
		b.WriteString(e.Cgroup)
	}
	fmt.Fprintf(&b, ": %v within %v", ErrProcessesStuck, e.Waited)
	for i, p := range e.Procs {
		if i == 0 {
			b.WriteString(": ")
		} else {
			b.WriteString("; ")
		}
		b.WriteString(p.String())
	}
	return b.String()
}

// Unwrap lets errors.Is match ErrProcessesStuck and EBUSY.
func (e *StuckError) Unwrap() []error { return []error{ErrProcessesStuck, unix.EBUSY} }

// String says what holds the process.
func (p StuckProcess) String() string {
	switch {
	case p.FrozenBy != "" && p.Foreign:
		return fmt.Sprintf("pid %d is frozen by %s (a freezer cgroup libct does not own: thaw it)", p.Pid, p.FrozenBy)
	case p.FrozenBy != "":
		return fmt.Sprintf("pid %d is frozen by %s", p.Pid, p.FrozenBy)
	case p.State == "D" && p.WChan != "":
		return fmt.Sprintf("pid %d is in uninterruptible sleep (state D, in %s)", p.Pid, p.WChan)
	case p.State == "D":
		return fmt.Sprintf("pid %d is in uninterruptible sleep (state D)", p.Pid)
	case p.State != "":
		return fmt.Sprintf("pid %d (state %s)", p.Pid, p.State)
	}
	return fmt.Sprintf("pid %d", p.Pid)
}

// Stuck builds the StuckError of the processes pids that outlived a wait
// of limit for op. own is the container's cgroup path ("" without one):
// a freezer at or below it is libct's own.
func Stuck(op, own string, limit time.Duration, pids []int) *StuckError {
	e := &StuckError{Op: op, Cgroup: own, Waited: limit}
	for _, pid := range pids {
		p := inspectStuck(pid, own)
		if p.State == "" && p.FrozenBy == "" {
			continue // gone meanwhile
		}
		e.Procs = append(e.Procs, p)
	}
	return e
}

// inspectStuck reads what holds pid from /proc and the freezer cgroups.
func inspectStuck(pid int, own string) StuckProcess {
	p := StuckProcess{Pid: pid}
	proc := "/proc/" + strconv.Itoa(pid)
	if data, err := sysfile.ReadPseudo(proc + "/stat"); err == nil {
		p.State = procState(data)
	}
	if p.State == "D" {
		if w, err := os.ReadFile(proc + "/wchan"); err == nil && len(w) > 0 && string(w) != "0" {
			p.WChan = string(w)
		}
	}
	data, err := sysfile.ReadPseudo(proc + "/cgroup")
	if err != nil {
		return p
	}
	l, err := hostLayout()
	if err != nil {
		return p
	}
	for _, line := range strings.Split(string(data), "\n") {
		// hierarchy-ID:controller-list:path
		parts := strings.SplitN(line, ":", 3)
		if len(parts) != 3 {
			continue
		}
		var mnt, frozen string
		switch {
		case parts[0] == "0" && parts[1] == "" && l.unified != "":
			mnt, frozen = l.unified, frozenAncestor(l.unified, parts[2], "cgroup.freeze", "1")
		case hasController(parts[1], "freezer") && l.v1["freezer"] != nil:
			mnt, frozen = l.v1["freezer"].mount, frozenAncestor(l.v1["freezer"].mount, parts[2], "freezer.self_freezing", "1")
		}
		if frozen != "" {
			p.FrozenBy = filepath.Join(mnt, frozen)
			// The freeze is libct's when the cgroup that asked for it is
			// the container's or below.
			p.Foreign = own == "" || !(frozen == own || strings.HasPrefix(frozen, own+"/"))
			if p.Foreign {
				break
			}
		}
	}
	return p
}

// frozenAncestor returns the path of the nearest cgroup at or above path
// (in the hierarchy mounted at mnt) whose file says value: the one that
// froze it.
func frozenAncestor(mnt, path, file, value string) string {
	for p := filepath.Clean("/" + path); p != "/"; p = filepath.Dir(p) {
		if v, err := readFile(filepath.Join(mnt, p), file); err == nil && v == value {
			return p
		}
	}
	return ""
}

func hasController(list, ctl string) bool {
	for _, c := range strings.Split(list, ",") {
		if c == ctl {
			return true
		}
	}
	return false
}

// procState is the state letter of a /proc/PID/stat: the field after the
// command name, which may hold spaces and parentheses.
func procState(stat []byte) string {
	i := bytes.LastIndexByte(stat, ')')
	if i < 0 || i+2 >= len(stat) {
		return ""
	}
	return string(stat[i+2])
}
