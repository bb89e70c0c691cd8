package libct

import (
	"fmt"
	"strconv"
	"strings"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/libct/libct/internal/quote"
)

// IOPriority is the I/O scheduling class and level of a process
// (ioprio_set(2)).
type IOPriority struct {
	// Class is IOPrioRealtime, IOPrioBestEffort or IOPrioIdle.
	Class int `json:"class"`
	// Level is the priority inside the class, 0 (highest) to 7.
	Level int `json:"level"`
}

// The I/O priority classes.
const (
	IOPrioRealtime   = 1
	IOPrioBestEffort = 2
	IOPrioIdle       = 3
)

// Scheduler is the CPU scheduling policy of a process
// (sched_setattr(2)): Policy is one of unix.SCHED_OTHER, SCHED_FIFO,
// SCHED_RR, SCHED_BATCH, SCHED_IDLE, SCHED_DEADLINE; the other fields
// mean what sched_setattr gives them.
type Scheduler struct {
	Policy   uint32 `json:"policy"`
	Nice     int32  `json:"nice,omitempty"`
	Priority uint32 `json:"priority,omitempty"`
	Flags    uint64 `json:"flags,omitempty"`
	Runtime  uint64 `json:"runtime,omitempty"`
	Deadline uint64 `json:"deadline,omitempty"`
	Period   uint64 `json:"period,omitempty"`
}

// CPUAffinity pins a process to cpus, lists like "0-2,5": Initial for
// its start, Final for the program. Without it a process runs on every
// cpu its cgroup's cpuset allows, whatever the caller's own affinity.
type CPUAffinity struct {
	Initial string `json:"initial,omitempty"`
	Final   string `json:"final,omitempty"`
}

// parseCPUList reads a cpu list ("0-2,5") into a set.
func parseCPUList(list string) (unix.CPUSet, error) {
	var set unix.CPUSet
	set.Zero()
	for _, part := range strings.Split(list, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		lo, hi, isRange := strings.Cut(part, "-")
		a, err := strconv.Atoi(lo)
		b := a
		if err == nil && isRange {
			b, err = strconv.Atoi(hi)
		}
		if err != nil || a < 0 || b < a || b >= len(set)*64 {
			return set, fmt.Errorf("%s is not a cpu list", quote.Value(list))
		}
		for cpu := a; cpu <= b; cpu++ {
			set.Set(cpu)
		}
	}
	if set.Count() == 0 {
		return set, fmt.Errorf("%s names no cpu", quote.Value(list))
	}
	return set, nil
}

// startAffinity sets the cpus a just-started process may run on, before
// it runs anything of its own: every cpu its cgroup allows, not the
// caller's affinity (a caller started by taskset would pass its pinning
// on to every container otherwise), and then the Initial ones, when the
// process asks for them.
func startAffinity(p *Process, pid int) error {
	if p.CPUAffinity != nil && p.CPUAffinity.Initial != "" {
		set, err := parseCPUList(p.CPUAffinity.Initial)
		if err != nil {
			return err
		}
		if err := unix.SchedSetaffinity(pid, &set); err != nil {
			return fmt.Errorf("process.cpuAffinity.initial: %w", err)
		}
		return nil
	}
	return resetAffinity(pid)
}

// allCPUsMask is the size in bytes of the mask resetAffinity passes: the
// kernel takes up to its own mask's size of it, so any larger count of
// cpus than it supports does.
const allCPUsMask = 8192 / 8

// resetAffinity lets pid run on every cpu its cpuset allows. The kernel
// keeps of a mask only the cpus the task's cpuset has, and (since Linux
// 6.2) remembers the mask asked for, so that a later move to another
// cpuset gives the task all of that one's cpus rather than those it
// shares with the caller's pinning.
func resetAffinity(pid int) error {
	var mask [allCPUsMask]byte
	for i := range mask {
		mask[i] = 0xff
	}
	_, _, errno := unix.RawSyscall(unix.SYS_SCHED_SETAFFINITY, uintptr(pid), uintptr(len(mask)), uintptr(unsafe.Pointer(&mask[0])))
	if errno != 0 {
		return fmt.Errorf("reset the cpu affinity to every cpu of the cgroup: sched_setaffinity: %w", errno)
	}
	return nil
}

func (p *Process) validateScheduling() error {
	if io := p.IOPriority; io != nil {
		if io.Class < IOPrioRealtime || io.Class > IOPrioIdle {
			return invalid("process.ioPriority.class", "%d is not a class (1 realtime, 2 best effort, 3 idle)", io.Class)
		}
		if io.Level < 0 || io.Level > 7 {
			return invalid("process.ioPriority.level", "%d is not in 0..7", io.Level)
		}
	}
	if s := p.Scheduler; s != nil {
		switch s.Policy {
		case unix.SCHED_NORMAL, unix.SCHED_FIFO, unix.SCHED_RR, unix.SCHED_BATCH, unix.SCHED_IDLE, unix.SCHED_DEADLINE:
		default:
			return invalid("process.scheduler.policy", "%d is not a scheduling policy", s.Policy)
		}
		if s.Nice < -20 || s.Nice > 19 {
			return invalid("process.scheduler.nice", "%d is not in -20..19", s.Nice)
		}
	}
	if a := p.CPUAffinity; a != nil {
		for field, list := range map[string]string{"initial": a.Initial, "final": a.Final} {
			if list == "" {
				continue
			}
			if _, err := parseCPUList(list); err != nil {
				return invalid("process.cpuAffinity."+field, "%v", err)
			}
		}
	}
	return nil
}

// checkDeadlineCpus refuses SCHED_DEADLINE for a process of a container
// whose cgroup picks its cpus (runc refuses the pair too): sched_setattr
// fails with EPERM for a deadline task that may not run on every cpu of
// its root domain, and said so only once the process was started.
func (p *Process) checkDeadlineCpus(cfg *Config) error {
	if p.Scheduler == nil || p.Scheduler.Policy != unix.SCHED_DEADLINE || cfg.Cgroup == nil {
		return nil
	}
	if cpus := cfg.Cgroup.Resources.CpusetCpus; cpus != "" {
		return invalid("process.scheduler", "SCHED_DEADLINE: a process scheduler can't be used together with AllowedCPUs (cgroup.resources.cpusetCpus %s): the kernel runs a deadline task only where it may use every cpu",
			quote.Value(cpus))
	}
	return nil
}
