package cgroups

import (
	"path"
	"reflect"
	"strings"
)

// DefaultParent is the cgroup under which relative paths are resolved, in
// every hierarchy. It is absolute: never below the caller's own cgroup.
const DefaultParent = "/libct"

// DefaultPath is the cgroup of a container named name: "/libct/<name>".
func DefaultPath(name string) string { return DefaultParent + "/" + name }

// Config describes the cgroup of one container. It is JSON-able, so a
// runtime can store it with the container and create the cgroup at every
// start.
type Config struct {
	// Path is the cgroup's path, the same in every hierarchy: absolute
	// ("/libct/web", "/machine/web") or relative to DefaultParent ("web"
	// is "/libct/web"). It may not climb with "..".
	Path string `json:"path"`
	// Controllers to enable, by name: blkio (or io), cpu, cpuacct, cpuset,
	// devices, freezer, hugetlb, memory, net_cls, net_prio, pids,
	// perf_event, rdma, misc. Empty: every controller the host offers.
	// Controllers that Resources and Params need are added, and so is
	// freezer when the host has it (Freeze and Kill need it on v1).
	Controllers []string `json:"controllers,omitempty"`
	// Resources are typed limits, translated for the host's cgroup version.
	Resources Resources `json:"resources,omitzero"`
	// Params are raw parameters written after Resources, in order (libct's
	// ConfigureController).
	Params []Param `json:"params,omitempty"`
}

// Param is one raw write: Value into the file Name of Controller's
// directory. Name is the cgroup file name and must belong to the
// controller as the host names it ("memory.limit_in_bytes" on v1,
// "memory.max" on v2; blkio's files are "io.*" on v2).
type Param struct {
	Controller string `json:"controller"`
	Name       string `json:"name"`
	Value      string `json:"value"`
}

// Resources are typed limits. A zero field is left as it is (the kernel's
// default at creation, the current value on Set); -1 means unlimited where
// the field says so.
type Resources struct {
	// MemoryLimit is the hard limit of memory use in bytes (v1
	// memory.limit_in_bytes, v2 memory.max); -1: unlimited.
	MemoryLimit int64 `json:"memoryLimit,omitempty"`
	// MemoryReservation is the soft limit in bytes (v1
	// memory.soft_limit_in_bytes, v2 memory.low); -1: none.
	MemoryReservation int64 `json:"memoryReservation,omitempty"`
	// MemorySwap limits memory plus swap, in bytes, as v1's memsw does:
	// equal to MemoryLimit, no swap at all; -1: unlimited swap. It needs
	// MemoryLimit. v2 limits swap alone: memory.swap.max gets
	// MemorySwap-MemoryLimit.
	MemorySwap int64 `json:"memorySwap,omitempty"`

	// CPUShares is the v1 relative cpu weight (2..262144, 1024 by
	// default); on v2 it is converted to cpu.weight.
	CPUShares uint64 `json:"cpuShares,omitempty"`
	// CPUWeight is the v2 relative cpu weight (1..10000, 100 by default);
	// on v1 it is converted to cpu.shares. Exclusive with CPUShares.
	CPUWeight uint64 `json:"cpuWeight,omitempty"`
	// CPUQuota is the cpu time in microseconds the cgroup may use per
	// CPUPeriod, over all cpus; -1: unlimited.
	CPUQuota int64 `json:"cpuQuota,omitempty"`
	// CPUPeriod is the quota's period in microseconds (kernel default
	// 100000).
	CPUPeriod uint64 `json:"cpuPeriod,omitempty"`

	// CpusetCpus and CpusetMems are cpu and memory node lists ("0-2,5").
	// On v1 a new cgroup starts with its parent's lists.
	CpusetCpus string `json:"cpusetCpus,omitempty"`
	CpusetMems string `json:"cpusetMems,omitempty"`

	// PidsMax limits the number of tasks (processes and threads); -1:
	// unlimited. (A limit of 0 is written with a Param.)
	PidsMax int64 `json:"pidsMax,omitempty"`

	// BlkioWeight is the relative io weight (1..1000, v1 blkio.weight or
	// blkio.bfq.weight); on v2 it is converted to io.weight (1..10000), or
	// written as is to io.bfq.weight when the host has no io.weight.
	BlkioWeight uint16 `json:"blkioWeight,omitempty"`
	// BlkioThrottle limits bandwidth and operations per block device.
	BlkioThrottle []Throttle `json:"blkioThrottle,omitempty"`

	// Hugetlb limits huge page use per page size.
	Hugetlb []HugetlbLimit `json:"hugetlb,omitempty"`

	// Devices are access rules for device nodes, applied in order over an
	// allow-all default: the last rule that matches an access decides it.
	// Start with a deny-all rule for a whitelist. v1 writes them to
	// devices.allow and devices.deny; v2 compiles them into an eBPF
	// program attached to the cgroup. Empty: left as is.
	Devices []DeviceRule `json:"devices,omitempty"`

	// NetClsClassID tags the cgroup's packets (v1 net_cls.classid).
	NetClsClassID uint32 `json:"netClsClassID,omitempty"`
	// NetPrioIfpriomap sets per-interface priorities (v1
	// net_prio.ifpriomap).
	NetPrioIfpriomap []IfPriority `json:"netPrioIfpriomap,omitempty"`
}

// IsZero reports whether r is the zero Resources: no limit set.
// encoding/json's omitzero asks it, and so does the generated codec of
// libct's stored config, which cannot compare a struct that holds slices.
func (r Resources) IsZero() bool { return reflect.ValueOf(r).IsZero() }

// Throttle limits one block device. A zero limit is no limit.
type Throttle struct {
	Major     uint32 `json:"major"`
	Minor     uint32 `json:"minor"`
	ReadBps   uint64 `json:"readBps,omitempty"`
	WriteBps  uint64 `json:"writeBps,omitempty"`
	ReadIOPS  uint64 `json:"readIOPS,omitempty"`
	WriteIOPS uint64 `json:"writeIOPS,omitempty"`
}

// HugetlbLimit limits the use of huge pages of one size.
type HugetlbLimit struct {
	// PageSize as the kernel names it in hugetlb.<size>.*: "2MB", "1GB".
	PageSize string `json:"pageSize"`
	// Limit in bytes; -1: unlimited.
	Limit int64 `json:"limit"`
}

// IfPriority is the priority of a network interface's traffic.
type IfPriority struct {
	Interface string `json:"interface"`
	Priority  uint32 `json:"priority"`
}

// DeviceRule allows or denies access to device nodes.
type DeviceRule struct {
	Allow bool `json:"allow"`
	// Type is "c" (char), "b" (block) or "a" (every device: Major and
	// Minor must be -1 and Access "rwm" or empty).
	Type string `json:"type"`
	// Major and Minor numbers; -1 matches any.
	Major int64 `json:"major"`
	Minor int64 `json:"minor"`
	// Access is a subset of "rwm" (read, write, mknod); empty: "rwm". An
	// allow rule matches an access when it covers every bit asked for; a
	// deny rule when it covers any.
	Access string `json:"access,omitempty"`
}

// resolvePath makes p absolute under DefaultParent when it is relative,
// and refuses the root and "..".
func resolvePath(p string) (string, error) {
	if p == "" {
		return "", invalidValue("", "path", p, "empty")
	}
	for _, c := range strings.Split(p, "/") {
		if c == ".." {
			return "", invalidValue("", "path", p, `".." is not allowed`)
		}
	}
	abs := p
	if !strings.HasPrefix(p, "/") {
		abs = DefaultParent + "/" + p
	}
	abs = path.Clean(abs)
	if abs == "/" {
		return "", invalidValue("", "path", p, "the root cgroup cannot be a container's")
	}
	return abs, nil
}
