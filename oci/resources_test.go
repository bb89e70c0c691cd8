package oci

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/libct/libct"
	"github.com/libct/libct/cgroups"
)

// fakeLayout makes the conversion see a host of mode whose v1
// hierarchies drive ctls.
func fakeLayout(t *testing.T, mode cgroups.Mode, ctls ...string) {
	t.Helper()
	old := hostLayout
	t.Cleanup(func() { hostLayout = old })
	l := &cgroupLayout{mode: mode, v1: map[string]bool{}}
	for _, c := range ctls {
		l.v1[c] = true
	}
	hostLayout = func() (*cgroupLayout, error) { return l, nil }
}

var v1Controllers = []string{"blkio", "cpu", "cpuacct", "cpuset", "devices", "freezer", "memory", "pids", "net_cls", "net_prio", "hugetlb", "rdma"}

func withResources(r *specs.LinuxResources) func(*specs.Spec) {
	return func(s *specs.Spec) { s.Linux.Resources = r }
}

func params(ps ...string) []libct.CgroupParam {
	var out []libct.CgroupParam
	for i := 0; i < len(ps); i += 3 {
		out = append(out, libct.CgroupParam{Controller: ps[i], Name: ps[i+1], Value: ps[i+2]})
	}
	return out
}

func TestConvertCgroupPath(t *testing.T) {
	for _, tc := range []struct{ in, want, err string }{
		{"", "/libct/ct1", ""},
		{"/machine/web", "/machine/web", ""},
		{"/machine//web/", "/machine/web", ""},
		{"web", "/libct/web", ""},
		{"a/b", "/libct/a/b", ""},
		{"system.slice:ct:web", "", "systemd cgroup path"},
		{"/a/../b", "", `".." is not allowed`},
		{"/", "", "root cgroup"},
	} {
		t.Run(tc.in, func(t *testing.T) {
			s := minimalSpec()
			s.Linux.CgroupsPath = tc.in
			cfg, _, err := Convert("ct1", testBundle(t), s)
			if tc.err != "" {
				wantFieldError(t, err, "linux.cgroupsPath", tc.err)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if cfg.Cgroup == nil || cfg.Cgroup.Path != tc.want {
				t.Errorf("cgroup %+v, want path %q", cfg.Cgroup, tc.want)
			}
		})
	}
}

func TestConvertResourcesV1(t *testing.T) {
	fakeLayout(t, cgroups.ModeHybrid, v1Controllers...)
	runConvertCases(t, []convertCase{
		{
			name: "everything",
			mod: withResources(&specs.LinuxResources{
				Devices: []specs.LinuxDeviceCgroup{
					{Allow: false, Access: "rwm"},
					{Allow: true, Type: "c", Major: ptr(int64(10)), Minor: ptr(int64(229)), Access: "rwm"},
					{Allow: true, Type: "b", Major: ptr(int64(8)), Access: "r"},
				},
				Memory: &specs.LinuxMemory{Limit: ptr(int64(1 << 30)), Reservation: ptr(int64(1 << 29)), Swap: ptr(int64(2 << 30)),
					Kernel: ptr(int64(1 << 28)), KernelTCP: ptr(int64(1 << 27)), Swappiness: ptr(uint64(10)),
					DisableOOMKiller: ptr(true), UseHierarchy: ptr(true), CheckBeforeUpdate: ptr(true)},
				CPU: &specs.LinuxCPU{Shares: ptr(uint64(512)), Quota: ptr(int64(50000)), Burst: ptr(uint64(1000)),
					Period: ptr(uint64(100000)), RealtimeRuntime: ptr(int64(950)), RealtimePeriod: ptr(uint64(1000)),
					Cpus: "0-1", Mems: "0", Idle: ptr(int64(0))},
				Pids: &specs.LinuxPids{Limit: ptr(int64(100))},
				BlockIO: &specs.LinuxBlockIO{Weight: ptr(uint16(500)), LeafWeight: ptr(uint16(300)),
					WeightDevice: []specs.LinuxWeightDevice{{LinuxBlockIODevice: specs.LinuxBlockIODevice{Major: 8, Minor: 0},
						Weight: ptr(uint16(600)), LeafWeight: ptr(uint16(20))}},
					ThrottleReadBpsDevice:   []specs.LinuxThrottleDevice{{LinuxBlockIODevice: specs.LinuxBlockIODevice{Major: 8, Minor: 0}, Rate: 1000}},
					ThrottleWriteBpsDevice:  []specs.LinuxThrottleDevice{{LinuxBlockIODevice: specs.LinuxBlockIODevice{Major: 8, Minor: 16}, Rate: 2000}},
					ThrottleReadIOPSDevice:  []specs.LinuxThrottleDevice{{LinuxBlockIODevice: specs.LinuxBlockIODevice{Major: 8, Minor: 0}, Rate: 30}},
					ThrottleWriteIOPSDevice: []specs.LinuxThrottleDevice{{LinuxBlockIODevice: specs.LinuxBlockIODevice{Major: 8, Minor: 16}, Rate: 40}},
				},
				HugepageLimits: []specs.LinuxHugepageLimit{{Pagesize: "2MB", Limit: 1 << 21}},
				Network:        &specs.LinuxNetwork{ClassID: ptr(uint32(0x100001)), Priorities: []specs.LinuxInterfacePriority{{Name: "eth0", Priority: 5}}},
				Rdma:           map[string]specs.LinuxRdma{"mlx5_1": {HcaHandles: ptr(uint32(3))}, "mlx4_0": {HcaHandles: ptr(uint32(2)), HcaObjects: ptr(uint32(2000))}},
			}),
			check: func(t *testing.T, cfg *libct.Config, _ *libct.Process) {
				cg := cfg.Cgroup
				want := libct.Resources{
					MemoryLimit: 1 << 30, MemoryReservation: 1 << 29, MemorySwap: 2 << 30,
					CPUShares: 512, CPUQuota: 50000, CPUPeriod: 100000, CpusetCpus: "0-1", CpusetMems: "0",
					PidsMax:     100,
					BlkioWeight: 500,
					BlkioThrottle: []cgroups.Throttle{
						{Major: 8, Minor: 0, ReadBps: 1000, ReadIOPS: 30},
						{Major: 8, Minor: 16, WriteBps: 2000, WriteIOPS: 40},
					},
					Hugetlb: []cgroups.HugetlbLimit{{PageSize: "2MB", Limit: 1 << 21}},
					Devices: append([]cgroups.DeviceRule{
						{Allow: false, Type: "a", Major: -1, Minor: -1, Access: "rwm"},
						{Allow: true, Type: "c", Major: 10, Minor: 229, Access: "rwm"},
						{Allow: true, Type: "b", Major: 8, Minor: -1, Access: "r"},
					}, defaultDeviceRules...),
					NetClsClassID:    0x100001,
					NetPrioIfpriomap: []cgroups.IfPriority{{Interface: "eth0", Priority: 5}},
				}
				if !reflect.DeepEqual(cg.Resources, want) {
					t.Errorf("resources\n%+v\nwant\n%+v", cg.Resources, want)
				}
				wantParams := params(
					"memory", "memory.kmem.limit_in_bytes", "268435456",
					"memory", "memory.kmem.tcp.limit_in_bytes", "134217728",
					"memory", "memory.swappiness", "10",
					"memory", "memory.oom_control", "1",
					"cpu", "cpu.cfs_burst_us", "1000",
					"cpu", "cpu.rt_period_us", "1000",
					"cpu", "cpu.rt_runtime_us", "950",
					"cpu", "cpu.idle", "0",
					"blkio", "blkio.leaf_weight", "300",
					"blkio", "blkio.weight_device", "8:0 600",
					"blkio", "blkio.leaf_weight_device", "8:0 20",
					"rdma", "rdma.max", "mlx4_0 hca_handle=2 hca_object=2000",
					"rdma", "rdma.max", "mlx5_1 hca_handle=3",
				)
				if !reflect.DeepEqual(cg.Params, wantParams) {
					t.Errorf("params\n%+v\nwant\n%+v", cg.Params, wantParams)
				}
				if cg.Path != "/libct/ct1" {
					t.Errorf("path %q", cg.Path)
				}
			},
		},
		{
			name: "pids limit 0 and -1",
			mod:  withResources(&specs.LinuxResources{Pids: &specs.LinuxPids{Limit: ptr(int64(0))}}),
			check: func(t *testing.T, cfg *libct.Config, _ *libct.Process) {
				if cfg.Cgroup.Resources.PidsMax != 0 || !reflect.DeepEqual(cfg.Cgroup.Params, params("pids", "pids.max", "0")) {
					t.Errorf("cgroup %+v", cfg.Cgroup)
				}
			},
		},
		{
			name: "unlimited",
			mod: withResources(&specs.LinuxResources{Pids: &specs.LinuxPids{Limit: ptr(int64(-1))},
				Memory: &specs.LinuxMemory{Limit: ptr(int64(-1)), Swap: ptr(int64(-1))}, CPU: &specs.LinuxCPU{Quota: ptr(int64(-1))}}),
			check: func(t *testing.T, cfg *libct.Config, _ *libct.Process) {
				r := cfg.Cgroup.Resources
				if r.PidsMax != -1 || r.MemoryLimit != -1 || r.MemorySwap != -1 || r.CPUQuota != -1 {
					t.Errorf("resources %+v", r)
				}
			},
		},
		{
			name: "no device rules: no defaults either",
			mod:  withResources(&specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: ptr(int64(1 << 20))}}),
			check: func(t *testing.T, cfg *libct.Config, _ *libct.Process) {
				if cfg.Cgroup.Resources.Devices != nil {
					t.Errorf("devices %+v", cfg.Cgroup.Resources.Devices)
				}
			},
		},
		{
			// As in runc: 0 is no limit given, not a limit of 0 bytes.
			name: "memory limits 0",
			mod: withResources(&specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: ptr(int64(0)), Reservation: ptr(int64(0)),
				Kernel: ptr(int64(0)), KernelTCP: ptr(int64(0))}}),
			check: func(t *testing.T, cfg *libct.Config, _ *libct.Process) {
				if cfg.Cgroup.Resources.MemoryLimit != 0 || cfg.Cgroup.Resources.MemoryReservation != 0 || len(cfg.Cgroup.Params) != 0 {
					t.Errorf("cgroup %+v: want no memory limit and no parameter", cfg.Cgroup)
				}
			},
		},
		{
			name:    "memory limit -2",
			mod:     withResources(&specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: ptr(int64(-2))}}),
			errPath: "linux.resources.memory.limit",
		},
		{
			name:     "swap without limit",
			mod:      withResources(&specs.LinuxResources{Memory: &specs.LinuxMemory{Swap: ptr(int64(1 << 20))}}),
			errPath:  "linux.resources.memory.swap",
			errParts: []string{"needs memory.limit"},
		},
		{
			name:     "swap below limit",
			mod:      withResources(&specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: ptr(int64(2 << 20)), Swap: ptr(int64(1 << 20))}}),
			errPath:  "linux.resources.memory.swap",
			errParts: []string{"below memory.limit"},
		},
		{
			name:    "swappiness",
			mod:     withResources(&specs.LinuxResources{Memory: &specs.LinuxMemory{Swappiness: ptr(uint64(101))}}),
			errPath: "linux.resources.memory.swappiness",
		},
		{
			name:        "use_hierarchy off",
			mod:         withResources(&specs.LinuxResources{Memory: &specs.LinuxMemory{UseHierarchy: ptr(false)}}),
			errPath:     "linux.resources.memory.useHierarchy",
			unsupported: true,
		},
		{
			name:    "cpu shares",
			mod:     withResources(&specs.LinuxResources{CPU: &specs.LinuxCPU{Shares: ptr(uint64(1))}}),
			errPath: "linux.resources.cpu.shares",
		},
		{
			name:    "cpu quota",
			mod:     withResources(&specs.LinuxResources{CPU: &specs.LinuxCPU{Quota: ptr(int64(-5))}}),
			errPath: "linux.resources.cpu.quota",
		},
		{
			name:    "cpu burst above quota",
			mod:     withResources(&specs.LinuxResources{CPU: &specs.LinuxCPU{Quota: ptr(int64(1000)), Burst: ptr(uint64(2000))}}),
			errPath: "linux.resources.cpu.burst",
		},
		{
			name:    "cpu idle",
			mod:     withResources(&specs.LinuxResources{CPU: &specs.LinuxCPU{Idle: ptr(int64(2))}}),
			errPath: "linux.resources.cpu.idle",
		},
		{
			name:    "pids",
			mod:     withResources(&specs.LinuxResources{Pids: &specs.LinuxPids{Limit: ptr(int64(-2))}}),
			errPath: "linux.resources.pids.limit",
		},
		{
			name:    "blkio weight",
			mod:     withResources(&specs.LinuxResources{BlockIO: &specs.LinuxBlockIO{Weight: ptr(uint16(5))}}),
			errPath: "linux.resources.blockIO.weight",
		},
		{
			name: "blkio device",
			mod: withResources(&specs.LinuxResources{BlockIO: &specs.LinuxBlockIO{ThrottleWriteIOPSDevice: []specs.LinuxThrottleDevice{
				{LinuxBlockIODevice: specs.LinuxBlockIODevice{Major: 8, Minor: 0}}, {LinuxBlockIODevice: specs.LinuxBlockIODevice{Major: -8}}}}}),
			errPath: "linux.resources.blockIO.throttleWriteIOPSDevice[1].major",
		},
		{
			name: "weight device weight",
			mod: withResources(&specs.LinuxResources{BlockIO: &specs.LinuxBlockIO{WeightDevice: []specs.LinuxWeightDevice{
				{LinuxBlockIODevice: specs.LinuxBlockIODevice{Major: 8}, Weight: ptr(uint16(1001))}}}}),
			errPath: "linux.resources.blockIO.weightDevice[0].weight",
		},
		{
			name:    "hugepage size",
			mod:     withResources(&specs.LinuxResources{HugepageLimits: []specs.LinuxHugepageLimit{{Limit: 1}}}),
			errPath: "linux.resources.hugepageLimits[0].pageSize",
		},
		{
			name:    "device rule type",
			mod:     withResources(&specs.LinuxResources{Devices: []specs.LinuxDeviceCgroup{{Type: "x"}}}),
			errPath: "linux.resources.devices[0].type",
		},
		{
			name:    "device rule number",
			mod:     withResources(&specs.LinuxResources{Devices: []specs.LinuxDeviceCgroup{{Type: "c", Minor: ptr(int64(-3))}}}),
			errPath: "linux.resources.devices[0].minor",
		},
		{
			name:        "device rule for all with partial access",
			mod:         withResources(&specs.LinuxResources{Devices: []specs.LinuxDeviceCgroup{{Access: "r"}}}),
			errPath:     "linux.resources.devices[0].access",
			unsupported: true,
		},
		{
			name:    "rdma device",
			mod:     withResources(&specs.LinuxResources{Rdma: map[string]specs.LinuxRdma{"a b": {}}}),
			errPath: `linux.resources.rdma["a b"]`,
		},
		{
			name:        "unified on a v1 controller",
			mod:         withResources(&specs.LinuxResources{Unified: map[string]string{"memory.high": "1g"}}),
			errPath:     `linux.resources.unified["memory.high"]`,
			errParts:    []string{"cgroup v1 hierarchy"},
			unsupported: true,
		},
	})
}

func TestConvertResourcesV2(t *testing.T) {
	fakeLayout(t, cgroups.ModeV2)
	runConvertCases(t, []convertCase{
		{
			name: "parameters",
			mod: withResources(&specs.LinuxResources{
				Memory: &specs.LinuxMemory{Limit: ptr(int64(1 << 30)), Kernel: ptr(int64(1 << 20)), CheckBeforeUpdate: ptr(false)},
				CPU:    &specs.LinuxCPU{Burst: ptr(uint64(1000)), Idle: ptr(int64(1))},
				BlockIO: &specs.LinuxBlockIO{WeightDevice: []specs.LinuxWeightDevice{
					{LinuxBlockIODevice: specs.LinuxBlockIODevice{Major: 8, Minor: 0}, Weight: ptr(uint16(500))}}},
				Unified: map[string]string{"memory.high": "max", "io.max": "8:0 rbps=1000", "pids.max": "10"},
			}),
			check: func(t *testing.T, cfg *libct.Config, _ *libct.Process) {
				want := params(
					"cpu", "cpu.max.burst", "1000",
					"cpu", "cpu.idle", "1",
					"io", "io.weight", "8:0 4950",
					"io", "io.max", "8:0 rbps=1000",
					"memory", "memory.high", "max",
					"pids", "pids.max", "10",
				)
				if !reflect.DeepEqual(cfg.Cgroup.Params, want) {
					t.Errorf("params\n%+v\nwant\n%+v", cfg.Cgroup.Params, want)
				}
			},
		},
		{
			name:        "kernel TCP",
			mod:         withResources(&specs.LinuxResources{Memory: &specs.LinuxMemory{KernelTCP: ptr(int64(1))}}),
			errPath:     "linux.resources.memory.kernelTCP",
			unsupported: true,
		},
		{
			name:        "swappiness",
			mod:         withResources(&specs.LinuxResources{Memory: &specs.LinuxMemory{Swappiness: ptr(uint64(1))}}),
			errPath:     "linux.resources.memory.swappiness",
			unsupported: true,
		},
		{
			name:        "disable OOM killer",
			mod:         withResources(&specs.LinuxResources{Memory: &specs.LinuxMemory{DisableOOMKiller: ptr(true)}}),
			errPath:     "linux.resources.memory.disableOOMKiller",
			unsupported: true,
		},
		{
			name:        "check before update",
			mod:         withResources(&specs.LinuxResources{Memory: &specs.LinuxMemory{CheckBeforeUpdate: ptr(true)}}),
			errPath:     "linux.resources.memory.checkBeforeUpdate",
			unsupported: true,
		},
		{
			name:        "realtime",
			mod:         withResources(&specs.LinuxResources{CPU: &specs.LinuxCPU{RealtimeRuntime: ptr(int64(1))}}),
			errPath:     "linux.resources.cpu.realtimeRuntime",
			unsupported: true,
		},
		{
			name:        "leaf weight",
			mod:         withResources(&specs.LinuxResources{BlockIO: &specs.LinuxBlockIO{LeafWeight: ptr(uint16(100))}}),
			errPath:     "linux.resources.blockIO.leafWeight",
			unsupported: true,
		},
		{
			name:        "net_cls",
			mod:         withResources(&specs.LinuxResources{Network: &specs.LinuxNetwork{ClassID: ptr(uint32(1))}}),
			errPath:     "linux.resources.network.classID",
			unsupported: true,
		},
		{
			name:        "unified core file",
			mod:         withResources(&specs.LinuxResources{Unified: map[string]string{"cgroup.max.depth": "2"}}),
			errPath:     `linux.resources.unified["cgroup.max.depth"]`,
			unsupported: true,
		},
		{
			name:    "unified bad name",
			mod:     withResources(&specs.LinuxResources{Unified: map[string]string{"../memory.max": "2"}}),
			errPath: `linux.resources.unified["../memory.max"]`,
		},
	})
}

func TestConvertUnifiedOnV1(t *testing.T) {
	fakeLayout(t, cgroups.ModeV1, v1Controllers...)
	runConvertCases(t, []convertCase{{
		name:        "unified",
		mod:         withResources(&specs.LinuxResources{Unified: map[string]string{"pids.max": "1"}}),
		errPath:     `linux.resources.unified["pids.max"]`,
		errParts:    []string{"needs cgroup v2"},
		unsupported: true,
	}})
}

func TestConvertResourcesForUpdate(t *testing.T) {
	fakeLayout(t, cgroups.ModeHybrid, v1Controllers...)
	r, err := ConvertResources(&specs.LinuxResources{
		Memory: &specs.LinuxMemory{Swap: ptr(int64(1 << 30))},
		CPU:    &specs.LinuxCPU{Shares: ptr(uint64(100)), Cpus: "1"},
		Pids:   &specs.LinuxPids{Limit: ptr(int64(5))},
	})
	if err != nil {
		t.Fatal(err)
	}
	want := libct.Resources{MemorySwap: 1 << 30, CPUShares: 100, CpusetCpus: "1", PidsMax: 5}
	if !reflect.DeepEqual(*r, want) {
		t.Errorf("resources %+v, want %+v", *r, want)
	}

	rt := &specs.LinuxResources{CPU: &specs.LinuxCPU{Quota: ptr(int64(1000)), RealtimeRuntime: ptr(int64(10))}}
	_, err = ConvertResources(rt)
	wantFieldError(t, err, "linux.resources.cpu.realtimeRuntime", "cpu.rt_runtime_us")
	if !errors.Is(err, ErrUnsupported) {
		t.Errorf("%v is not ErrUnsupported", err)
	}
	res, ps, err := ConvertUpdate(rt)
	if err != nil {
		t.Fatal(err)
	}
	if res.CPUQuota != 1000 || len(ps) != 1 || ps[0].Param() != (libct.CgroupParam{Controller: "cpu", Name: "cpu.rt_runtime_us", Value: "10"}) ||
		ps[0].Field() != "linux.resources.cpu.realtimeRuntime" {
		t.Errorf("update %+v %+v", res, ps)
	}

	_, err = ConvertResources(&specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: ptr(int64(-2))}})
	wantFieldError(t, err, "linux.resources.memory.limit", "must be > 0")

	// What Docker 20.10 sends for `docker update --cpus 1.5 --cpuset-cpus
	// 0-1` (toContainerdResources): every memory, cpu and blkio field it
	// was not asked to change as a pointer to 0. Nothing but the cpus may
	// change; a limit of 0 bytes would be refused or, for kernel memory,
	// written.
	docker := &specs.LinuxResources{
		Memory:  &specs.LinuxMemory{Limit: ptr(int64(0)), Reservation: ptr(int64(0)), Kernel: ptr(int64(0))},
		CPU:     &specs.LinuxCPU{Shares: ptr(uint64(0)), Quota: ptr(int64(150000)), Period: ptr(uint64(100000)), Cpus: "0-1"},
		BlockIO: &specs.LinuxBlockIO{Weight: ptr(uint16(0))},
	}
	res, ps, err = ConvertUpdate(docker)
	if err != nil {
		t.Fatalf("docker's update: %v", err)
	}
	if want := (libct.Resources{CPUQuota: 150000, CPUPeriod: 100000, CpusetCpus: "0-1"}); !reflect.DeepEqual(*res, want) || len(ps) != 0 {
		t.Errorf("docker's update: %+v %+v, want %+v and no parameter", *res, ps, want)
	}

	if r, err := ConvertResources(nil); err != nil || !reflect.DeepEqual(*r, libct.Resources{}) {
		t.Errorf("nil resources: %+v, %v", r, err)
	}
}

func TestParseV1Mounts(t *testing.T) {
	mi := "25 24 0:22 / /sys/fs/cgroup ro,nosuid - tmpfs tmpfs ro,mode=755\n" +
		"26 25 0:23 / /sys/fs/cgroup/unified rw - cgroup2 cgroup2 rw,nsdelegate\n" +
		"27 25 0:24 / /sys/fs/cgroup/cpu,cpuacct rw,relatime shared:7 - cgroup cgroup rw,cpu,cpuacct\n" +
		"28 25 0:25 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n"
	l := &cgroupLayout{mode: cgroups.ModeHybrid, v1: map[string]bool{}}
	parseV1Mounts(l, mi)
	for ctl, want := range map[string]bool{"cpu": true, "cpuacct": true, "memory": true, "hugetlb": false, "pids": false} {
		if l.isV1(ctl) != want {
			t.Errorf("isV1(%q) = %v", ctl, !want)
		}
	}
}

// TestConvertDeviceAccess: access letters in any order and repeated are
// one rule; others are dropped with a warning naming the field, and a
// rule left with no letter is dropped.
func TestConvertDeviceAccess(t *testing.T) {
	fakeLayout(t, cgroups.ModeV1, "devices")
	tests := []struct {
		name   string
		access string
		want   string // "": the rule is dropped
		warn   string
	}{
		{"rwm", "rwm", "rwm", ""},
		{"any order", "mwr", "rwm", ""},
		{"repeated", "rrw", "rw", ""},
		{"unknown letter", "rwa", "rw", `"a"`},
		{"only unknown letters", "xa", "", `"xa"`},
		{"empty is every access", "", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var warnings []*FieldError
			r := &specs.LinuxResources{Devices: []specs.LinuxDeviceCgroup{{Type: "c", Major: ptr(int64(1)), Minor: ptr(int64(11)), Access: tt.access}}}
			res, _, err := ConvertUpdate(r, WithWarnings(func(fe *FieldError) { warnings = append(warnings, fe) }))
			if err != nil {
				t.Fatalf("ConvertUpdate: %v", err)
			}
			var rule *cgroups.DeviceRule
			for i, d := range res.Devices {
				if d.Major == 1 && d.Minor == 11 {
					rule = &res.Devices[i]
				}
			}
			dropped := tt.access != "" && tt.want == ""
			switch {
			case dropped && rule != nil:
				t.Errorf("rule %+v; want it dropped", *rule)
			case !dropped && (rule == nil || rule.Access != tt.want):
				t.Errorf("rules %+v; want one for 1:11 with access %q", res.Devices, tt.want)
			}
			if tt.warn == "" {
				if len(warnings) != 0 {
					t.Errorf("warnings %v; want none", warnings)
				}
				return
			}
			if len(warnings) != 1 || warnings[0].Path != "linux.resources.devices[0].access" || !strings.Contains(warnings[0].Error(), tt.warn) {
				t.Errorf("warnings %v; want one on linux.resources.devices[0].access naming %s", warnings, tt.warn)
			}
		})
	}
}
