package cgroups

import (
	"fmt"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// v2Writes translates the fields of r that ctl carries into writes to the
// unified hierarchy's directory dir. Devices are not here (see
// setDeviceFilter).
func v2Writes(ctl string, r *Resources, dir string) ([]write, error) {
	var ws []write
	add := func(file, v string) { ws = append(ws, write{ctl, file, v}) }
	switch ctl {
	case "memory":
		if r.MemoryLimit != 0 {
			add("memory.max", limitV2(r.MemoryLimit))
		}
		if r.MemoryReservation != 0 {
			low := r.MemoryReservation
			if low < 0 {
				low = 0 // no reservation
			}
			add("memory.low", limitV2(low))
		}
		// v2 limits swap alone, v1 (and this API) memory plus swap.
		switch {
		case r.MemorySwap < 0 && exists(dir, "memory.swap.max"):
			// (Without swap accounting swap is unlimited already.)
			add("memory.swap.max", "max")
		case r.MemorySwap > 0:
			add("memory.swap.max", strconv.FormatInt(r.MemorySwap-r.MemoryLimit, 10))
		}
	case "cpu", "cpuacct":
		weight := r.CPUWeight
		if r.CPUShares != 0 {
			weight = sharesToWeight(r.CPUShares)
		}
		if weight != 0 {
			add("cpu.weight", u64(weight))
		}
		if r.CPUQuota != 0 || r.CPUPeriod != 0 {
			quota := limitV2(r.CPUQuota)
			if r.CPUQuota == 0 {
				// Only the period changes: keep the quota.
				cur, err := readFile(dir, "cpu.max")
				if err != nil {
					return nil, fileErr(ctl, "cpu.max", "", err)
				}
				quota, _, _ = strings.Cut(cur, " ")
			}
			if r.CPUPeriod != 0 {
				quota += " " + u64(r.CPUPeriod)
			}
			add("cpu.max", quota)
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
			if !exists(dir, "io.weight") && exists(dir, "io.bfq.weight") {
				add("io.bfq.weight", strconv.Itoa(int(r.BlkioWeight)))
			} else {
				add("io.weight", "default "+u64(blkioToIOWeight(r.BlkioWeight)))
			}
		}
		for _, t := range r.BlkioThrottle {
			lim := func(v uint64) string {
				if v == 0 {
					return "max"
				}
				return u64(v)
			}
			add("io.max", fmt.Sprintf("%d:%d rbps=%s wbps=%s riops=%s wiops=%s", t.Major, t.Minor,
				lim(t.ReadBps), lim(t.WriteBps), lim(t.ReadIOPS), lim(t.WriteIOPS)))
		}
	case "hugetlb":
		for _, h := range r.Hugetlb {
			add("hugetlb."+h.PageSize+".max", limitV2(h.Limit))
		}
	}
	return ws, nil
}

// enableControllers writes "+name" to cgroup.subtree_control of every
// parent of path in the unified hierarchy, from its root down, where the
// controller is not enabled yet: a controller reaches a cgroup only
// through its parents. The cgroup itself stays a leaf.
func enableControllers(l *layout, path string, names []string) error {
	if len(names) == 0 {
		return nil
	}
	dir := l.unified
	parts := strings.Split(strings.TrimPrefix(path, "/"), "/")
	for i := 0; i < len(parts); i++ {
		if i > 0 {
			dir = filepath.Join(dir, parts[i-1])
		}
		cur, err := readFile(dir, "cgroup.subtree_control")
		if err != nil {
			return fmt.Errorf("cgroups: %s: %w", filepath.Join(dir, "cgroup.subtree_control"), err)
		}
		have := strings.Fields(cur)
		var missing []string
		for _, n := range names {
			if !slices.Contains(have, n) {
				missing = append(missing, "+"+n)
			}
		}
		if len(missing) == 0 {
			continue
		}
		if writeFile(dir, "cgroup.subtree_control", strings.Join(missing, " ")) == nil {
			continue
		}
		// Name the controller that fails.
		for _, n := range missing {
			if err := writeFile(dir, "cgroup.subtree_control", n); err != nil {
				return paramErr(n[1:], "cgroup.subtree_control", n, fmt.Errorf("enable in %s: %w", dir, err))
			}
		}
	}
	return nil
}
