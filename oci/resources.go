package oci

import (
	"fmt"
	"math"
	"os"
	"path"
	"slices"
	"strconv"
	"strings"
	"sync"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/libct/libct"
	"github.com/libct/libct/cgroups"
	"github.com/libct/libct/internal/quote"
	"github.com/libct/libct/internal/sysfile"
)

const resourcesPath = "linux.resources"

// ConvertResources translates linux.resources for Container.Update (ct
// update). Update takes typed resources only: a field that libct writes as
// a raw cgroup parameter (swappiness, realtime cpu time, kernel TCP
// memory, a pids limit of 0, unified, rdma, ...) is refused; ConvertUpdate
// returns those too.
func ConvertResources(r *specs.LinuxResources) (*libct.Resources, error) {
	res, params, err := ConvertUpdate(r)
	if err != nil {
		return nil, err
	}
	if len(params) > 0 {
		return nil, unsupported(params[0].path, "libct's Update cannot change it (it is written as the raw parameter %s)", params[0].p.Name)
	}
	return res, nil
}

// UpdateParam is a raw cgroup parameter an update needs, for
// Container.ConfigureController, with the JSON path of the field it
// comes from.
type UpdateParam struct {
	p    libct.CgroupParam
	path string
}

// Param is the parameter.
func (u UpdateParam) Param() libct.CgroupParam { return u.p }

// Field is the JSON path of the field it comes from.
func (u UpdateParam) Field() string { return u.path }

// ConvertUpdate translates linux.resources for an update: typed
// resources for Container.Update, then raw parameters for
// Container.ConfigureController, to be written in order.
func ConvertUpdate(r *specs.LinuxResources, opts ...Option) (*libct.Resources, []UpdateParam, error) {
	if r == nil {
		return &libct.Resources{}, nil, nil
	}
	rc := &resConv{update: true, warn: collectOptions(opts).warn}
	if err := rc.convert(r); err != nil {
		return nil, nil, err
	}
	return &rc.res, rc.params, nil
}

// cgroup maps linux.cgroupsPath and linux.resources to the container's
// cgroup. The container gets one when ct runs as root, or when the spec
// asks for one.
func (c *converter) cgroup() error {
	l := c.linux()
	if l.Resources == nil && l.CgroupsPath == "" && os.Geteuid() != 0 {
		if c.cgroupMountPath != "" {
			return unsupported(c.cgroupMountPath, "a cgroup mount needs the container's own cgroup, which ct makes only as root or when the spec has linux.resources or linux.cgroupsPath")
		}
		return nil
	}
	p, err := cgroupPath(l.CgroupsPath, c.id)
	if err != nil {
		return err
	}
	cg := &libct.Cgroup{Path: p}
	if l.Resources != nil {
		rc := &resConv{warn: c.opts.warn}
		if err := rc.convert(l.Resources); err != nil {
			return err
		}
		cg.Resources = rc.res
		for _, u := range rc.params {
			cg.Params = append(cg.Params, u.p)
		}
	}
	c.cfg.Cgroup = cg
	return nil
}

// cgroupPath resolves linux.cgroupsPath: absolute, or relative to libct's
// own parent (/libct), never to the caller's cgroup; empty is /libct/<id>.
func cgroupPath(p, id string) (string, error) {
	const field = "linux.cgroupsPath"
	if p == "" {
		return cgroups.DefaultPath(id), nil
	}
	if !strings.HasPrefix(p, "/") && strings.Count(p, ":") == 2 {
		return "", unsupportedValue(field, p, `a systemd cgroup path ("slice:prefix:name") needs the systemd cgroup driver, which ct does not have: give a cgroup path`)
	}
	for _, part := range strings.Split(p, "/") {
		if part == ".." {
			return "", invalidValue(field, p, `".." is not allowed`)
		}
	}
	if path.IsAbs(p) {
		p = path.Clean(p)
	} else {
		p = path.Join(cgroups.DefaultParent, p)
	}
	if p == "/" {
		return "", invalidValue(field, p, "the root cgroup cannot be a container's")
	}
	return p, nil
}

// resConv translates one linux.resources.
type resConv struct {
	// update is set for ct update: checks that need the whole config
	// are left to libct, which merges the update into it.
	update bool
	// warn gets the fields dropped rather than refused (WithWarnings).
	warn   func(*FieldError)
	layout *cgroupLayout
	res    libct.Resources
	params []UpdateParam
}

func (rc *resConv) param(field, ctl, name, value string) {
	rc.params = append(rc.params, UpdateParam{p: libct.CgroupParam{Controller: ctl, Name: name, Value: value}, path: field})
}

// v1 tells whether ctl is driven by a cgroup v1 hierarchy on this host.
func (rc *resConv) v1(ctl string) (bool, error) {
	if rc.layout == nil {
		l, err := hostLayout()
		if err != nil {
			return false, fmt.Errorf("%s: %w", resourcesPath, err)
		}
		rc.layout = l
	}
	return rc.layout.isV1(ctl), nil
}

func (rc *resConv) convert(r *specs.LinuxResources) error {
	for _, step := range []func(*specs.LinuxResources) error{
		rc.devices, rc.memory, rc.cpu, rc.pids, rc.blockIO, rc.hugepages, rc.network, rc.rdma, rc.unified,
	} {
		if err := step(r); err != nil {
			return err
		}
	}
	return nil
}

// defaultDeviceRules are appended to a spec's own rules: the devices
// every container has (null, zero, full, random, urandom, tty, console,
// ptmx, the ptys) and mknod of any node, as runc allows them.
var defaultDeviceRules = []cgroups.DeviceRule{
	{Allow: true, Type: "c", Major: -1, Minor: -1, Access: "m"},
	{Allow: true, Type: "b", Major: -1, Minor: -1, Access: "m"},
	{Allow: true, Type: "c", Major: 1, Minor: 3, Access: "rwm"},
	{Allow: true, Type: "c", Major: 1, Minor: 5, Access: "rwm"},
	{Allow: true, Type: "c", Major: 1, Minor: 7, Access: "rwm"},
	{Allow: true, Type: "c", Major: 1, Minor: 8, Access: "rwm"},
	{Allow: true, Type: "c", Major: 1, Minor: 9, Access: "rwm"},
	{Allow: true, Type: "c", Major: 5, Minor: 0, Access: "rwm"},
	{Allow: true, Type: "c", Major: 5, Minor: 1, Access: "rwm"},
	{Allow: true, Type: "c", Major: 5, Minor: 2, Access: "rwm"},
	{Allow: true, Type: "c", Major: 136, Minor: -1, Access: "rwm"},
}

// devices maps the device allowlist, in order, then the default rules.
func (rc *resConv) devices(r *specs.LinuxResources) error {
	for i, d := range r.Devices {
		p := index(resourcesPath+".devices", i)
		t := d.Type
		if t == "" {
			t = "a"
		}
		if t != "a" && t != "b" && t != "c" {
			return invalidValue(p+".type", d.Type, `unknown device type (want "a", "b" or "c")`)
		}
		num := func(field string, v *int64) (int64, error) {
			if v == nil {
				return -1, nil
			}
			if *v < -1 || *v > math.MaxUint32 {
				return 0, invalid(p+"."+field, "%d is not a device number (or -1 for any)", *v)
			}
			return *v, nil
		}
		major, err := num("major", d.Major)
		if err != nil {
			return err
		}
		minor, err := num("minor", d.Minor)
		if err != nil {
			return err
		}
		access, ignored := deviceAccess(d.Access)
		if ignored != "" {
			rc.warn(invalidValue(p+".access", d.Access, "%s: not an access letter (r, w, m), ignored", quote.Value(ignored)))
			if access == "" {
				continue // nothing left to allow or deny
			}
		}
		if t == "a" {
			// Every device: the numbers do not matter.
			major, minor = -1, -1
			if access != "" && !(strings.Contains(access, "r") && strings.Contains(access, "w") && strings.Contains(access, "m")) {
				return unsupportedValue(p+".access", d.Access, `libct's rules for every device ("a") take every access ("rwm")`)
			}
		}
		rc.res.Devices = append(rc.res.Devices, cgroups.DeviceRule{Allow: d.Allow, Type: t, Major: major, Minor: minor, Access: access})
	}
	if len(rc.res.Devices) > 0 {
		rc.res.Devices = append(rc.res.Devices, defaultDeviceRules...)
	}
	return nil
}

// deviceAccess splits a device rule's access into its letters r, w and m,
// each once in that order, and the other letters.
func deviceAccess(s string) (access, ignored string) {
	var other strings.Builder
	for _, c := range s {
		if !strings.ContainsRune("rwm", c) {
			other.WriteRune(c)
		}
	}
	for _, c := range "rwm" {
		if strings.ContainsRune(s, c) {
			access += string(c)
		}
	}
	return access, other.String()
}

func (rc *resConv) memory(r *specs.LinuxResources) error {
	m := r.Memory
	if m == nil {
		return nil
	}
	p := resourcesPath + ".memory"
	// A limit of 0 is no limit, as in runc: left as it is (unlimited at
	// creation, unchanged by an update). Docker's update sends 0 for
	// every memory field it was not asked to change.
	if m.Limit != nil {
		if v := *m.Limit; v < -1 {
			return invalid(p+".limit", "%d: must be > 0 (or -1 for unlimited, 0 for none given)", v)
		}
		rc.res.MemoryLimit = *m.Limit
	}
	if m.Reservation != nil {
		if v := *m.Reservation; v < -1 {
			return invalid(p+".reservation", "%d: must be >= 0 (or -1 for none)", v)
		}
		rc.res.MemoryReservation = *m.Reservation
	}
	if m.Swap != nil {
		v := *m.Swap
		switch {
		case v < -1:
			return invalid(p+".swap", "%d: must be > 0 (or -1 for unlimited)", v)
		case v > 0 && !rc.update && rc.res.MemoryLimit <= 0:
			return invalid(p+".swap", "%d: needs memory.limit (swap limits memory plus swap)", v)
		case v > 0 && rc.res.MemoryLimit > 0 && v < rc.res.MemoryLimit:
			return invalid(p+".swap", "%d: below memory.limit %d (swap limits memory plus swap)", v, rc.res.MemoryLimit)
		}
		rc.res.MemorySwap = v
	}
	v1, err := rc.v1("memory")
	if err != nil {
		return err
	}
	// The kernel limits take 0 as none given too (runc writes them only
	// when non-zero): a kernel that still enforces memory.kmem.* would
	// otherwise deny the container every kernel allocation.
	limitParam := func(field, name string, v int64) error {
		if v < -1 {
			return invalid(p+"."+field, "%d: must be > 0 (or -1 for unlimited, 0 for none given)", v)
		}
		if v != 0 {
			rc.param(p+"."+field, "memory", name, strconv.FormatInt(v, 10))
		}
		return nil
	}
	if m.Kernel != nil && v1 {
		// Deprecated by the spec; current kernels accept the write and
		// ignore it. cgroup v2 has no such limit (kernel memory counts
		// against memory.max): there the field is ignored, as runc does.
		if err := limitParam("kernel", "memory.kmem.limit_in_bytes", *m.Kernel); err != nil {
			return err
		}
	}
	if m.KernelTCP != nil && *m.KernelTCP != 0 {
		if !v1 {
			return unsupported(p+".kernelTCP", "cgroup v2 has no kernel TCP memory limit")
		}
		if err := limitParam("kernelTCP", "memory.kmem.tcp.limit_in_bytes", *m.KernelTCP); err != nil {
			return err
		}
	}
	if m.Swappiness != nil {
		if *m.Swappiness > 100 {
			return invalid(p+".swappiness", "%d is not in 0..100", *m.Swappiness)
		}
		if !v1 {
			return unsupported(p+".swappiness", "cgroup v2 has no per-cgroup swappiness")
		}
		rc.param(p+".swappiness", "memory", "memory.swappiness", strconv.FormatUint(*m.Swappiness, 10))
	}
	if m.DisableOOMKiller != nil && *m.DisableOOMKiller {
		if !v1 {
			return unsupported(p+".disableOOMKiller", "cgroup v2 cannot disable the OOM killer")
		}
		rc.param(p+".disableOOMKiller", "memory", "memory.oom_control", "1")
	}
	if m.UseHierarchy != nil && !*m.UseHierarchy {
		return unsupported(p+".useHierarchy", "the kernel always accounts memory hierarchically")
	}
	if m.CheckBeforeUpdate != nil && *m.CheckBeforeUpdate && !v1 {
		return unsupported(p+".checkBeforeUpdate", "libct does not check the usage before it lowers memory.max")
	}
	return nil
}

func (rc *resConv) cpu(r *specs.LinuxResources) error {
	c := r.CPU
	if c == nil {
		return nil
	}
	p := resourcesPath + ".cpu"
	if c.Shares != nil && *c.Shares != 0 {
		if v := *c.Shares; v < 2 || v > 262144 {
			return invalid(p+".shares", "%d is not in 2..262144", v)
		}
		rc.res.CPUShares = *c.Shares
	}
	if c.Quota != nil && *c.Quota != 0 {
		if *c.Quota < -1 {
			return invalid(p+".quota", "%d: must be > 0 (or -1 for unlimited)", *c.Quota)
		}
		rc.res.CPUQuota = *c.Quota
	}
	if c.Period != nil && *c.Period != 0 {
		rc.res.CPUPeriod = *c.Period
	}
	rc.res.CpusetCpus, rc.res.CpusetMems = c.Cpus, c.Mems
	needV1 := c.Burst != nil || c.RealtimePeriod != nil || c.RealtimeRuntime != nil || c.Idle != nil
	if !needV1 {
		return nil
	}
	v1, err := rc.v1("cpu")
	if err != nil {
		return err
	}
	if c.Burst != nil {
		if q := rc.res.CPUQuota; q > 0 && *c.Burst > uint64(q) {
			return invalid(p+".burst", "%d is above cpu.quota %d", *c.Burst, q)
		}
		name := "cpu.max.burst"
		if v1 {
			name = "cpu.cfs_burst_us"
		}
		rc.param(p+".burst", "cpu", name, strconv.FormatUint(*c.Burst, 10))
	}
	if c.RealtimePeriod != nil || c.RealtimeRuntime != nil {
		field := p + ".realtimePeriod"
		if c.RealtimePeriod == nil {
			field = p + ".realtimeRuntime"
		}
		if !v1 {
			return unsupported(field, "cgroup v2 has no realtime cpu time")
		}
		// The period first: the runtime must fit in it.
		if c.RealtimePeriod != nil {
			rc.param(p+".realtimePeriod", "cpu", "cpu.rt_period_us", strconv.FormatUint(*c.RealtimePeriod, 10))
		}
		if c.RealtimeRuntime != nil {
			if *c.RealtimeRuntime < -1 {
				return invalid(p+".realtimeRuntime", "%d: must be >= 0 (or -1 for unlimited)", *c.RealtimeRuntime)
			}
			rc.param(p+".realtimeRuntime", "cpu", "cpu.rt_runtime_us", strconv.FormatInt(*c.RealtimeRuntime, 10))
		}
	}
	if c.Idle != nil {
		if *c.Idle != 0 && *c.Idle != 1 {
			return invalid(p+".idle", "%d: want 0 or 1", *c.Idle)
		}
		rc.param(p+".idle", "cpu", "cpu.idle", strconv.FormatInt(*c.Idle, 10))
	}
	return nil
}

func (rc *resConv) pids(r *specs.LinuxResources) error {
	if r.Pids == nil || r.Pids.Limit == nil {
		return nil
	}
	p := resourcesPath + ".pids.limit"
	switch v := *r.Pids.Limit; {
	case v < -1:
		return invalid(p, "%d: must be >= 0 (or -1 for unlimited)", v)
	case v == 0:
		// A real limit of no task at all, as the spec says; libct's
		// typed field takes 0 for "unset".
		rc.param(p, "pids", "pids.max", "0")
	default:
		rc.res.PidsMax = v
	}
	return nil
}

func (rc *resConv) blockIO(r *specs.LinuxResources) error {
	b := r.BlockIO
	if b == nil {
		return nil
	}
	p := resourcesPath + ".blockIO"
	weight := func(field string, w uint16) error {
		if w < 10 || w > 1000 {
			return invalid(field, "%d is not in 10..1000", w)
		}
		return nil
	}
	if b.Weight != nil && *b.Weight != 0 {
		if err := weight(p+".weight", *b.Weight); err != nil {
			return err
		}
		rc.res.BlkioWeight = *b.Weight
	}
	if b.LeafWeight != nil || len(b.WeightDevice) > 0 {
		v1, err := rc.v1("blkio")
		if err != nil {
			return err
		}
		if b.LeafWeight != nil && *b.LeafWeight != 0 {
			if err := weight(p+".leafWeight", *b.LeafWeight); err != nil {
				return err
			}
			if !v1 {
				return unsupported(p+".leafWeight", "cgroup v2 has no leaf weight")
			}
			rc.param(p+".leafWeight", "blkio", "blkio.leaf_weight", strconv.Itoa(int(*b.LeafWeight)))
		}
		for i, d := range b.WeightDevice {
			f := index(p+".weightDevice", i)
			dev, err := devNumber(f, d.Major, d.Minor)
			if err != nil {
				return err
			}
			if d.Weight != nil {
				if err := weight(f+".weight", *d.Weight); err != nil {
					return err
				}
				if v1 {
					rc.param(f+".weight", "blkio", "blkio.weight_device", dev+" "+strconv.Itoa(int(*d.Weight)))
				} else {
					rc.param(f+".weight", "io", "io.weight", dev+" "+strconv.FormatUint(ioWeight(*d.Weight), 10))
				}
			}
			if d.LeafWeight != nil {
				if err := weight(f+".leafWeight", *d.LeafWeight); err != nil {
					return err
				}
				if !v1 {
					return unsupported(f+".leafWeight", "cgroup v2 has no leaf weight")
				}
				rc.param(f+".leafWeight", "blkio", "blkio.leaf_weight_device", dev+" "+strconv.Itoa(int(*d.LeafWeight)))
			}
		}
	}
	type devKey struct{ major, minor uint32 }
	var order []devKey
	limits := map[devKey]*cgroups.Throttle{}
	for _, l := range []struct {
		name string
		list []specs.LinuxThrottleDevice
		set  func(*cgroups.Throttle, uint64)
	}{
		{"throttleReadBpsDevice", b.ThrottleReadBpsDevice, func(t *cgroups.Throttle, v uint64) { t.ReadBps = v }},
		{"throttleWriteBpsDevice", b.ThrottleWriteBpsDevice, func(t *cgroups.Throttle, v uint64) { t.WriteBps = v }},
		{"throttleReadIOPSDevice", b.ThrottleReadIOPSDevice, func(t *cgroups.Throttle, v uint64) { t.ReadIOPS = v }},
		{"throttleWriteIOPSDevice", b.ThrottleWriteIOPSDevice, func(t *cgroups.Throttle, v uint64) { t.WriteIOPS = v }},
	} {
		for i, d := range l.list {
			f := index(p+"."+l.name, i)
			if _, err := devNumber(f, d.Major, d.Minor); err != nil {
				return err
			}
			k := devKey{uint32(d.Major), uint32(d.Minor)}
			t, ok := limits[k]
			if !ok {
				t = &cgroups.Throttle{Major: k.major, Minor: k.minor}
				limits[k] = t
				order = append(order, k)
			}
			l.set(t, d.Rate)
		}
	}
	for _, k := range order {
		rc.res.BlkioThrottle = append(rc.res.BlkioThrottle, *limits[k])
	}
	return nil
}

// devNumber checks a block device's numbers and renders "major:minor".
func devNumber(field string, major, minor int64) (string, error) {
	if major < 0 || major > math.MaxUint32 {
		return "", invalid(field+".major", "%d is not a device number", major)
	}
	if minor < 0 || minor > math.MaxUint32 {
		return "", invalid(field+".minor", "%d is not a device number", minor)
	}
	return strconv.FormatInt(major, 10) + ":" + strconv.FormatInt(minor, 10), nil
}

// ioWeight maps a blkio weight (10..1000) linearly onto io.weight
// (1..10000), as libct does for the container's weight.
func ioWeight(w uint16) uint64 {
	b := uint64(min(max(w, 10), 1000))
	return 1 + (b-10)*9999/990
}

func (rc *resConv) hugepages(r *specs.LinuxResources) error {
	for i, h := range r.HugepageLimits {
		p := index(resourcesPath+".hugepageLimits", i)
		if h.Pagesize == "" {
			return invalid(p+".pageSize", "empty")
		}
		if h.Limit > math.MaxInt64 {
			return invalid(p+".limit", "%d is too large", h.Limit)
		}
		rc.res.Hugetlb = append(rc.res.Hugetlb, cgroups.HugetlbLimit{PageSize: h.Pagesize, Limit: int64(h.Limit)})
	}
	return nil
}

func (rc *resConv) network(r *specs.LinuxResources) error {
	n := r.Network
	if n == nil {
		return nil
	}
	p := resourcesPath + ".network"
	for _, f := range []struct {
		field, ctl string
		set        bool
	}{{".classID", "net_cls", n.ClassID != nil}, {".priorities", "net_prio", len(n.Priorities) > 0}} {
		if !f.set {
			continue
		}
		if _, err := rc.v1(f.ctl); err != nil {
			return err
		}
		if !rc.layout.v1[f.ctl] {
			return unsupported(p+f.field, "this host has no %s cgroup v1 hierarchy (cgroup v2 has no such controller)", f.ctl)
		}
	}
	if n.ClassID != nil {
		rc.res.NetClsClassID = *n.ClassID
	}
	for i, pr := range n.Priorities {
		if pr.Name == "" {
			return invalid(index(p+".priorities", i)+".name", "empty")
		}
		rc.res.NetPrioIfpriomap = append(rc.res.NetPrioIfpriomap, cgroups.IfPriority{Interface: pr.Name, Priority: pr.Priority})
	}
	return nil
}

func (rc *resConv) rdma(r *specs.LinuxResources) error {
	names := make([]string, 0, len(r.Rdma))
	for name := range r.Rdma {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		p := key(resourcesPath+".rdma", name)
		if name == "" || strings.ContainsAny(name, " \t\n=") {
			return invalid(p, "%s is not a device name", quote.Value(name))
		}
		lim := r.Rdma[name]
		var parts []string
		if lim.HcaHandles != nil {
			parts = append(parts, "hca_handle="+strconv.FormatUint(uint64(*lim.HcaHandles), 10))
		}
		if lim.HcaObjects != nil {
			parts = append(parts, "hca_object="+strconv.FormatUint(uint64(*lim.HcaObjects), 10))
		}
		if len(parts) == 0 {
			continue
		}
		rc.param(p, "rdma", "rdma.max", name+" "+strings.Join(parts, " "))
	}
	return nil
}

// unified maps raw cgroup v2 files to parameters of their controllers.
func (rc *resConv) unified(r *specs.LinuxResources) error {
	if len(r.Unified) == 0 {
		return nil
	}
	keys := make([]string, 0, len(r.Unified))
	for k := range r.Unified {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		p := key(resourcesPath+".unified", k)
		if k == "" || strings.ContainsAny(k, "/\x00") || k == "." || k == ".." {
			return invalid(p, "not a cgroup file name")
		}
		ctl, _, ok := strings.Cut(k, ".")
		if !ok || ctl == "" {
			return invalid(p, "not a cgroup file name (want controller.file)")
		}
		if ctl == "cgroup" {
			return unsupported(p, "libct writes controller files only, not the cgroup's core files")
		}
		if _, err := rc.v1(ctl); err != nil {
			return err
		}
		if rc.layout.mode == cgroups.ModeV1 {
			return unsupported(p, "needs cgroup v2; this host has cgroup v1 only")
		}
		if rc.layout.v1[ctl] {
			return unsupported(p, "the %s controller is on a cgroup v1 hierarchy on this host", ctl)
		}
		rc.param(p, ctl, k, r.Unified[k])
	}
	return nil
}

// cgroupLayout tells which controllers a cgroup v1 hierarchy drives.
type cgroupLayout struct {
	mode cgroups.Mode
	// v1 holds the controllers bound to a v1 hierarchy (hybrid and v1
	// hosts).
	v1 map[string]bool
}

func (l *cgroupLayout) isV1(ctl string) bool {
	return l.mode == cgroups.ModeV1 || l.v1[ctl]
}

// hostLayout is the host's layout, detected once; tests replace it.
var hostLayout = sync.OnceValues(func() (*cgroupLayout, error) {
	mode, err := cgroups.Detect()
	if err != nil {
		return nil, err
	}
	l := &cgroupLayout{mode: mode, v1: map[string]bool{}}
	if mode == cgroups.ModeV2 {
		return l, nil
	}
	data, err := sysfile.ReadPseudo("/proc/self/mountinfo")
	if err != nil {
		return nil, err
	}
	parseV1Mounts(l, string(data))
	return l, nil
})

// parseV1Mounts notes the controllers of the cgroup v1 mounts of a
// mountinfo ("... - cgroup cgroup rw,cpu,cpuacct").
func parseV1Mounts(l *cgroupLayout, mountinfo string) {
	for _, line := range strings.Split(mountinfo, "\n") {
		_, after, ok := strings.Cut(line, " - ")
		if !ok {
			continue
		}
		f := strings.Fields(after)
		if len(f) < 3 || f[0] != "cgroup" {
			continue
		}
		for _, opt := range strings.Split(f[2], ",") {
			l.v1[opt] = true
		}
	}
}
