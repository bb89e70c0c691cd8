package cgroups

import "strings"

// ctlInfo is what this package knows of a controller.
type ctlInfo struct {
	// v2 is the controller's name in cgroup.controllers of the unified
	// hierarchy; "" when it has none there.
	v2 string
	// implicit tells that the unified hierarchy offers the controller's
	// function without a cgroup.controllers entry: the freezer
	// (cgroup.freeze), devices (eBPF), perf_event, cpuacct (cpu.stat).
	implicit bool
	// v2Prefix is the prefix of the controller's files on v2, "" when it
	// has none; on v1 it is always the controller's name and ".".
	v2Prefix string
}

var controllers = map[string]ctlInfo{
	"blkio":      {v2: "io", v2Prefix: "io."},
	"cpu":        {v2: "cpu", v2Prefix: "cpu."},
	"cpuacct":    {implicit: true, v2Prefix: "cpu."},
	"cpuset":     {v2: "cpuset", v2Prefix: "cpuset."},
	"devices":    {implicit: true},
	"freezer":    {implicit: true},
	"hugetlb":    {v2: "hugetlb", v2Prefix: "hugetlb."},
	"memory":     {v2: "memory", v2Prefix: "memory."},
	"net_cls":    {},
	"net_prio":   {},
	"pids":       {v2: "pids", v2Prefix: "pids."},
	"perf_event": {v2: "perf_event", implicit: true},
	"rdma":       {v2: "rdma", v2Prefix: "rdma."},
	"misc":       {v2: "misc", v2Prefix: "misc."},
}

// canonical returns the name this package uses for a controller: v1's
// names, with "io" an alias of "blkio".
func canonical(name string) (string, error) {
	if name == "io" {
		return "blkio", nil
	}
	if _, ok := controllers[name]; !ok {
		return "", ctlErr(name, ErrUnknownController)
	}
	return name, nil
}

// paramPrefix is the prefix of ctl's files where it lives: v1 or unified.
func paramPrefix(ctl string, v1 bool) string {
	if v1 {
		return ctl + "."
	}
	return controllers[ctl].v2Prefix
}

// checkParamName refuses a file name that is not one of ctl's, or that is
// not a plain name.
func checkParamName(ctl, name, value string, v1 bool) error {
	if name == "" || strings.ContainsAny(name, "/\x00") || name == "." || name == ".." {
		return paramErr(ctl, name, value, ErrUnknownParam)
	}
	prefix := paramPrefix(ctl, v1)
	if prefix == "" || !strings.HasPrefix(name, prefix) || len(name) == len(prefix) {
		return paramErr(ctl, name, value, ErrUnknownParam)
	}
	return nil
}
