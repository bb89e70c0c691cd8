package cgroups

import (
	"testing"
)

// TestEveryController: every controller the host offers is enabled by
// default and its files are reachable by name.
func TestEveryController(t *testing.T) {
	m := create(t, Config{})
	sizes := hugePageSizes()
	files := map[string][2]string{ // v1, v2; "" for none
		"blkio":    {"blkio.throttle.read_bps_device", "io.max"},
		"cpu":      {"cpu.shares", "cpu.weight"},
		"cpuacct":  {"cpuacct.usage", "cpu.stat"},
		"cpuset":   {"cpuset.cpus", "cpuset.cpus.effective"},
		"devices":  {"devices.list", ""},
		"freezer":  {"freezer.state", ""},
		"memory":   {"memory.limit_in_bytes", "memory.max"},
		"misc":     {"misc.current", "misc.current"},
		"net_cls":  {"net_cls.classid", ""},
		"net_prio": {"net_prio.ifpriomap", ""},
		"pids":     {"pids.max", "pids.max"},
		"rdma":     {"rdma.max", "rdma.max"},
	}
	if len(sizes) > 0 {
		files["hugetlb"] = [2]string{"hugetlb." + sizes[0] + ".limit_in_bytes", "hugetlb." + sizes[0] + ".max"}
	}
	avail, err := Available()
	if err != nil {
		t.Fatal(err)
	}
	for _, ctl := range avail {
		_, v1, err := m.(*manager).where(ctl)
		if err != nil {
			t.Errorf("%s: %v", ctl, err)
			continue
		}
		f := files[ctl][1]
		if v1 {
			f = files[ctl][0]
		}
		if f == "" {
			continue
		}
		if _, err := m.GetParam(ctl, f); err != nil {
			t.Errorf("%s: %v", ctl, err)
		}
	}
}
