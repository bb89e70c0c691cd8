package cgroups

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"
)

func TestResolvePath(t *testing.T) {
	tests := []struct{ in, want, err string }{
		{in: "web", want: "/libct/web"},
		{in: "a/b", want: "/libct/a/b"},
		{in: "/machine/web", want: "/machine/web"},
		{in: "/libct/web/", want: "/libct/web"},
		{in: "", err: `cgroup parameter "path" value "": invalid value: empty`},
		{in: "/", err: `cgroup parameter "path" value "/": invalid value: the root cgroup cannot be a container's`},
		{in: "../x", err: `cgroup parameter "path" value "../x": invalid value: ".." is not allowed`},
		{in: "/libct/../x", err: `cgroup parameter "path" value "/libct/../x": invalid value: ".." is not allowed`},
	}
	for _, tt := range tests {
		got, err := resolvePath(tt.in)
		if tt.err != "" {
			if err == nil || err.Error() != tt.err {
				t.Errorf("resolvePath(%q) = %q, %v; want error %s", tt.in, got, err, tt.err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("resolvePath(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}

func TestConversions(t *testing.T) {
	for _, tt := range []struct{ shares, weight uint64 }{{2, 1}, {1024, 39}, {262144, 10000}} {
		if got := sharesToWeight(tt.shares); got != tt.weight {
			t.Errorf("sharesToWeight(%d) = %d, want %d", tt.shares, got, tt.weight)
		}
	}
	for _, tt := range []struct{ weight, shares uint64 }{{1, 2}, {100, 2597}, {10000, 262144}} {
		if got := weightToShares(tt.weight); got != tt.shares {
			t.Errorf("weightToShares(%d) = %d, want %d", tt.weight, got, tt.shares)
		}
	}
	for _, tt := range []struct {
		blkio uint16
		io    uint64
	}{{10, 1}, {500, 4950}, {1000, 10000}, {1, 1}} {
		if got := blkioToIOWeight(tt.blkio); got != tt.io {
			t.Errorf("blkioToIOWeight(%d) = %d, want %d", tt.blkio, got, tt.io)
		}
	}
	for _, tt := range []struct {
		b    uint64
		name string
	}{{2 << 20, "2MB"}, {1 << 30, "1GB"}, {64 << 10, "64KB"}} {
		if got := pageSizeName(tt.b); got != tt.name {
			t.Errorf("pageSizeName(%d) = %q, want %q", tt.b, got, tt.name)
		}
	}
}

// TestTranslation checks what typed resources become on each version.
func TestTranslation(t *testing.T) {
	r := &Resources{
		MemoryLimit: 64 << 20, MemoryReservation: 32 << 20, MemorySwap: 96 << 20,
		CPUShares: 1024, CPUQuota: 20000, CPUPeriod: 100000,
		CpusetCpus: "0-1", CpusetMems: "0", PidsMax: -1,
		BlkioWeight: 500, BlkioThrottle: []Throttle{{Major: 7, Minor: 0, ReadBps: 1 << 20}},
		Hugetlb: []HugetlbLimit{{PageSize: "2MB", Limit: -1}},
	}
	v2 := map[string][]string{}
	v1 := map[string][]string{}
	for _, ctl := range r.controllers() {
		ws, err := v2Writes(ctl, r, "/nonexistent")
		if err != nil {
			t.Fatal(err)
		}
		for _, w := range ws {
			v2[ctl] = append(v2[ctl], w.file+"="+w.value)
		}
		for _, w := range v1Writes(ctl, r, "/nonexistent") {
			v1[ctl] = append(v1[ctl], w.file+"="+w.value)
		}
	}
	wantV2 := map[string][]string{
		"memory":  {"memory.max=67108864", "memory.low=33554432", "memory.swap.max=33554432"},
		"cpu":     {"cpu.weight=39", "cpu.max=20000 100000"},
		"cpuset":  {"cpuset.cpus=0-1", "cpuset.mems=0"},
		"pids":    {"pids.max=max"},
		"blkio":   {"io.weight=default 4950", "io.max=7:0 rbps=1048576 wbps=max riops=max wiops=max"},
		"hugetlb": {"hugetlb.2MB.max=max"},
	}
	if !reflect.DeepEqual(v2, wantV2) {
		t.Errorf("v2 writes:\n got %v\nwant %v", v2, wantV2)
	}
	wantV1 := map[string][]string{
		"cpu":    {"cpu.shares=1024", "cpu.cfs_period_us=100000", "cpu.cfs_quota_us=20000"},
		"cpuset": {"cpuset.cpus=0-1", "cpuset.mems=0"},
		"pids":   {"pids.max=max"},
		"blkio": {"blkio.weight=500", "blkio.throttle.read_bps_device=7:0 1048576", "blkio.throttle.write_bps_device=7:0 0",
			"blkio.throttle.read_iops_device=7:0 0", "blkio.throttle.write_iops_device=7:0 0"},
		"hugetlb": {"hugetlb.2MB.limit_in_bytes=-1"},
	}
	if !reflect.DeepEqual(v1, wantV1) {
		t.Errorf("v1 writes:\n got %v\nwant %v", v1, wantV1)
	}
	// The weight is converted the other way too.
	ws := v1Writes("cpu", &Resources{CPUWeight: 100}, "")
	if len(ws) != 1 || ws[0].file != "cpu.shares" || ws[0].value != "2597" {
		t.Errorf("cpu weight 100 on v1: %v", ws)
	}
	// Unlimited swap, where the cgroup has swap accounting; without it
	// swap is unlimited already and nothing is written.
	withSwap := t.TempDir()
	if err := os.WriteFile(filepath.Join(withSwap, "memory.swap.max"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	ws, _ = v2Writes("memory", &Resources{MemoryLimit: -1, MemorySwap: -1}, withSwap)
	if got := []write{{"memory", "memory.max", "max"}, {"memory", "memory.swap.max", "max"}}; !reflect.DeepEqual(ws, got) {
		t.Errorf("unlimited memory on v2: %v", ws)
	}
	ws, _ = v2Writes("memory", &Resources{MemoryLimit: -1, MemorySwap: -1}, t.TempDir())
	if got := []write{{"memory", "memory.max", "max"}}; !reflect.DeepEqual(ws, got) {
		t.Errorf("unlimited memory on v2 without swap accounting: %v", ws)
	}
}

func TestV1DeviceWrites(t *testing.T) {
	tests := []struct {
		rules []DeviceRule
		want  []string
	}{
		{
			rules: []DeviceRule{{Type: "a", Major: -1, Minor: -1}, {Allow: true, Type: "c", Major: 1, Minor: 3, Access: "rw"}},
			want:  []string{"devices.deny a", "devices.allow c 1:3 rw"},
		},
		{
			rules: []DeviceRule{{Type: "b", Major: 8, Minor: -1, Access: "w"}},
			want:  []string{"devices.allow a", "devices.deny b 8:* w"},
		},
		{
			rules: []DeviceRule{{Allow: true, Type: "c", Major: -1, Minor: -1}},
			want:  []string{"devices.allow a", "devices.allow c *:* rwm"},
		},
	}
	for _, tt := range tests {
		var got []string
		for _, w := range v1DeviceWrites(tt.rules) {
			got = append(got, w.file+" "+w.value)
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("v1DeviceWrites(%+v) = %q, want %q", tt.rules, got, tt.want)
		}
	}
}

// runDeviceProgram interprets prog, as the kernel would run it, for one
// access: the instructions deviceProgram emits and nothing else.
func runDeviceProgram(t *testing.T, prog []insn, devType, access, major, minor uint32) int32 {
	t.Helper()
	ctx := [3]uint32{access<<16 | devType, major, minor}
	var reg [11]uint32
	for pc, steps := 0, 0; pc < len(prog); pc, steps = pc+1, steps+1 {
		if steps > len(prog) {
			t.Fatalf("program loops at %d", pc)
		}
		in := prog[pc]
		dst, src := in.regs&0xf, in.regs>>4
		switch in.code {
		case opLoadWord:
			if src != r1 || in.off%4 != 0 || in.off < 0 || in.off > 8 {
				t.Fatalf("insn %d: load outside the context: %+v", pc, in)
			}
			reg[dst] = ctx[in.off/4]
		case opMovReg32:
			reg[dst] = reg[src]
		case opMovImm32:
			reg[dst] = uint32(in.imm)
		case opRshImm32:
			reg[dst] >>= uint32(in.imm)
		case opAndImm32:
			reg[dst] &= uint32(in.imm)
		case opJeqImm32, opJneImm32, opJsetImm32:
			v, k := reg[dst], uint32(in.imm)
			taken := (in.code == opJeqImm32 && v == k) || (in.code == opJneImm32 && v != k) ||
				(in.code == opJsetImm32 && v&k != 0)
			if taken {
				pc += int(in.off)
			}
		case opExit:
			return int32(reg[r0])
		default:
			t.Fatalf("insn %d: unknown opcode %#x", pc, in.code)
		}
	}
	t.Fatal("the program runs off its end")
	return -1
}

// TestDeviceProgram runs compiled programs on accesses and checks their
// verdicts, and their length where an unconditional rule makes the rules
// before it unreachable (the verifier refuses unreachable code). The v2
// tests load them into the kernel and check enforcement.
func TestDeviceProgram(t *testing.T) {
	denyAll := DeviceRule{Type: "a", Major: -1, Minor: -1}
	type access struct {
		devType, bits, major, minor uint32
		allow                       bool
	}
	for _, tc := range []struct {
		name     string
		rules    []DeviceRule
		length   int
		accesses []access
	}{
		{
			name:   "deny all last",
			rules:  []DeviceRule{{Allow: true, Type: "c", Major: 1, Minor: 3}, denyAll},
			length: 6 + 2,
			accesses: []access{
				{devChar, accRead, 1, 3, false},
				{devBlock, accMknod, 8, 0, false},
			},
		},
		{
			name:   "allow list",
			rules:  []DeviceRule{denyAll, {Allow: true, Type: "c", Major: 1, Minor: 3, Access: "r"}, {Allow: true, Type: "b", Major: 8, Minor: -1}},
			length: 6 + 4 + 6 + 2,
			accesses: []access{
				{devChar, accRead, 1, 3, true},
				{devChar, accRead | accWrite, 1, 3, false},
				{devChar, accWrite, 1, 3, false},
				{devChar, accRead, 1, 5, false},
				{devBlock, accRead, 1, 3, false},
				{devBlock, accMknod | accRead | accWrite, 8, 17, true},
				{devChar, accRead, 8, 17, false},
			},
		},
		{
			name:   "deny one access",
			rules:  []DeviceRule{{Type: "c", Major: 10, Minor: 200, Access: "w"}},
			length: 6 + 8 + 2,
			accesses: []access{
				{devChar, accWrite, 10, 200, false},
				{devChar, accRead | accWrite, 10, 200, false},
				{devChar, accRead, 10, 200, true},
				{devChar, accWrite, 10, 201, true},
			},
		},
		{
			name:     "no rules",
			length:   6 + 2,
			accesses: []access{{devChar, accAll, 1, 1, true}},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			prog := deviceProgram(tc.rules)
			if len(prog) != tc.length {
				t.Errorf("%d instructions, want %d: %+v", len(prog), tc.length, prog)
			}
			for _, a := range tc.accesses {
				want := int32(0)
				if a.allow {
					want = 1
				}
				if got := runDeviceProgram(t, prog, a.devType, a.bits, a.major, a.minor); got != want {
					t.Errorf("type %d access %#b %d:%d: verdict %d, want %d", a.devType, a.bits, a.major, a.minor, got, want)
				}
			}
		})
	}
}

func TestParsers(t *testing.T) {
	kv := parseKV("usage_usec 1500\nuser_usec 1000\nsystem_usec 500\nnr_periods 10\nnr_throttled 3\nthrottled_usec 250\n")
	if kv["usage_usec"] != 1500 || kv["nr_throttled"] != 3 || kv["throttled_usec"] != 250 {
		t.Errorf("parseKV cpu.stat: %v", kv)
	}
	if kv := parseKV("oom_kill_disable 0\nunder_oom 0\noom_kill 2\n"); kv["oom_kill"] != 2 {
		t.Errorf("parseKV oom_control: %v", kv)
	}
	for in, want := range map[string]int64{"max": -1, "9223372036854771712": -1, "4096\n": 4096, "": -1} {
		if got := parseLimit(in); got != want {
			t.Errorf("parseLimit(%q) = %d, want %d", in, got, want)
		}
	}
	r, w := parseBlkio("8:0 Read 4096\n8:0 Write 512\n8:0 Sync 1\n8:16 Read 4\n8:16 Write 0\nTotal 4612\n")
	if r != 4100 || w != 512 {
		t.Errorf("parseBlkio = %d, %d", r, w)
	}
	io := parseIOStat("8:0 rbytes=4096 wbytes=512 rios=2 wios=1 dbytes=0 dios=0\n7:0 rbytes=4 wbytes=0 rios=1 wios=0 dbytes=0 dios=0\n")
	if io != (IOStats{ReadBytes: 4100, WriteBytes: 512, ReadOps: 3, WriteOps: 1}) {
		t.Errorf("parseIOStat = %+v", io)
	}
}

func TestDetectMountinfo(t *testing.T) {
	const mi = `30 23 0:26 / /sys/fs/cgroup ro,nosuid,nodev,noexec shared:9 - tmpfs tmpfs ro,mode=755
31 30 0:27 / /sys/fs/cgroup/unified rw,nosuid,nodev,noexec,relatime shared:10 - cgroup2 cgroup2 rw,nsdelegate
33 30 0:29 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid,nodev,noexec,relatime shared:14 - cgroup cgroup rw,cpu,cpuacct
34 30 0:30 / /sys/fs/cgroup/memory rw,nosuid,nodev,noexec,relatime shared:15 - cgroup cgroup rw,memory
35 30 0:31 / /sys/fs/cgroup/systemd rw shared:16 - cgroup cgroup rw,xattr,name=systemd
36 23 0:30 / /run/other\040mem rw shared:15 - cgroup cgroup rw,memory
`
	l := &layout{v1: map[string]*hierarchy{}}
	l.parseMounts([]byte(mi), "/sys/fs/cgroup")
	if l.unified != "/sys/fs/cgroup/unified" {
		t.Errorf("unified = %q", l.unified)
	}
	if h := l.v1["cpuacct"]; h == nil || h.mount != "/sys/fs/cgroup/cpu,cpuacct" || !reflect.DeepEqual(h.ctls, []string{"cpu", "cpuacct"}) {
		t.Errorf("cpuacct = %+v", h)
	}
	if h := l.v1["memory"]; h == nil || h.mount != "/sys/fs/cgroup/memory" {
		t.Errorf("memory = %+v", h)
	}
	if len(l.v1) != 3 {
		t.Errorf("v1 = %v, want cpu, cpuacct, memory", l.v1)
	}
	if got := unescapeMount(`/run/other\040mem`); got != "/run/other mem" {
		t.Errorf("unescapeMount = %q", got)
	}
}

// TestJSON: what libct persists survives a round trip.
func TestJSON(t *testing.T) {
	cfg := Config{
		Path: "web", Controllers: []string{"memory", "pids"},
		Resources: Resources{MemoryLimit: 1 << 20, Devices: []DeviceRule{{Type: "a", Major: -1, Minor: -1}}},
		Params:    []Param{{Controller: "pids", Name: "pids.max", Value: "10"}},
	}
	b, err := json.Marshal(&cfg)
	if err != nil {
		t.Fatal(err)
	}
	var back Config
	if err := json.Unmarshal(b, &back); err != nil || !reflect.DeepEqual(back, cfg) {
		t.Errorf("Config round trip: %v\n got %+v\nwant %+v", err, back, cfg)
	}
	st := State{Mode: ModeHybrid, Path: "/libct/web", Controllers: []string{"memory"},
		V1: map[string]string{"memory": "/sys/fs/cgroup/memory/libct/web"}, Unified: "/sys/fs/cgroup/unified/libct/web", Top: "/libct"}
	b, _ = json.Marshal(&st)
	var stBack State
	if err := json.Unmarshal(b, &stBack); err != nil || !reflect.DeepEqual(stBack, st) {
		t.Errorf("State round trip: %v %s", err, b)
	}
	s := Stats{CPU: CPUStats{Usage: time.Second}}
	if _, err := json.Marshal(&s); err != nil {
		t.Error(err)
	}
	var e *Error
	if !errors.As(invalidValue("memory", "memoryLimit", "-5", "negative"), &e) || e.Controller != "memory" {
		t.Errorf("invalidValue is not an *Error: %v", e)
	}
}
