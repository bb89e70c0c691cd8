package cgroups

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestMemoryOOM: a hog is OOM-killed at its limit (no swap to escape to)
// and the stats count the kill.
func TestMemoryOOM(t *testing.T) {
	const limit = 32 << 20
	m := create(t, Config{Controllers: []string{"memory"},
		Resources: Resources{MemoryLimit: limit, MemorySwap: limit}})
	h := startHelper(t, m, "hog")
	err := h.wait(120 * time.Second)
	var ee interface{ Sys() any }
	if !errors.As(err, &ee) {
		t.Fatalf("hog exited with %v, want killed", err)
	}
	if ws := ee.Sys().(syscall.WaitStatus); !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
		t.Fatalf("hog: %v, want killed by SIGKILL", err)
	}
	s, err := m.Stats()
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("memory stats: %+v", s.Memory)
	if s.Memory.OOMKills < 1 {
		t.Errorf("OOMKills = %d, want at least 1", s.Memory.OOMKills)
	}
	if s.Memory.Limit != limit {
		t.Errorf("Limit = %d, want %d", s.Memory.Limit, limit)
	}
	// LimitHits is not checked: some kernels stopped counting v1's
	// failcnt.
	if s.Memory.MaxUsage != 0 && s.Memory.MaxUsage < limit/2 {
		t.Errorf("MaxUsage = %d: the hog never came near the limit", s.Memory.MaxUsage)
	}
}

// TestPidsMax: a fork loop stops at pids.max with EAGAIN.
func TestPidsMax(t *testing.T) {
	bb := busybox(t)
	const max = 16
	m := create(t, Config{Controllers: []string{"pids"}, Resources: Resources{PidsMax: max}})
	h := startHelper(t, m, "forker", bb)
	h.send("fork")
	got := h.line(60 * time.Second)
	t.Logf("helper: %s", got)
	f := strings.Fields(got)
	if len(f) != 3 || f[0] != "forked" || f[2] != "EAGAIN" {
		t.Fatalf("helper says %q, want forked N EAGAIN", got)
	}
	if n, _ := strconv.Atoi(f[1]); n < 1 || n >= max {
		t.Errorf("forked %d processes under pids.max %d", n, max)
	}
	s, err := m.Stats()
	if err != nil {
		t.Fatal(err)
	}
	if s.Pids.Current != max || s.Pids.Limit != max {
		t.Errorf("pids stats %+v, want current and limit %d", s.Pids, max)
	}
}

// TestCPUQuota: a busy loop under a 20% quota is throttled and gets about
// 20% of a cpu.
func TestCPUQuota(t *testing.T) {
	m := create(t, Config{Controllers: []string{"cpu", "cpuacct"},
		Resources: Resources{CPUQuota: 20000, CPUPeriod: 100000}})
	h := startHelper(t, m, "spin")
	h.line(30 * time.Second)
	time.Sleep(200 * time.Millisecond) // past the start-up
	s0, err := m.Stats()
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Now()
	time.Sleep(1500 * time.Millisecond)
	s1, err := m.Stats()
	if err != nil {
		t.Fatal(err)
	}
	wall := time.Since(t0)
	used := s1.CPU.Usage - s0.CPU.Usage
	share := float64(used) / float64(wall)
	t.Logf("used %v of %v (%.0f%%), periods %d, throttled %d for %v", used, wall, share*100,
		s1.CPU.Periods-s0.CPU.Periods, s1.CPU.ThrottledPeriods-s0.CPU.ThrottledPeriods, s1.CPU.ThrottledTime-s0.CPU.ThrottledTime)
	if share < 0.10 || share > 0.30 {
		t.Errorf("the busy loop got %.0f%% of a cpu, want about 20%%", share*100)
	}
	if s1.CPU.ThrottledPeriods <= s0.CPU.ThrottledPeriods {
		t.Errorf("throttled periods did not grow: %d -> %d", s0.CPU.ThrottledPeriods, s1.CPU.ThrottledPeriods)
	}
	if s1.CPU.User+s1.CPU.System == 0 {
		t.Errorf("no user or system time: %+v", s1.CPU)
	}
}

// TestDevices: denied device accesses fail with EPERM, allowed ones work,
// and Set replaces the rules live (v1 devices.allow/deny, v2 eBPF).
func TestDevices(t *testing.T) {
	whitelist := []DeviceRule{
		{Type: "a", Major: -1, Minor: -1},
		{Allow: true, Type: "c", Major: 1, Minor: 5, Access: "r"}, // /dev/zero
		{Allow: true, Type: "c", Major: 1, Minor: 3, Access: "r"}, // /dev/null
	}
	m := create(t, Config{Controllers: []string{"devices"}, Resources: Resources{Devices: whitelist}})
	h := startHelper(t, m, "open")
	check := func(what string, want map[string]string) {
		t.Helper()
		for _, req := range []string{"/dev/null w", "/dev/null r", "/dev/zero r", "/dev/zero w", "/dev/full r"} {
			h.send(req)
			if got := h.line(10 * time.Second); got != want[req] {
				t.Errorf("%s: open %s: %s, want %s", what, req, got, want[req])
			}
		}
	}
	check("whitelist", map[string]string{"/dev/null w": "EPERM", "/dev/null r": "ok", "/dev/zero r": "ok", "/dev/zero w": "EPERM", "/dev/full r": "EPERM"})

	if err := m.Set(&Resources{Devices: []DeviceRule{{Allow: true, Type: "a", Major: -1, Minor: -1}}}); err != nil {
		t.Fatal(err)
	}
	check("allow all", map[string]string{"/dev/null w": "ok", "/dev/null r": "ok", "/dev/zero r": "ok", "/dev/zero w": "ok", "/dev/full r": "ok"})

	if err := m.Set(&Resources{Devices: []DeviceRule{{Type: "c", Major: 1, Minor: 3, Access: "w"}, {Type: "c", Major: 1, Minor: -1, Access: "m"}}}); err != nil {
		t.Fatal(err)
	}
	check("blacklist", map[string]string{"/dev/null w": "EPERM", "/dev/null r": "ok", "/dev/zero r": "ok", "/dev/zero w": "ok", "/dev/full r": "ok"})
}

// TestCpuset pins a process to cpu 0.
func TestCpuset(t *testing.T) {
	m := create(t, Config{Controllers: []string{"cpuset"}, Resources: Resources{CpusetCpus: "0", CpusetMems: "0"}})
	h := startHelper(t, m, "status", "Cpus_allowed_list")
	if got := h.line(10 * time.Second); got != "0" {
		t.Errorf("Cpus_allowed_list = %q, want 0", got)
	}
	if v, err := m.GetParam("cpuset", "cpuset.cpus"); err != nil || v != "0" {
		t.Errorf("cpuset.cpus = %q, %v", v, err)
	}
}

// TestHugetlb sets a huge page limit where the host keeps hugetlb (the
// unified tree on this project's hybrid hosts).
func TestHugetlb(t *testing.T) {
	requireCgroups(t)
	sizes := hugePageSizes()
	if len(sizes) == 0 {
		skipOrFail(t, "no huge pages in this kernel")
	}
	const limit = 2 << 30 // a multiple of every page size
	m := create(t, Config{Controllers: []string{"hugetlb"},
		Resources: Resources{Hugetlb: []HugetlbLimit{{PageSize: sizes[0], Limit: limit}}}})
	file := onHost(t, "hugetlb", "hugetlb."+sizes[0]+".limit_in_bytes", "hugetlb."+sizes[0]+".max")
	if v, err := m.GetParam("hugetlb", file); err != nil || v != strconv.Itoa(limit) {
		t.Errorf("%s = %q, %v", file, v, err)
	}
	if err := m.Set(&Resources{Hugetlb: []HugetlbLimit{{PageSize: sizes[0], Limit: -1}}}); err != nil {
		t.Fatal(err)
	}
	if v, _ := m.GetParam("hugetlb", file); parseLimit(v) != -1 {
		t.Errorf("%s = %q after unlimiting", file, v)
	}
}

// TestBlkio throttles a block device and sets the weight.
func TestBlkio(t *testing.T) {
	requireCgroups(t)
	major, minor, ok := blockDevice()
	if !ok {
		skipOrFail(t, "no block device")
	}
	m := create(t, Config{Controllers: []string{"blkio"}})
	err := m.Set(&Resources{BlkioThrottle: []Throttle{{Major: major, Minor: minor, ReadBps: 1 << 20, WriteIOPS: 100}}})
	if err != nil {
		t.Fatal(err)
	}
	dev := strconv.Itoa(int(major)) + ":" + strconv.Itoa(int(minor))
	if onHost(t, "blkio", "v1", "v2") == "v1" {
		for file, want := range map[string]string{"blkio.throttle.read_bps_device": dev + " 1048576", "blkio.throttle.write_iops_device": dev + " 100"} {
			if v, err := m.GetParam("blkio", file); err != nil || v != want {
				t.Errorf("%s = %q, %v; want %q", file, v, err, want)
			}
		}
	} else {
		want := dev + " rbps=1048576 wbps=max riops=max wiops=100"
		if v, err := m.GetParam("io", "io.max"); err != nil || v != want {
			t.Errorf("io.max = %q, %v; want %q", v, err, want)
		}
	}
	err = m.Set(&Resources{BlkioWeight: 500})
	if errors.Is(err, ErrUnknownParam) {
		t.Logf("no io weight on this host's block layer: %v", err)
	} else if err != nil {
		t.Error(err)
	}
}

// blockDevice finds a block device of the host.
func blockDevice() (major, minor uint32, ok bool) {
	ents, _ := os.ReadDir("/sys/block")
	for _, e := range ents {
		b, err := os.ReadFile(filepath.Join("/sys/block", e.Name(), "dev"))
		if err != nil {
			continue
		}
		a, c, _ := strings.Cut(strings.TrimSpace(string(b)), ":")
		ma, err1 := strconv.Atoi(a)
		mi, err2 := strconv.Atoi(c)
		if err1 == nil && err2 == nil {
			return uint32(ma), uint32(mi), true
		}
	}
	return 0, 0, false
}

// TestLive: limits set on a running cgroup apply at once.
func TestLive(t *testing.T) {
	bb := busybox(t)
	m := create(t, Config{Controllers: []string{"pids", "memory"}})
	h := startHelper(t, m, "forker", bb)
	if err := m.SetParam("pids", "pids.max", "12"); err != nil {
		t.Fatal(err)
	}
	if v, err := m.GetParam("pids", "pids.max"); err != nil || v != "12" {
		t.Errorf("pids.max = %q, %v", v, err)
	}
	h.send("fork")
	if got := h.line(60 * time.Second); !strings.HasSuffix(got, " EAGAIN") {
		t.Errorf("helper says %q, want EAGAIN", got)
	}
	if s, _ := m.Stats(); s.Pids.Current != 12 {
		t.Errorf("pids.current = %d, want 12", s.Pids.Current)
	}
	if err := m.Set(&Resources{MemoryLimit: 48 << 20, PidsMax: -1}); err != nil {
		t.Fatal(err)
	}
	file := onHost(t, "memory", "memory.limit_in_bytes", "memory.max")
	if v, err := m.GetParam("memory", file); err != nil || v != strconv.Itoa(48<<20) {
		t.Errorf("%s = %q, %v", file, v, err)
	}
	if s, _ := m.Stats(); s.Pids.Limit != -1 || s.Memory.Limit != 48<<20 {
		t.Errorf("limits now pids %d memory %d", s.Pids.Limit, s.Memory.Limit)
	}
	// Memory and swap grow together (v1 needs memsw first then).
	if err := m.Set(&Resources{MemoryLimit: 64 << 20, MemorySwap: 64 << 20}); err != nil {
		t.Error(err)
	}
	if err := m.Set(&Resources{MemoryLimit: 128 << 20, MemorySwap: 256 << 20}); err != nil {
		t.Error(err)
	}
	if err := m.Set(&Resources{MemoryLimit: 32 << 20, MemorySwap: 32 << 20}); err != nil {
		t.Error(err)
	}
}
