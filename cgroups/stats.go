package cgroups

import (
	"errors"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// Stats are the usage counters of a cgroup, the same for v1 and v2. A
// section whose controller is not enabled stays zero (limits -1).
type Stats struct {
	Memory MemoryStats `json:"memory"`
	CPU    CPUStats    `json:"cpu"`
	Pids   PidsStats   `json:"pids"`
	IO     IOStats     `json:"io"`
}

// MemoryStats count bytes.
type MemoryStats struct {
	Usage uint64 `json:"usage"`
	// MaxUsage is the peak usage (v1 memory.max_usage_in_bytes, v2
	// memory.peak: Linux 5.19); 0 when the kernel does not tell.
	MaxUsage uint64 `json:"maxUsage"`
	// Limit is the hard limit; -1: unlimited.
	Limit int64 `json:"limit"`
	// LimitHits counts the times usage hit the limit (v1 memory.failcnt
	// plus memory.memsw.failcnt, v2 "max" of memory.events).
	LimitHits uint64 `json:"limitHits"`
	// OOMKills counts the processes the OOM killer killed in the cgroup
	// (v1 memory.oom_control, v2 memory.events "oom_kill").
	OOMKills uint64 `json:"oomKills"`
}

// CPUStats are cpu time and cfs bandwidth throttling.
type CPUStats struct {
	Usage  time.Duration `json:"usage"`
	User   time.Duration `json:"user"`
	System time.Duration `json:"system"`
	// Periods is the number of enforcement periods with runnable tasks,
	// ThrottledPeriods those in which the quota ran out, ThrottledTime
	// the time tasks waited for quota.
	Periods          uint64        `json:"periods"`
	ThrottledPeriods uint64        `json:"throttledPeriods"`
	ThrottledTime    time.Duration `json:"throttledTime"`
}

// PidsStats count tasks.
type PidsStats struct {
	Current uint64 `json:"current"`
	// Limit is pids.max; -1: unlimited.
	Limit int64 `json:"limit"`
}

// IOStats count block io done by the cgroup, summed over devices.
type IOStats struct {
	ReadBytes  uint64 `json:"readBytes"`
	WriteBytes uint64 `json:"writeBytes"`
	ReadOps    uint64 `json:"readOps"`
	WriteOps   uint64 `json:"writeOps"`
}

// statReader reads counters and keeps the first error other than a
// missing file (an optional counter).
type statReader struct {
	err error
}

func (r *statReader) read(dir, file string) string {
	s, err := readFile(dir, file)
	if err != nil && !errors.Is(err, unix.ENOENT) && r.err == nil {
		r.err = fileErr("", file, "", err)
	}
	return s
}

func (r *statReader) uint(dir, file string) uint64 {
	n, _ := strconv.ParseUint(strings.TrimSpace(r.read(dir, file)), 10, 64)
	return n
}

func (m *manager) Stats() (*Stats, error) {
	s := &Stats{Memory: MemoryStats{Limit: -1}, Pids: PidsStats{Limit: -1}}
	r := &statReader{}
	if dir, v1, err := m.where("memory"); err == nil {
		if v1 {
			s.Memory.Usage = r.uint(dir, "memory.usage_in_bytes")
			s.Memory.MaxUsage = r.uint(dir, "memory.max_usage_in_bytes")
			s.Memory.Limit = parseLimit(r.read(dir, "memory.limit_in_bytes"))
			// With memsw, hitting the memory plus swap limit counts there.
			s.Memory.LimitHits = r.uint(dir, "memory.failcnt") + r.uint(dir, "memory.memsw.failcnt")
			s.Memory.OOMKills = parseKV(r.read(dir, "memory.oom_control"))["oom_kill"]
		} else {
			s.Memory.Usage = r.uint(dir, "memory.current")
			s.Memory.MaxUsage = r.uint(dir, "memory.peak")
			s.Memory.Limit = parseLimit(r.read(dir, "memory.max"))
			ev := parseKV(r.read(dir, "memory.events"))
			s.Memory.LimitHits, s.Memory.OOMKills = ev["max"], ev["oom_kill"]
		}
	}
	// Usage: v1 cpuacct, else the unified cpu.stat, which every v2 cgroup
	// has; throttling: the hierarchy of the cpu controller.
	if dir := m.st.V1["cpuacct"]; dir != "" {
		s.CPU.Usage = time.Duration(r.uint(dir, "cpuacct.usage"))
		if exists(dir, "cpuacct.usage_user") {
			s.CPU.User = time.Duration(r.uint(dir, "cpuacct.usage_user"))
			s.CPU.System = time.Duration(r.uint(dir, "cpuacct.usage_sys"))
		} else {
			// USER_HZ ticks, 100 a second on every architecture's ABI.
			kv := parseKV(r.read(dir, "cpuacct.stat"))
			s.CPU.User = time.Duration(kv["user"]) * 10 * time.Millisecond
			s.CPU.System = time.Duration(kv["system"]) * 10 * time.Millisecond
		}
	} else if m.st.Unified != "" {
		kv := parseKV(r.read(m.st.Unified, "cpu.stat"))
		s.CPU.Usage = time.Duration(kv["usage_usec"]) * time.Microsecond
		s.CPU.User = time.Duration(kv["user_usec"]) * time.Microsecond
		s.CPU.System = time.Duration(kv["system_usec"]) * time.Microsecond
	}
	if dir, v1, err := m.where("cpu"); err == nil {
		kv := parseKV(r.read(dir, "cpu.stat"))
		s.CPU.Periods, s.CPU.ThrottledPeriods = kv["nr_periods"], kv["nr_throttled"]
		if v1 {
			s.CPU.ThrottledTime = time.Duration(kv["throttled_time"])
		} else {
			s.CPU.ThrottledTime = time.Duration(kv["throttled_usec"]) * time.Microsecond
		}
	}
	if dir, _, err := m.where("pids"); err == nil {
		s.Pids.Current = r.uint(dir, "pids.current")
		s.Pids.Limit = parseLimit(r.read(dir, "pids.max"))
	}
	if dir, v1, err := m.where("blkio"); err == nil {
		if v1 {
			s.IO.ReadBytes, s.IO.WriteBytes = parseBlkio(r.read(dir, "blkio.throttle.io_service_bytes_recursive"))
			s.IO.ReadOps, s.IO.WriteOps = parseBlkio(r.read(dir, "blkio.throttle.io_serviced_recursive"))
		} else {
			s.IO = parseIOStat(r.read(dir, "io.stat"))
		}
	}
	if r.err != nil {
		return nil, r.err
	}
	return s, nil
}

// parseKV reads "key value" lines.
func parseKV(s string) map[string]uint64 {
	kv := map[string]uint64{}
	for _, line := range strings.Split(s, "\n") {
		k, v, ok := strings.Cut(line, " ")
		if !ok {
			continue
		}
		if n, err := strconv.ParseUint(strings.TrimSpace(v), 10, 64); err == nil {
			kv[k] = n
		}
	}
	return kv
}

// parseLimit reads a limit: "max" (v2) and v1's page-rounded maximum
// are unlimited, -1.
func parseLimit(s string) int64 {
	s = strings.TrimSpace(s)
	if s == "max" || s == "" {
		return -1
	}
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil || n >= 1<<62 {
		return -1
	}
	return int64(n)
}

// parseBlkio sums the Read and Write lines ("8:0 Read 4096") of a v1
// blkio counter file.
func parseBlkio(s string) (read, write uint64) {
	for _, line := range strings.Split(s, "\n") {
		f := strings.Fields(line)
		if len(f) != 3 {
			continue
		}
		n, _ := strconv.ParseUint(f[2], 10, 64)
		switch f[1] {
		case "Read":
			read += n
		case "Write":
			write += n
		}
	}
	return read, write
}

// parseIOStat sums io.stat's lines ("8:0 rbytes=4096 wbytes=0 rios=1
// wios=0 dbytes=0 dios=0").
func parseIOStat(s string) IOStats {
	var st IOStats
	for _, line := range strings.Split(s, "\n") {
		for _, f := range strings.Fields(line) {
			k, v, ok := strings.Cut(f, "=")
			if !ok {
				continue
			}
			n, _ := strconv.ParseUint(v, 10, 64)
			switch k {
			case "rbytes":
				st.ReadBytes += n
			case "wbytes":
				st.WriteBytes += n
			case "rios":
				st.ReadOps += n
			case "wios":
				st.WriteOps += n
			}
		}
	}
	return st
}
