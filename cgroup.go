package libct

import (
	"fmt"

	"golang.org/x/sys/unix"

	"github.com/libct/libct/cgroups"
	"github.com/libct/libct/rootfs"
)

// The cgroup types are those of package cgroups.
type (
	// Cgroup is a container's cgroup: its path, controllers and limits.
	Cgroup = cgroups.Config
	// Resources are typed cgroup limits, translated for v1 and v2.
	Resources = cgroups.Resources
	// CgroupParam is a raw write to a controller's file.
	CgroupParam = cgroups.Param
	// Stats are a container's resource usage.
	Stats = cgroups.Stats
)

// validateCgroup checks the cgroup part of a config.
func (c *Config) validateCgroup() error {
	if c.Cgroup == nil {
		if c.Options&CgroupSubmount != 0 {
			return invalid("options", "CgroupSubmount needs a cgroup (Cgroup)")
		}
		return nil
	}
	if err := c.Cgroup.Validate(); err != nil {
		return &ConfigError{Field: "cgroup", Err: err}
	}
	// With SharedMounts the sub-mount goes under the root in the mount
	// namespace the container shares, and is unmounted with the others.
	if c.Options&CgroupSubmount != 0 && !c.Namespaces.Has(NewMount) && (c.Options&SharedMounts == 0 || c.Root == "") {
		return invalid("options", "CgroupSubmount needs a mount namespace, or SharedMounts and a root")
	}
	return nil
}

// defaultCgroupPath fills the cgroup path of a container named name.
func (c *Config) defaultCgroupPath(name string) {
	if c.Cgroup != nil && c.Cgroup.Path == "" {
		c.Cgroup.Path = cgroups.DefaultPath(name)
	}
}

// createCgroup makes the container's cgroup before its init starts, for
// the init to be cloned straight into it (v2) or attached before it runs
// anything of the container (v1).
func (l *launch) createCgroup(rec *record) error {
	if l.cfg.Cgroup == nil {
		return nil
	}
	m, err := cgroups.Create(l.cfg.Cgroup)
	if err != nil {
		return startError(l.c.name, "cgroup", err)
	}
	l.undo.add(func() { m.Destroy() })
	// The plan recorded before (planCgroup) may be wider (its Top); what
	// was made is what the record keeps from here on.
	st := m.State()
	rec.Cgroup = &st
	l.cgroup = m
	return nil
}

// cgroupSubmounts are the mounts that show the container its own cgroup
// at /sys/fs/cgroup (libct's CGROUP_SUBMOUNT), as rootfs mounts.
func cgroupSubmounts(m cgroups.Manager, cgroupNS bool) []rootfs.Mount {
	var out []rootfs.Mount
	for _, cm := range m.Mounts("", cgroupNS) {
		rm := rootfs.Mount{Source: cm.Source, Destination: cm.Destination, Type: cm.Type, Data: cm.Data}
		for _, f := range []struct {
			ms   uintptr
			flag rootfs.MountFlag
		}{
			{unix.MS_BIND, rootfs.Bind}, {unix.MS_REC, rootfs.Recursive}, {unix.MS_RDONLY, rootfs.ReadOnly},
			{unix.MS_NOSUID, rootfs.NoSuid}, {unix.MS_NODEV, rootfs.NoDev}, {unix.MS_NOEXEC, rootfs.NoExec},
		} {
			if cm.Flags&f.ms != 0 {
				rm.Flags |= f.flag
			}
		}
		if rm.Flags&rootfs.Bind != 0 {
			rm.Type = ""
		}
		out = append(out, rm)
	}
	return out
}

// cgroupOf loads the manager of a started container's cgroup, or nil.
func (c *Container) cgroupOf(rec *record) (cgroups.Manager, error) {
	if rec.Cgroup == nil {
		return nil, nil
	}
	m, err := cgroups.Load(*rec.Cgroup)
	if err != nil {
		return nil, fmt.Errorf("container %q: cgroup: %w", c.name, err)
	}
	return m, nil
}

// needCgroup loads the cgroup of a container for op: a live one, or a
// stopped one whose cgroup its last start made and Destroy has not
// removed yet (its counters tell how it ended: OOM kills, usage).
func (c *Container) needCgroup(op string, rec *record, st State) (cgroups.Manager, error) {
	if st == Stopped && rec.Cgroup == nil {
		return nil, &StateError{Container: c.name, Op: op, State: st}
	}
	m, err := c.cgroupOf(rec)
	if err == nil && m == nil {
		err = invalid("cgroup", "container %q has no cgroup", c.name)
	}
	return m, err
}

// Pause freezes every process of the container and returns once the
// kernel reports them frozen (v1 freezer, v2 cgroup.freeze).
func (c *Container) Pause() error {
	return c.locked(func(rec *record, st State) error {
		if st != Running {
			return &StateError{Container: c.name, Op: "pause", State: st}
		}
		m, err := c.needCgroup("pause", rec, st)
		if err != nil {
			return err
		}
		return m.Freeze()
	})
}

// Resume thaws a paused container and returns once it runs again.
func (c *Container) Resume() error {
	return c.locked(func(rec *record, st State) error {
		if st != Paused {
			return &StateError{Container: c.name, Op: "resume", State: st}
		}
		m, err := c.needCgroup("resume", rec, st)
		if err != nil {
			return err
		}
		return m.Thaw()
	})
}

// Update changes the container's cgroup limits: stored in its config in
// every state, and applied at once when it runs.
func (c *Container) Update(r *Resources) error {
	return c.editCgroup("update", func(cg *Cgroup, m cgroups.Manager) error {
		r := pairMemory(r, &cg.Resources)
		if m != nil {
			if err := m.Set(r); err != nil {
				return err
			}
		}
		mergeResources(&cg.Resources, r)
		return nil
	})
}

// ConfigureController writes value to param of controller (libct's
// config_controller): stored for later starts, and written at once when
// the container runs. The parameter is checked to belong to the
// controller.
func (c *Container) ConfigureController(controller, param, value string) error {
	return c.editCgroup("configure controller", func(cg *Cgroup, m cgroups.Manager) error {
		if m != nil {
			if err := m.SetParam(controller, param, value); err != nil {
				return err
			}
		}
		cg.Params = append(cg.Params, CgroupParam{Controller: controller, Name: param, Value: value})
		return nil
	})
}

// AddController adds a controller to the container's cgroup, making one
// when the container has none; it takes effect at the next start.
func (c *Container) AddController(controller string) error {
	return c.configure("add controller", func(cfg *Config) error {
		if cfg.Cgroup == nil {
			cfg.Cgroup = &Cgroup{}
			cfg.defaultCgroupPath(c.name)
		}
		cfg.Cgroup.Controllers = append(cfg.Cgroup.Controllers, controller)
		return nil
	})
}

// ReadController reads param of controller of a live container (libct's
// read_controller).
func (c *Container) ReadController(controller, param string) (string, error) {
	var out string
	err := c.locked(func(rec *record, st State) error {
		m, err := c.needCgroup("read controller", rec, st)
		if err != nil {
			return err
		}
		out, err = m.GetParam(controller, param)
		return err
	})
	return out, err
}

// Stats reports the resource usage of a live container with a cgroup.
func (c *Container) Stats() (*Stats, error) {
	var out *Stats
	err := c.locked(func(rec *record, st State) error {
		m, err := c.needCgroup("read stats", rec, st)
		if err != nil {
			return err
		}
		out, err = m.Stats()
		return err
	})
	return out, err
}

// editCgroup changes the stored cgroup config and, for a live container,
// its cgroup.
func (c *Container) editCgroup(op string, edit func(*Cgroup, cgroups.Manager) error) error {
	return c.locked(func(rec *record, st State) error {
		cfg, err := c.Config()
		if err != nil {
			return err
		}
		if cfg.Cgroup == nil {
			return invalid("cgroup", "container %q has no cgroup", c.name)
		}
		var m cgroups.Manager
		if st != Stopped {
			if m, err = c.cgroupOf(rec); err != nil {
				return err
			}
		}
		if err := edit(cfg.Cgroup, m); err != nil {
			return &ConfigError{Field: "cgroup", Err: err}
		}
		if err := cfg.validate(); err != nil {
			return err
		}
		return c.dir.Write(configFile, cfg)
	})
}

// pairMemory completes an update of one of the memory limit and the
// memory plus swap limit, which the kernel checks against each other: a
// swap limit alone is set against the memory limit the container has, and
// lifting the memory limit (-1) lifts the swap limit too, as the swap
// limit may never be below it. It returns r itself when nothing is added.
func pairMemory(r, cur *Resources) *Resources {
	switch {
	case r.MemorySwap > 0 && r.MemoryLimit == 0 && cur.MemoryLimit > 0:
		out := *r
		out.MemoryLimit = cur.MemoryLimit
		return &out
	case r.MemoryLimit == -1 && r.MemorySwap == 0:
		out := *r
		out.MemorySwap = -1
		return &out
	}
	return r
}

// mergeResources sets in dst the fields set in r.
func mergeResources(dst, r *Resources) {
	if r.MemoryLimit != 0 {
		dst.MemoryLimit = r.MemoryLimit
	}
	if r.MemoryReservation != 0 {
		dst.MemoryReservation = r.MemoryReservation
	}
	if r.MemorySwap != 0 {
		dst.MemorySwap = r.MemorySwap
	}
	if r.CPUShares != 0 {
		dst.CPUShares, dst.CPUWeight = r.CPUShares, 0
	}
	if r.CPUWeight != 0 {
		dst.CPUWeight, dst.CPUShares = r.CPUWeight, 0
	}
	if r.CPUQuota != 0 {
		dst.CPUQuota = r.CPUQuota
	}
	if r.CPUPeriod != 0 {
		dst.CPUPeriod = r.CPUPeriod
	}
	if r.CpusetCpus != "" {
		dst.CpusetCpus = r.CpusetCpus
	}
	if r.CpusetMems != "" {
		dst.CpusetMems = r.CpusetMems
	}
	if r.PidsMax != 0 {
		dst.PidsMax = r.PidsMax
	}
	if r.BlkioWeight != 0 {
		dst.BlkioWeight = r.BlkioWeight
	}
	if r.BlkioThrottle != nil {
		dst.BlkioThrottle = r.BlkioThrottle
	}
	if r.Hugetlb != nil {
		dst.Hugetlb = r.Hugetlb
	}
	if r.Devices != nil {
		dst.Devices = r.Devices
	}
	if r.NetClsClassID != 0 {
		dst.NetClsClassID = r.NetClsClassID
	}
	if r.NetPrioIfpriomap != nil {
		dst.NetPrioIfpriomap = r.NetPrioIfpriomap
	}
}
