package cgroups

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// v1Dir is the directory of the cgroup at path in the v1 hierarchy of
// ctl; the test is skipped where ctl is not on v1.
func v1Dir(t *testing.T, ctl, path string) string {
	t.Helper()
	requireCgroups(t)
	l, err := hostLayout()
	if err != nil {
		t.Fatal(err)
	}
	h := l.v1[ctl]
	if h == nil {
		t.Skipf("%s is not on a cgroup v1 hierarchy here", ctl)
	}
	return filepath.Join(h.mount, path)
}

// podParent makes the cgroup of a pod under DefaultParent with a bare
// mkdir, as runc's tests and pod managers do, and removes it at the end
// unless the Destroy of the last cgroup below it did (it is under
// DefaultParent).
func podParent(t *testing.T, ctl string) (path, dir string) {
	t.Helper()
	path = DefaultParent + "/" + testPath(t) + "-pod"
	dir = v1Dir(t, ctl, path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := os.Remove(dir); err != nil && !os.IsNotExist(err) {
			t.Errorf("remove the pod cgroup: %v", err)
		}
	})
	return path, dir
}

// TestCpusetUnderEmptyParent starts a process in a cpuset below one that
// someone else made and left without cpus and mems.
func TestCpusetUnderEmptyParent(t *testing.T) {
	pod, podDir := podParent(t, "cpuset")
	for _, f := range []string{"cpuset.cpus", "cpuset.mems"} {
		if v, _ := readFile(podDir, f); strings.TrimSpace(v) != "" {
			t.Skipf("%s of a new cpuset is %q here (cgroup.clone_children set?)", f, v)
		}
	}
	tests := []struct {
		name string
		res  Resources
	}{
		{"parent's cpus", Resources{}},
		{"own cpus", Resources{CpusetCpus: "0", CpusetMems: "0"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := create(t, Config{Path: pod + "/" + strings.ReplaceAll(tt.name, " ", "-"), Controllers: []string{"cpuset"}, Resources: tt.res})
			h := startHelper(t, m, "status", "Cpus_allowed_list")
			if got := h.line(10 * time.Second); got == "" {
				t.Errorf("the process in the cpuset reports no cpus")
			}
			for _, f := range []string{"cpuset.cpus", "cpuset.mems"} {
				if v, err := readFile(podDir, f); err != nil || strings.TrimSpace(v) == "" {
					t.Errorf("the pod's %s = %q, %v; want its parent's", f, v, err)
				}
			}
		})
	}
}

// TestCfsPeriodBelowParentRatio lowers the period and the quota of a
// cgroup whose parent caps the ratio: the period alone first would break
// the cap with the old quota, so the kernel accepts only the quota first.
func TestCfsPeriodBelowParentRatio(t *testing.T) {
	pod, podDir := podParent(t, "cpu")
	if err := writeFile(podDir, "cpu.cfs_quota_us", "50000"); err != nil {
		t.Fatal(err)
	}
	m := create(t, Config{Path: pod + "/ct", Controllers: []string{"cpu"}, Resources: Resources{CPUQuota: 50000, CPUPeriod: 100000}})
	tests := []struct {
		name          string
		res           Resources
		period, quota string
	}{
		{"lower period and quota", Resources{CPUPeriod: 10000, CPUQuota: 3000}, "10000", "3000"},
		{"higher period and quota", Resources{CPUPeriod: 100000, CPUQuota: 40000}, "100000", "40000"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := m.Set(&tt.res); err != nil {
				t.Fatalf("Set: %v", err)
			}
			for file, want := range map[string]string{"cpu.cfs_period_us": tt.period, "cpu.cfs_quota_us": tt.quota} {
				if v, err := m.GetParam("cpu", file); err != nil || v != want {
					t.Errorf("%s = %q, %v; want %s", file, v, err, want)
				}
			}
		})
	}
	if err := m.Set(&Resources{CPUQuota: 60000}); err == nil {
		t.Errorf("Set of a quota above the parent's ratio succeeded")
	}
}

// TestSwapLimits sets the memory plus swap limit with and after the
// memory limit: the kernel takes them in one order only, and v2 limits
// swap alone.
func TestSwapLimits(t *testing.T) {
	const mib = 1 << 20
	m := create(t, Config{Controllers: []string{"memory"}, Resources: Resources{MemoryLimit: 32 * mib}})
	swapFile := onHost(t, "memory", "memory.memsw.limit_in_bytes", "memory.swap.max")
	if _, err := m.GetParam("memory", swapFile); err != nil {
		t.Skipf("no swap accounting here: %v", err)
	}
	unlimited := "max"
	if swapFile == "memory.memsw.limit_in_bytes" {
		v, err := m.GetParam("memory", swapFile)
		if err != nil {
			t.Fatal(err)
		}
		unlimited = v
	}
	v2 := swapFile == "memory.swap.max"
	tests := []struct {
		name string
		res  Resources
		want string
	}{
		{"memory and swap", Resources{MemoryLimit: 32 * mib, MemorySwap: 64 * mib}, map[bool]string{false: "67108864", true: "33554432"}[v2]},
		{"memory above the old swap", Resources{MemoryLimit: 96 * mib, MemorySwap: 128 * mib}, map[bool]string{false: "134217728", true: "33554432"}[v2]},
		{"both unlimited", Resources{MemoryLimit: -1, MemorySwap: -1}, unlimited},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := m.Set(&tt.res); err != nil {
				t.Fatalf("Set: %v", err)
			}
			if v, err := m.GetParam("memory", swapFile); err != nil || v != tt.want {
				t.Errorf("%s = %q, %v; want %s", swapFile, v, err, tt.want)
			}
		})
	}
}
