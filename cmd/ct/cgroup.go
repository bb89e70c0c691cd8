package main

// The commands that work on a container's cgroup: pause, resume, update,
// events.

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/libct/libct"
	"github.com/libct/libct/oci"
)

// withContainer parses `ct NAME CONTAINER_ID`, opens the container and
// runs fn on it and its session.
func withContainer(g *globals, name string, args []string, fn func(*libct.Session, *libct.Container) error) (int, error) {
	f := newFlags(g, name, "CONTAINER_ID")
	id, err := f.parseID(args)
	if err != nil {
		return parseResult(err)
	}
	s, c, err := g.open(id)
	if err != nil {
		return fail(err)
	}
	defer s.Close()
	return fail(fn(s, c))
}

func runPause(g *globals, args []string) (int, error) {
	return withContainer(g, "pause", args, func(_ *libct.Session, c *libct.Container) error {
		return notRunning(c.Name(), c.Pause())
	})
}

func runResume(g *globals, args []string) (int, error) {
	return withContainer(g, "resume", args, func(_ *libct.Session, c *libct.Container) error {
		return notRunning(c.Name(), c.Resume())
	})
}

func runUpdate(g *globals, args []string) (int, error) {
	f := newFlags(g, "update", "[options] CONTAINER_ID")
	var (
		resources                        string
		memory, memorySwap, memoryResv   sizeFlag
		cpuShares, cpuPeriod, cpuRTPer   uintFlag
		cpuBurst                         uintFlag
		cpuQuota, cpuRTRun, pids, blkioW intFlag
		cpuIdle                          intFlag
		cpusetCPUs, cpusetMems           stringFlag
	)
	f.StringVar(&resources, "resources", "", "JSON file of an OCI linux.resources object, - for stdin")
	f.StringVar(&resources, "r", "", "short for --resources")
	f.Var(&memory, "memory", "memory limit in bytes (k, m, g suffixes; -1: unlimited)")
	f.Var(&memorySwap, "memory-swap", "memory plus swap limit in bytes (-1: unlimited swap)")
	f.Var(&memoryResv, "memory-reservation", "memory soft limit in bytes")
	f.Var(&cpuShares, "cpu-shares", "relative cpu weight")
	f.Var(&cpuShares, "cpu-share", "the same as --cpu-shares (runc's name)")
	f.Var(&cpuBurst, "cpu-burst", "cpu time in microseconds a period may borrow from idle earlier ones")
	f.Var(&cpuIdle, "cpu-idle", "1: the cgroup runs at the lowest priority (SCHED_IDLE), 0: not")
	f.Var(&cpuQuota, "cpu-quota", "cpu time in microseconds per --cpu-period (-1: unlimited)")
	f.Var(&cpuPeriod, "cpu-period", "cfs period in microseconds")
	f.Var(&cpuRTPer, "cpu-rt-period", "realtime period in microseconds")
	f.Var(&cpuRTRun, "cpu-rt-runtime", "realtime runtime in microseconds per --cpu-rt-period")
	f.Var(&cpusetCPUs, "cpuset-cpus", "cpus to run on (0-2,5)")
	f.Var(&cpusetMems, "cpuset-mems", "memory nodes to use (0-1)")
	f.Var(&pids, "pids-limit", "maximum number of tasks (-1: unlimited)")
	f.Var(&blkioW, "blkio-weight", "relative block io weight (10..1000)")
	id, err := f.parseID(args)
	if err != nil {
		return parseResult(err)
	}
	var r specs.LinuxResources
	given := false
	if resources != "" {
		var in io.Reader = os.Stdin
		name := "stdin"
		if resources != "-" {
			file, err := os.Open(resources)
			if err != nil {
				return fail(fmt.Errorf("--resources: %w", err))
			}
			defer file.Close()
			in, name = file, resources
		}
		if err := json.NewDecoder(in).Decode(&r); err != nil {
			return fail(fmt.Errorf("--resources %s: %w", name, err))
		}
		given = true
	}
	mem := func() *specs.LinuxMemory {
		if r.Memory == nil {
			r.Memory = &specs.LinuxMemory{}
		}
		return r.Memory
	}
	cpu := func() *specs.LinuxCPU {
		if r.CPU == nil {
			r.CPU = &specs.LinuxCPU{}
		}
		return r.CPU
	}
	if memory.set {
		mem().Limit = &memory.v
	}
	if memorySwap.set {
		mem().Swap = &memorySwap.v
	}
	if memoryResv.set {
		mem().Reservation = &memoryResv.v
	}
	if cpuShares.set {
		cpu().Shares = &cpuShares.v
	}
	if cpuQuota.set {
		cpu().Quota = &cpuQuota.v
	}
	if cpuPeriod.set {
		cpu().Period = &cpuPeriod.v
	}
	if cpuBurst.set {
		cpu().Burst = &cpuBurst.v
	}
	if cpuIdle.set {
		cpu().Idle = &cpuIdle.v
	}
	if cpuRTPer.set {
		cpu().RealtimePeriod = &cpuRTPer.v
	}
	if cpuRTRun.set {
		cpu().RealtimeRuntime = &cpuRTRun.v
	}
	if cpusetCPUs.set {
		cpu().Cpus = cpusetCPUs.v
	}
	if cpusetMems.set {
		cpu().Mems = cpusetMems.v
	}
	if pids.set {
		r.Pids = &specs.LinuxPids{Limit: &pids.v}
	}
	if blkioW.set {
		if blkioW.v < 0 || blkioW.v > math.MaxUint16 {
			return exitUsage, usagef("--blkio-weight %d: out of range", blkioW.v)
		}
		w := uint16(blkioW.v)
		if r.BlockIO == nil {
			r.BlockIO = &specs.LinuxBlockIO{}
		}
		r.BlockIO.Weight = &w
	}
	f.Visit(func(fl *flag.Flag) {
		if fl.Name != "resources" && fl.Name != "r" {
			given = true
		}
	})
	if !given {
		f.Usage()
		return exitUsage, usagef("nothing to update: give --resources or a limit flag")
	}
	// Typed limits go through Update, the rest (realtime cpu time, a pids
	// limit of 0, ...) as raw controller parameters.
	res, params, err := oci.ConvertUpdate(&r, oci.WithWarnings(func(fe *oci.FieldError) {
		g.log.warnf("update: %s", oneLine(fe.Error()))
	}))
	if err != nil {
		return fail(fmt.Errorf("resources: %w", err))
	}
	s, c, err := g.open(id)
	if err != nil {
		return fail(err)
	}
	defer s.Close()
	if err := c.Update(res); err != nil {
		return fail(err)
	}
	return fail(configureInOrder(c, params))
}

// configureInOrder writes raw parameters in the order the kernel accepts.
// It checks some files against others (the realtime runtime must fit in
// the period, at every step), so one refused with EINVAL is tried again
// after the ones that follow it.
func configureInOrder(c *libct.Container, params []oci.UpdateParam) error {
	var refused []oci.UpdateParam
	for _, p := range params {
		cp := p.Param()
		err := c.ConfigureController(cp.Controller, cp.Name, cp.Value)
		if errors.Is(err, unix.EINVAL) {
			refused = append(refused, p)
		} else if err != nil {
			return fmt.Errorf("%s: %w", p.Field(), err)
		}
	}
	for _, p := range refused {
		cp := p.Param()
		if err := c.ConfigureController(cp.Controller, cp.Name, cp.Value); err != nil {
			return fmt.Errorf("%s: %w", p.Field(), err)
		}
	}
	return nil
}

// event is one line of `ct events`, as runc prints them.
type event struct {
	Type string `json:"type"`
	ID   string `json:"id"`
	Data any    `json:"data,omitempty"`
}

// The stats of an event, in the layout of runc's (what tools reading
// `runc events` expect): nanoseconds of cpu, bytes of memory, the same
// names, and the same fields left out when zero.
type (
	eventStats struct {
		CPU    cpuStats    `json:"cpu"`
		Memory memoryStats `json:"memory"`
		Pids   pidsStats   `json:"pids"`
		Blkio  blkioStats  `json:"blkio"`
	}
	cpuStats struct {
		Usage      cpuUsage   `json:"usage"`
		Throttling throttling `json:"throttling"`
	}
	cpuUsage struct {
		Total  uint64 `json:"total,omitempty"`
		Kernel uint64 `json:"kernel"`
		User   uint64 `json:"user"`
	}
	throttling struct {
		Periods          uint64 `json:"periods,omitempty"`
		ThrottledPeriods uint64 `json:"throttledPeriods,omitempty"`
		ThrottledTime    uint64 `json:"throttledTime,omitempty"`
	}
	memoryStats struct {
		Usage memoryEntry `json:"usage"`
	}
	memoryEntry struct {
		Limit   uint64 `json:"limit"`
		Usage   uint64 `json:"usage,omitempty"`
		Max     uint64 `json:"max,omitempty"`
		Failcnt uint64 `json:"failcnt"`
	}
	pidsStats struct {
		Current uint64 `json:"current,omitempty"`
		// Limit 0: unlimited.
		Limit uint64 `json:"limit,omitempty"`
	}
	blkioStats struct {
		IoServiceBytesRecursive []blkioEntry `json:"ioServiceBytesRecursive,omitempty"`
		IoServicedRecursive     []blkioEntry `json:"ioServicedRecursive,omitempty"`
	}
	blkioEntry struct {
		Op    string `json:"op,omitempty"`
		Value uint64 `json:"value,omitempty"`
	}
)

func convertStats(st *libct.Stats) *eventStats {
	out := &eventStats{}
	out.CPU.Usage = cpuUsage{
		Total:  uint64(st.CPU.Usage.Nanoseconds()),
		Kernel: uint64(st.CPU.System.Nanoseconds()),
		User:   uint64(st.CPU.User.Nanoseconds()),
	}
	out.CPU.Throttling = throttling{
		Periods:          st.CPU.Periods,
		ThrottledPeriods: st.CPU.ThrottledPeriods,
		ThrottledTime:    uint64(st.CPU.ThrottledTime.Nanoseconds()),
	}
	limit := uint64(math.MaxUint64)
	if st.Memory.Limit >= 0 {
		limit = uint64(st.Memory.Limit)
	}
	out.Memory.Usage = memoryEntry{Limit: limit, Usage: st.Memory.Usage, Max: st.Memory.MaxUsage, Failcnt: st.Memory.LimitHits}
	out.Pids.Current = st.Pids.Current
	if st.Pids.Limit > 0 {
		out.Pids.Limit = uint64(st.Pids.Limit)
	}
	out.Blkio.IoServiceBytesRecursive = []blkioEntry{{"Read", st.IO.ReadBytes}, {"Write", st.IO.WriteBytes}, {"Total", st.IO.ReadBytes + st.IO.WriteBytes}}
	out.Blkio.IoServicedRecursive = []blkioEntry{{"Read", st.IO.ReadOps}, {"Write", st.IO.WriteOps}, {"Total", st.IO.ReadOps + st.IO.WriteOps}}
	return out
}

func runEvents(g *globals, args []string) (int, error) {
	f := newFlags(g, "events", "[--stats] [--interval DURATION] CONTAINER_ID")
	var stats bool
	var interval time.Duration
	f.BoolVar(&stats, "stats", false, "print the container's resource usage once and exit")
	f.DurationVar(&interval, "interval", 5*time.Second, "time between two stats events")
	id, err := f.parseID(args)
	if err != nil {
		return parseResult(err)
	}
	if interval <= 0 {
		return exitUsage, usagef("--interval %v: must be positive", interval)
	}
	s, c, err := g.open(id)
	if err != nil {
		return fail(err)
	}
	defer s.Close()
	enc := json.NewEncoder(os.Stdout)
	if stats {
		st, err := c.Stats()
		if err != nil {
			return fail(notRunning(id, err))
		}
		return fail(enc.Encode(event{Type: "stats", ID: id, Data: convertStats(st)}))
	}

	// Stats every interval; the OOM kill counter is watched more often,
	// so that an OOM event follows the kill closely. libct has no OOM
	// notification to wait on, so this polls.
	poll := min(interval, 500*time.Millisecond)
	var oomKills uint64
	if st, err := c.Stats(); err == nil {
		oomKills = st.Memory.OOMKills
	} else {
		return fail(notRunning(id, err))
	}
	next := time.Now().Add(interval)
	for {
		time.Sleep(poll)
		state, err := c.State()
		if err != nil {
			if deleted(err) {
				return 0, nil
			}
			return fail(err)
		}
		st, err := c.Stats()
		if err != nil {
			if state == libct.Stopped || deleted(err) {
				return 0, nil // stopped, its cgroup gone, or deleted meanwhile
			}
			return fail(err)
		}
		if st.Memory.OOMKills > oomKills {
			oomKills = st.Memory.OOMKills
			if err := enc.Encode(event{Type: "oom", ID: id}); err != nil {
				return fail(err)
			}
		}
		if state == libct.Stopped {
			return 0, nil
		}
		if !time.Now().Before(next) {
			next = next.Add(interval)
			if err := enc.Encode(event{Type: "stats", ID: id, Data: convertStats(st)}); err != nil {
				return fail(err)
			}
		}
	}
}

// deleted tells whether err says the container is gone: not known any
// more, or its state files removed while they were read (a delete that
// raced with the read).
func deleted(err error) bool {
	return errors.Is(err, libct.ErrNotExist) || errors.Is(err, fs.ErrNotExist)
}
