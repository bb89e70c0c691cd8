package oci

import (
	"path"
	"path/filepath"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/libct/libct"
)

// cgroupMountDest is where a spec's "cgroup" mount shows the container its
// own cgroup (libct's CgroupSubmount).
const cgroupMountDest = "/sys/fs/cgroup"

// optKind is what a mount option does.
type optKind int

const (
	optSet         optKind = iota // sets flag
	optClear                      // clears flag
	optRecSet                     // sets flag on the mount and every submount
	optRecClear                   // clears flag on the mount and every submount
	optNone                       // no effect with mount(2): the kernel's default
	optBind                       // bind
	optRBind                      // rbind
	optPropagation                // private, rslave, ...
	optCopyUp                     // tmpcopyup
	optIDMap                      // idmap, ridmap
	optRefused                    // recognised, not supported by libct
)

type mountOpt struct {
	kind optKind
	flag libct.MountFlag
	// clear is, for optClear, the flag that says flag was asked to be off.
	clear libct.MountFlag
	why   string // for optRefused
}

// mountOptions are the options the spec and mount(8) define, as opposed
// to file system options, which go to the mount's data.
var mountOptions = map[string]mountOpt{
	"ro":            {kind: optSet, flag: libct.MountReadOnly},
	"rw":            {kind: optClear, flag: libct.MountReadOnly, clear: libct.MountReadWrite},
	"nosuid":        {kind: optSet, flag: libct.MountNoSuid},
	"suid":          {kind: optClear, flag: libct.MountNoSuid, clear: libct.MountSuid},
	"nodev":         {kind: optSet, flag: libct.MountNoDev},
	"dev":           {kind: optClear, flag: libct.MountNoDev, clear: libct.MountDev},
	"noexec":        {kind: optSet, flag: libct.MountNoExec},
	"exec":          {kind: optClear, flag: libct.MountNoExec, clear: libct.MountExec},
	"strictatime":   {kind: optSet, flag: libct.MountStrictAtime},
	"nostrictatime": {kind: optClear, flag: libct.MountStrictAtime, clear: libct.MountNoStrictAtime},

	"noatime":     {kind: optSet, flag: libct.MountNoAtime},
	"atime":       {kind: optClear, flag: libct.MountNoAtime, clear: libct.MountAtime},
	"nodiratime":  {kind: optSet, flag: libct.MountNoDiratime},
	"diratime":    {kind: optClear, flag: libct.MountNoDiratime, clear: libct.MountDiratime},
	"relatime":    {kind: optSet, flag: libct.MountRelAtime},
	"norelatime":  {kind: optClear, flag: libct.MountRelAtime, clear: libct.MountNoRelAtime},
	"nosymfollow": {kind: optSet, flag: libct.MountNoSymFollow},
	"symfollow":   {kind: optClear, flag: libct.MountNoSymFollow, clear: libct.MountSymFollow},
	"sync":        {kind: optSet, flag: libct.MountSync},
	"async":       {kind: optClear, flag: libct.MountSync},
	"dirsync":     {kind: optSet, flag: libct.MountDirSync},
	"lazytime":    {kind: optSet, flag: libct.MountLazyTime},
	"nolazytime":  {kind: optClear, flag: libct.MountLazyTime},

	"rro":          {kind: optRecSet, flag: libct.MountReadOnly},
	"rrw":          {kind: optRecClear, flag: libct.MountReadOnly, clear: libct.MountReadWrite},
	"rnosuid":      {kind: optRecSet, flag: libct.MountNoSuid},
	"rsuid":        {kind: optRecClear, flag: libct.MountNoSuid, clear: libct.MountSuid},
	"rnodev":       {kind: optRecSet, flag: libct.MountNoDev},
	"rdev":         {kind: optRecClear, flag: libct.MountNoDev, clear: libct.MountDev},
	"rnoexec":      {kind: optRecSet, flag: libct.MountNoExec},
	"rexec":        {kind: optRecClear, flag: libct.MountNoExec, clear: libct.MountExec},
	"rstrictatime": {kind: optRecSet, flag: libct.MountStrictAtime},
	"rnoatime":     {kind: optRecSet, flag: libct.MountNoAtime},
	"rrelatime":    {kind: optRecSet, flag: libct.MountRelAtime},
	"rnodiratime":  {kind: optRecSet, flag: libct.MountNoDiratime},
	"rnosymfollow": {kind: optRecSet, flag: libct.MountNoSymFollow},

	// These ask for what mount(2) does anyway; mand is ignored by kernels
	// since 5.15, and silent only quiets the kernel log.
	"defaults":       {kind: optNone},
	"nomand":         {kind: optNone},
	"mand":           {kind: optNone},
	"loud":           {kind: optNone},
	"silent":         {kind: optNone},
	"rnostrictatime": {kind: optRecClear, flag: libct.MountStrictAtime, clear: libct.MountNoStrictAtime},

	"bind":  {kind: optBind},
	"rbind": {kind: optRBind},

	"private":     {kind: optPropagation, flag: libct.MountPrivate},
	"rprivate":    {kind: optPropagation, flag: libct.MountPrivate | libct.MountRecursivePropagation},
	"slave":       {kind: optPropagation, flag: libct.MountSlave},
	"rslave":      {kind: optPropagation, flag: libct.MountSlave | libct.MountRecursivePropagation},
	"shared":      {kind: optPropagation, flag: libct.MountShared},
	"rshared":     {kind: optPropagation, flag: libct.MountShared | libct.MountRecursivePropagation},
	"unbindable":  {kind: optPropagation, flag: libct.MountUnbindable},
	"runbindable": {kind: optPropagation, flag: libct.MountUnbindable | libct.MountRecursivePropagation},

	"remount":     {kind: optRefused, why: "a container's mounts are new mounts: there is nothing to remount"},
	"idmap":       {kind: optIDMap},
	"ridmap":      {kind: optIDMap, flag: libct.MountRecursive},
	"tmpcopyup":   {kind: optCopyUp},
	"ratime":      {kind: optRecClear, flag: libct.MountNoAtime, clear: libct.MountAtime},
	"rdiratime":   {kind: optRecClear, flag: libct.MountNoDiratime, clear: libct.MountDiratime},
	"rnorelatime": {kind: optRecClear, flag: libct.MountRelAtime, clear: libct.MountNoRelAtime},
	"rsymfollow":  {kind: optRecClear, flag: libct.MountNoSymFollow, clear: libct.MountSymFollow},
}

// parsedMount is a spec mount's options sorted out.
type parsedMount struct {
	flags   libct.MountFlag // ReadOnly, NoSuid, NoDev, NoExec, StrictAtime
	bind    bool
	rbind   bool
	prop    libct.MountFlag // Private, Slave or Shared, or 0
	propOpt string          // the option that set prop
	propIdx int
	// recursiveAttrs: an r-option (rro, rnosuid, ratime...) asks for the
	// flags on every submount.
	recursiveAttrs bool
	copyUp         bool // tmpcopyup
	copyUpAt       int
	// idmap: an idmap or ridmap option; ridmap: the last was ridmap.
	idmap, ridmap bool
	data          []string
}

// clearFlagOf maps a flag to the one that asks for it to be off, for a
// later option that sets it again.
var clearFlagOf = func() map[libct.MountFlag]libct.MountFlag {
	m := map[libct.MountFlag]libct.MountFlag{}
	for _, o := range mountOptions {
		if o.kind == optClear {
			m[o.flag] = o.clear
		}
	}
	return m
}()

// parseMountOptions sorts out the options of mounts[i] (p is its path).
// Later options win over earlier ones, as with mount(8).
func parseMountOptions(p string, opts []string) (*parsedMount, error) {
	pm := &parsedMount{}
	for j, o := range opts {
		op, known := mountOptions[o]
		if !known {
			if o == "" {
				return nil, invalid(index(p+".options", j), "empty option")
			}
			pm.data = append(pm.data, o)
			continue
		}
		switch op.kind {
		case optSet:
			pm.flags |= op.flag
			pm.flags &^= clearFlagOf[op.flag]
		case optRecSet:
			pm.flags |= op.flag
			pm.recursiveAttrs = true
		case optClear:
			pm.flags &^= op.flag
			pm.flags |= op.clear
		case optRecClear:
			pm.flags &^= op.flag
			pm.flags |= op.clear
			pm.recursiveAttrs = true
		case optBind:
			pm.bind = true
		case optRBind:
			pm.bind, pm.rbind = true, true
		case optPropagation:
			pm.prop, pm.propOpt, pm.propIdx = op.flag, o, j
		case optCopyUp:
			pm.copyUp, pm.copyUpAt = true, j
		case optIDMap:
			pm.idmap, pm.ridmap = true, op.flag == libct.MountRecursive
		case optRefused:
			return nil, unsupportedValue(index(p+".options", j), o, "%s", op.why)
		}
	}
	return pm, nil
}

// mounts maps the spec's mounts. /proc is mounted only when the spec has
// it (NoAutoProc). A /dev mount that is a file system (a tmpfs) gets
// libct's minimal /dev in it; a /dev that is a bind mount is left as it
// is (NoMinimalDev). A "cgroup" or "cgroup2" mount at /sys/fs/cgroup
// becomes libct's cgroup sub-mount, read-only when the spec says "ro".
func (c *converter) mounts() error {
	ms := c.spec.Mounts

	for i, m := range ms {
		p := index("mounts", i)
		if m.Destination == "" {
			return invalid(p+".destination", "empty")
		}
		// Relative destinations are relative to "/", for old specs, as
		// the spec recommends.
		dest := path.Clean("/" + m.Destination)
		// A destination written as the host path of a place in the root
		// names that place, as runc reads it.
		if root := c.cfg.Root; root != "" && root != "/" && strings.HasPrefix(dest, root+"/") {
			dest = dest[len(root):]
		}
		if dest == "/" {
			return invalidValue(p+".destination", m.Destination, `cannot be "/"`)
		}
		if strings.HasPrefix(path.Clean(m.Destination), "..") {
			return invalidValue(p+".destination", m.Destination, `".." climbs out of the root`)
		}
		pm, err := parseMountOptions(p, m.Options)
		if err != nil {
			return err
		}
		idmap, err := mountIDMap(p, m, pm)
		if err != nil {
			return err
		}
		if m.Type == "cgroup" || m.Type == "cgroup2" {
			if err := c.cgroupMount(p, m, dest, pm); err != nil {
				return err
			}
			continue
		}
		out := libct.Mount{Destination: dest, Flags: pm.flags}
		bind := pm.bind || m.Type == "bind" || m.Type == "rbind"
		if m.Type == "rbind" {
			pm.rbind = true
		}
		if bind {
			if m.Source == "" {
				return invalid(p+".source", "empty: a bind mount needs a source")
			}
			src := m.Source
			if !filepath.IsAbs(src) {
				src = filepath.Join(c.bundle, src)
			}
			out.Source = filepath.Clean(src)
			out.Flags |= libct.MountBind
			if pm.copyUp {
				return invalidValue(index(p+".options", pm.copyUpAt), "tmpcopyup", "needs a tmpfs, not a bind mount")
			}
			if pm.recursiveAttrs {
				out.Flags |= libct.MountRecursiveAttrs
			}
			if pm.rbind {
				out.Flags |= libct.MountRecursive
			}
			// File system options mean nothing to a bind mount: the
			// kernel ignores mount(2)'s data with MS_BIND, and so do we.
			if idmap != nil {
				idmap.Recursive = idmap.Recursive && pm.rbind
				out.IDMap = idmap
			}
		} else {
			if idmap != nil && m.Type != "tmpfs" {
				return unsupportedValue(p+".type", m.Type, "libct idmaps bind mounts and tmpfs only")
			}
			if m.Type == "" || m.Type == "none" {
				return invalidValue(p+".type", m.Type, "no file system type, and the options make no bind mount")
			}
			out.Type = m.Type
			out.Source = m.Source
			out.Data = strings.Join(pm.data, ",")
			if pm.copyUp {
				if m.Type != "tmpfs" {
					return invalidValue(index(p+".options", pm.copyUpAt), "tmpcopyup", "needs a tmpfs, not %q", m.Type)
				}
				out.Flags |= libct.MountCopyUp
			}
			out.IDMap = idmap
		}
		out.Flags |= pm.prop
		if dest == "/dev" && bind {
			c.cfg.Options |= libct.NoMinimalDev
		}
		c.cfg.Mounts = append(c.cfg.Mounts, out)
	}
	return nil
}

// cgroupMount maps a "cgroup" mount: the container's own cgroup shown at
// /sys/fs/cgroup. The option "ro" makes it read-only; the other options
// (nosuid, nodev, noexec, relatime) are what libct's sub-mount has anyway.
func (c *converter) cgroupMount(p string, m specs.Mount, dest string, pm *parsedMount) error {
	if dest != cgroupMountDest {
		return unsupportedValue(p+".destination", m.Destination, "libct shows the container's cgroup only at %s", cgroupMountDest)
	}
	if c.cgroupMountPath != "" {
		return invalid(p, "a second cgroup mount (the first is %s)", c.cgroupMountPath)
	}
	if pm.bind {
		return invalid(p+".options", "a %s mount cannot be a bind mount", m.Type)
	}
	c.cgroupMountPath = p
	c.cgroupMountRO = pm.flags&libct.MountReadOnly != 0
	c.cfg.Options |= libct.CgroupSubmount
	return nil
}
