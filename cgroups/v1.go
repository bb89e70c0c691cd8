package cgroups

import (
	"fmt"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// v1Writes translates the fields of r that ctl carries into writes to its
// v1 hierarchy directory dir. Memory and devices are not here (see
// setMemoryV1 and v1DeviceWrites).
func v1Writes(ctl string, r *Resources, dir string) []write {
	var ws []write
	add := func(file, v string) { ws = append(ws, write{ctl, file, v}) }
	switch ctl {
	case "cpu":
		shares := r.CPUShares
		if r.CPUWeight != 0 {
			shares = weightToShares(r.CPUWeight)
		}
		if shares != 0 {
			add("cpu.shares", u64(shares))
		}
		if r.CPUPeriod != 0 {
			add("cpu.cfs_period_us", u64(r.CPUPeriod))
		}
		if r.CPUQuota != 0 {
			add("cpu.cfs_quota_us", limitV1(r.CPUQuota))
		}
	case "cpuset":
		if r.CpusetCpus != "" {
			add("cpuset.cpus", r.CpusetCpus)
		}
		if r.CpusetMems != "" {
			add("cpuset.mems", r.CpusetMems)
		}
	case "pids":
		add("pids.max", limitV2(r.PidsMax))
	case "blkio":
		if r.BlkioWeight != 0 {
			file := "blkio.weight"
			if !exists(dir, file) && exists(dir, "blkio.bfq.weight") {
				file = "blkio.bfq.weight"
			}
			add(file, strconv.Itoa(int(r.BlkioWeight)))
		}
		for _, t := range r.BlkioThrottle {
			dev := fmt.Sprintf("%d:%d ", t.Major, t.Minor)
			add("blkio.throttle.read_bps_device", dev+u64(t.ReadBps))
			add("blkio.throttle.write_bps_device", dev+u64(t.WriteBps))
			add("blkio.throttle.read_iops_device", dev+u64(t.ReadIOPS))
			add("blkio.throttle.write_iops_device", dev+u64(t.WriteIOPS))
		}
	case "hugetlb":
		for _, h := range r.Hugetlb {
			add("hugetlb."+h.PageSize+".limit_in_bytes", limitV1(h.Limit))
		}
	case "devices":
		return v1DeviceWrites(r.Devices)
	case "net_cls":
		add("net_cls.classid", strconv.FormatUint(uint64(r.NetClsClassID), 10))
	case "net_prio":
		for _, p := range r.NetPrioIfpriomap {
			add("net_prio.ifpriomap", p.Interface+" "+strconv.FormatUint(uint64(p.Priority), 10))
		}
	}
	return ws
}

// setMemoryV1 writes the memory limits. memsw (memory plus swap) may
// never be below the memory limit, so the order of the two writes
// depends on whether the limits grow or shrink: the limit goes first,
// and when the kernel refuses it (above the current memsw), memsw does.
func setMemoryV1(dir string, r *Resources) error {
	w := func(file string, v int64) error {
		if err := writeFile(dir, file, limitV1(v)); err != nil {
			return fileErr("memory", file, limitV1(v), err)
		}
		return nil
	}
	if r.MemoryReservation != 0 {
		if err := w("memory.soft_limit_in_bytes", r.MemoryReservation); err != nil {
			return err
		}
	}
	const limit, memsw = "memory.limit_in_bytes", "memory.memsw.limit_in_bytes"
	if r.MemorySwap < 0 && !exists(dir, memsw) {
		// Without swap accounting, swap is unlimited already.
		r2 := *r
		r2.MemorySwap = 0
		r = &r2
	}
	switch {
	case r.MemoryLimit != 0 && r.MemorySwap != 0:
		if err := writeFile(dir, limit, limitV1(r.MemoryLimit)); err == unix.EINVAL {
			if err := w(memsw, r.MemorySwap); err != nil {
				return err
			}
			return w(limit, r.MemoryLimit)
		} else if err != nil {
			return fileErr("memory", limit, limitV1(r.MemoryLimit), err)
		}
		return w(memsw, r.MemorySwap)
	case r.MemoryLimit != 0:
		return w(limit, r.MemoryLimit)
	case r.MemorySwap != 0:
		return w(memsw, r.MemorySwap)
	}
	return nil
}

// fillCpuset gives a v1 cpuset its parent's cpus and mems where it has
// none: a cpuset starts with none (unless cgroup.clone_children is set),
// and no process can join it then. Values set already are kept.
func fillCpuset(parent, dir string) error {
	for _, f := range []string{"cpuset.cpus", "cpuset.mems"} {
		cur, err := readFile(dir, f)
		if err != nil {
			return fmt.Errorf("%s: %w", filepath.Join(dir, f), err)
		}
		if strings.TrimSpace(cur) != "" {
			continue
		}
		v, err := readFile(parent, f)
		if err != nil {
			return fmt.Errorf("%s: %w", filepath.Join(parent, f), err)
		}
		if err := writeFile(dir, f, v); err != nil {
			return fmt.Errorf("%s: %w", filepath.Join(dir, f), err)
		}
	}
	return nil
}
