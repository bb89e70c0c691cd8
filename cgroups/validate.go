package cgroups

import (
	"os"
	"slices"
	"strconv"
	"strings"
)

// Validate checks the config against this host before anything is
// created: the path, that every controller is known and offered by the
// host, the typed resources' ranges, and every raw parameter's controller,
// name and value. Errors are *Error naming controller, parameter and
// value. Whether a parameter's file exists, and whether the kernel takes a
// value, is known only once the cgroup exists: Create checks that and
// removes what it made when it fails.
func (c *Config) Validate() error {
	l, err := hostLayout()
	if err != nil {
		return err
	}
	_, err = c.plan(l)
	return err
}

// plan is a Config resolved against the host.
type plan struct {
	path string
	ctls []string // canonical names, sorted
}

func (c *Config) plan(l *layout) (*plan, error) {
	p, err := resolvePath(c.Path)
	if err != nil {
		return nil, err
	}
	set := map[string]bool{}
	add := func(ctl string) error {
		if _, err := l.route(ctl); err != nil {
			return err
		}
		set[ctl] = true
		return nil
	}
	if len(c.Controllers) == 0 {
		for _, ctl := range l.available() {
			set[ctl] = true
		}
	}
	for _, name := range c.Controllers {
		ctl, err := canonical(name)
		if err != nil {
			return nil, err
		}
		if err := add(ctl); err != nil {
			return nil, err
		}
	}
	if err := c.Resources.validate(l); err != nil {
		return nil, err
	}
	for _, ctl := range c.Resources.controllers() {
		if err := add(ctl); err != nil {
			return nil, err
		}
	}
	for _, prm := range c.Params {
		ctl, err := checkParam(l, prm.Controller, prm.Name, prm.Value)
		if err != nil {
			return nil, err
		}
		set[ctl] = true
	}
	// Freeze and Kill need the freezer where it is a v1 controller.
	if _, err := l.route("freezer"); err == nil {
		set["freezer"] = true
	}
	ctls := make([]string, 0, len(set))
	for ctl := range set {
		ctls = append(ctls, ctl)
	}
	slices.Sort(ctls)
	return &plan{path: p, ctls: ctls}, nil
}

// checkParam validates a raw parameter and returns its canonical
// controller.
func checkParam(l *layout, controller, name, value string) (string, error) {
	ctl, err := canonical(controller)
	if err != nil {
		return "", err
	}
	h, err := l.route(ctl)
	if err != nil {
		return "", err
	}
	if err := checkParamName(ctl, name, value, h != nil); err != nil {
		return "", err
	}
	if err := checkValue(ctl, name, value); err != nil {
		return "", err
	}
	return ctl, nil
}

// valueKind is the syntax of a parameter whose values this package knows.
type valueKind int

const (
	anyValue   valueKind = iota
	bytesV1              // "-1" or a size: 123, 64k, 512M, 2G
	bytesV2              // "max" or a size
	countMax             // "max" or a non-negative integer
	unsigned             // a non-negative integer
	quotaV1              // "-1" or a non-negative integer
	signedWord           // an integer
)

var knownValues = map[string]valueKind{
	"memory.limit_in_bytes":       bytesV1,
	"memory.soft_limit_in_bytes":  bytesV1,
	"memory.memsw.limit_in_bytes": bytesV1,
	"memory.kmem.limit_in_bytes":  bytesV1,
	"memory.swappiness":           unsigned,
	"memory.max":                  bytesV2,
	"memory.high":                 bytesV2,
	"memory.low":                  bytesV2,
	"memory.min":                  bytesV2,
	"memory.swap.max":             bytesV2,
	"memory.swap.high":            bytesV2,
	"memory.zswap.max":            bytesV2,
	"pids.max":                    countMax,
	"cpu.shares":                  unsigned,
	"cpu.weight":                  unsigned,
	"cpu.weight.nice":             signedWord,
	"cpu.cfs_quota_us":            quotaV1,
	"cpu.cfs_period_us":           unsigned,
	"cpu.idle":                    unsigned,
	"net_cls.classid":             unsigned,
}

func kindOf(name string) valueKind {
	if k, ok := knownValues[name]; ok {
		return k
	}
	if strings.HasPrefix(name, "hugetlb.") {
		switch {
		case strings.HasSuffix(name, ".limit_in_bytes"):
			return bytesV1
		case strings.HasSuffix(name, ".max"):
			return bytesV2
		}
	}
	return anyValue
}

// checkValue refuses an empty value, and a value of a known parameter
// that is negative or not a number.
func checkValue(ctl, name, value string) error {
	v := strings.TrimSpace(value)
	if v == "" {
		return invalidValue(ctl, name, value, "empty")
	}
	var ok bool
	want := ""
	switch kindOf(name) {
	case anyValue:
		return nil
	case bytesV1:
		ok, want = v == "-1" || isSize(v), `a size in bytes (suffix k, m or g) or -1`
	case bytesV2:
		ok, want = v == "max" || isSize(v), `a size in bytes (suffix k, m or g) or "max"`
	case countMax:
		ok, want = v == "max" || isUint(v), `a non-negative integer or "max"`
	case unsigned:
		ok, want = isUint(v), "a non-negative integer"
	case quotaV1:
		ok, want = v == "-1" || isUint(v), "a non-negative integer or -1"
	case signedWord:
		_, err := strconv.ParseInt(v, 10, 64)
		ok, want = err == nil, "an integer"
	}
	if !ok {
		return invalidValue(ctl, name, value, "want %s", want)
	}
	return nil
}

func isUint(s string) bool {
	_, err := strconv.ParseUint(s, 10, 64)
	return err == nil
}

func isSize(s string) bool {
	if n := len(s); n > 1 && strings.ContainsRune("kKmMgG", rune(s[n-1])) {
		s = s[:n-1]
	}
	return isUint(s)
}

// controllers lists the controllers the set fields need.
func (r *Resources) controllers() []string {
	var out []string
	add := func(cond bool, ctl string) {
		if cond {
			out = append(out, ctl)
		}
	}
	add(r.MemoryLimit != 0 || r.MemoryReservation != 0 || r.MemorySwap != 0, "memory")
	add(r.CPUShares != 0 || r.CPUWeight != 0 || r.CPUQuota != 0 || r.CPUPeriod != 0, "cpu")
	add(r.CpusetCpus != "" || r.CpusetMems != "", "cpuset")
	add(r.PidsMax != 0, "pids")
	add(r.BlkioWeight != 0 || len(r.BlkioThrottle) > 0, "blkio")
	add(len(r.Hugetlb) > 0, "hugetlb")
	add(len(r.Devices) > 0, "devices")
	add(r.NetClsClassID != 0, "net_cls")
	add(len(r.NetPrioIfpriomap) > 0, "net_prio")
	return out
}

// validate checks ranges and syntax of the set fields.
func (r *Resources) validate(l *layout) error {
	limit := func(ctl, field string, v int64) error {
		if v < -1 {
			return invalidValue(ctl, field, strconv.FormatInt(v, 10), "negative (want -1 for unlimited, or a positive number)")
		}
		return nil
	}
	for _, f := range []struct {
		ctl, field string
		v          int64
	}{
		{"memory", "memoryLimit", r.MemoryLimit},
		{"memory", "memoryReservation", r.MemoryReservation},
		{"memory", "memorySwap", r.MemorySwap},
		{"cpu", "cpuQuota", r.CPUQuota},
		{"pids", "pidsMax", r.PidsMax},
	} {
		if err := limit(f.ctl, f.field, f.v); err != nil {
			return err
		}
	}
	if r.MemorySwap > 0 {
		if r.MemoryLimit <= 0 {
			return invalidValue("memory", "memorySwap", strconv.FormatInt(r.MemorySwap, 10), "needs a memoryLimit (swap is limited as memory plus swap)")
		}
		if r.MemorySwap < r.MemoryLimit {
			return invalidValue("memory", "memorySwap", strconv.FormatInt(r.MemorySwap, 10), "below memoryLimit %d (it limits memory plus swap)", r.MemoryLimit)
		}
	}
	u := func(v uint64) string { return strconv.FormatUint(v, 10) }
	if r.CPUShares != 0 && r.CPUWeight != 0 {
		return invalidValue("cpu", "cpuWeight", u(r.CPUWeight), "exclusive with cpuShares")
	}
	if r.CPUShares != 0 && (r.CPUShares < 2 || r.CPUShares > 262144) {
		return invalidValue("cpu", "cpuShares", u(r.CPUShares), "out of range 2..262144")
	}
	if r.CPUWeight > 10000 {
		return invalidValue("cpu", "cpuWeight", u(r.CPUWeight), "out of range 1..10000")
	}
	if err := checkList("cpuset", "cpusetCpus", r.CpusetCpus); err != nil {
		return err
	}
	if err := checkList("cpuset", "cpusetMems", r.CpusetMems); err != nil {
		return err
	}
	if r.BlkioWeight > 1000 {
		return invalidValue("blkio", "blkioWeight", u(uint64(r.BlkioWeight)), "out of range 1..1000")
	}
	for i, h := range r.Hugetlb {
		field := "hugetlb[" + strconv.Itoa(i) + "]"
		if !hugePageSizeExists(h.PageSize) {
			return invalidValue("hugetlb", field+".pageSize", h.PageSize, "no such huge page size on this host")
		}
		if err := limit("hugetlb", field+".limit", h.Limit); err != nil {
			return err
		}
	}
	for i := range r.Devices {
		if err := r.Devices[i].check(i); err != nil {
			return err
		}
	}
	for i, p := range r.NetPrioIfpriomap {
		if p.Interface == "" || strings.ContainsAny(p.Interface, " \t\n/") {
			return invalidValue("net_prio", "netPrioIfpriomap["+strconv.Itoa(i)+"].interface", p.Interface, "not an interface name")
		}
	}
	return nil
}

// checkList accepts a cpu or node list: "0-3,5".
func checkList(ctl, field, s string) error {
	if s == "" {
		return nil
	}
	for _, part := range strings.Split(s, ",") {
		lo, hi, isRange := strings.Cut(part, "-")
		if !isUint(lo) || isRange && !isUint(hi) {
			return invalidValue(ctl, field, s, `want a list like "0-3,5"`)
		}
	}
	return nil
}

// hugePageSizes lists the huge page sizes of the host as the hugetlb
// controller names them ("2MB", "1GB"), the smallest first.
func hugePageSizes() []string {
	ents, _ := os.ReadDir("/sys/kernel/mm/hugepages")
	var sizes []uint64
	for _, e := range ents {
		kb, ok := strings.CutPrefix(e.Name(), "hugepages-")
		if !ok {
			continue
		}
		if n, err := strconv.ParseUint(strings.TrimSuffix(kb, "kB"), 10, 64); err == nil {
			sizes = append(sizes, n<<10)
		}
	}
	slices.Sort(sizes)
	out := make([]string, len(sizes))
	for i, n := range sizes {
		out[i] = pageSizeName(n)
	}
	return out
}

// pageSizeName names a size as the kernel's hugetlb files do.
func pageSizeName(b uint64) string {
	units := []string{"B", "KB", "MB", "GB", "TB"}
	i := 0
	for b >= 1024 && b%1024 == 0 && i < len(units)-1 {
		b /= 1024
		i++
	}
	return strconv.FormatUint(b, 10) + units[i]
}

func hugePageSizeExists(size string) bool {
	if size == "" || strings.ContainsAny(size, "/.") {
		return false
	}
	return slices.Contains(hugePageSizes(), size)
}
