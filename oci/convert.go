package oci

import (
	"errors"
	"fmt"
	"maps"
	"math"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/libct/libct"
	"github.com/libct/libct/internal/nsenter"
	"github.com/libct/libct/internal/quote"
	"github.com/libct/libct/internal/sysfile"
	"github.com/libct/libct/rootfs"
	"github.com/libct/libct/security"
)

// Convert translates a spec into what libct runs: the container's config
// and its init process. bundle is the bundle directory (made absolute if
// it is not); root.path is relative to it unless absolute; id is the
// container's id.
//
// Every field is mapped or, when libct cannot honour it, refused with a
// *FieldError naming its JSON path; nothing is half applied. The result
// follows runc's behaviour where the spec leaves room:
//
//   - the config has the Detached option (the container outlives the ct
//     process that created it) and NoAutoProc: /proc is mounted only when
//     the spec mounts it. libct's minimal /dev is kept, and fills the
//     spec's own /dev mount when it has one (a tmpfs), so that the
//     devices the spec requires (null, zero, full, random, urandom, tty,
//     ptmx, console with a terminal) exist; a /dev that is a bind mount is
//     left as it is (NoMinimalDev). Without a /dev mount libct mounts a
//     tmpfs of its own there (runc would mknod into the rootfs's /dev).
//   - a "cgroup" mount at /sys/fs/cgroup is libct's cgroup sub-mount
//     (CgroupSubmount), made read-only (ReadonlyPaths) when it says "ro".
//   - an absent rootfsPropagation is rslave, runc's default.
//   - an absent process.capabilities is no capability at all; one the
//     kernel does not know or the caller cannot grant is dropped with a
//     warning (WithWarnings), as the spec asks.
//   - letters of linux.resources.devices[].access other than r, w and m
//     are dropped with a warning, and a rule left without any is dropped.
//   - the container gets a cgroup, at linux.cgroupsPath or /libct/<id>
//     (relative paths are under /libct, never under the caller's cgroup),
//     when ct runs as root or the spec has resources or a cgroupsPath.
func Convert(id, bundle string, s *specs.Spec, opts ...Option) (*libct.Config, *libct.Process, error) {
	if s == nil {
		return nil, nil, errors.New("no spec")
	}
	if !filepath.IsAbs(bundle) {
		abs, err := filepath.Abs(bundle)
		if err != nil {
			return nil, nil, fmt.Errorf("bundle %s: %w", quote.Value(bundle), err)
		}
		bundle = abs
	}
	c := &converter{id: id, bundle: bundle, spec: s, cfg: &libct.Config{}, opts: collectOptions(opts)}
	if err := c.convert(); err != nil {
		return nil, nil, err
	}
	return c.cfg, c.proc, nil
}

// converter carries one conversion.
type converter struct {
	id, bundle string
	spec       *specs.Spec
	cfg        *libct.Config
	proc       *libct.Process
	opts       options
	// cgroupMountPath is the JSON path of the spec's cgroup mount, if it
	// has one; cgroupMountRO tells that it asks for a read-only one.
	cgroupMountPath string
	cgroupMountRO   bool
}

func (c *converter) linux() *specs.Linux {
	if c.spec.Linux == nil {
		return &specs.Linux{}
	}
	return c.spec.Linux
}

// has tells whether the container has a namespace of kind ns of its own,
// created or joined.
func (c *converter) has(ns libct.Namespaces) bool {
	_, joined := c.cfg.NamespacePaths[ns]
	return c.cfg.Namespaces.Has(ns) || joined
}

func (c *converter) convert() error {
	s := c.spec
	if err := checkVersion(s.Version); err != nil {
		return err
	}
	for _, f := range []struct {
		name string
		set  bool
	}{
		{"solaris", s.Solaris != nil}, {"windows", s.Windows != nil}, {"vm", s.VM != nil},
		{"zos", s.ZOS != nil}, {"freebsd", s.FreeBSD != nil},
	} {
		if f.set {
			return unsupported(f.name, "not a Linux container's field")
		}
	}
	c.cfg.Options = libct.Detached | libct.NoAutoProc
	c.cfg.Bundle = c.bundle
	if len(s.Annotations) > 0 {
		c.cfg.Annotations = maps.Clone(s.Annotations)
	}
	if err := c.namespaces(); err != nil {
		return err
	}
	if err := c.root(); err != nil {
		return err
	}
	if s.Process == nil {
		return invalid("process", "missing: a container needs a process")
	}
	proc, sec, err := convertProcess(s.Process, true, c.opts.warn)
	if err != nil {
		return err
	}
	c.proc, c.cfg.Security = proc, *sec
	if err := c.hostname(); err != nil {
		return err
	}
	if err := c.mounts(); err != nil {
		return err
	}
	if err := c.hooks(); err != nil {
		return err
	}
	return c.linuxFields()
}

// checkVersion accepts every 1.x version: the format is compatible within
// a major version.
func checkVersion(v string) error {
	if v == "" {
		return invalid("ociVersion", "missing")
	}
	major, _, _ := strings.Cut(v, ".")
	if major != "1" {
		return unsupportedValue("ociVersion", v, "unsupported version (want 1.x, up to %s)", specs.Version)
	}
	return nil
}

var namespaceTypes = map[specs.LinuxNamespaceType]libct.Namespaces{
	specs.PIDNamespace:     libct.NewPID,
	specs.NetworkNamespace: libct.NewNet,
	specs.MountNamespace:   libct.NewMount,
	specs.IPCNamespace:     libct.NewIPC,
	specs.UTSNamespace:     libct.NewUTS,
	specs.UserNamespace:    libct.NewUser,
	specs.CgroupNamespace:  libct.NewCgroup,
	specs.TimeNamespace:    libct.NewTime,
}

// joinable are the namespaces libct can join by path when it creates a
// container: all of them with its enter stage (a cgo build), the ones a
// multi-threaded process may join without.
func joinable() libct.Namespaces {
	if nsenter.Available {
		return libct.NewNet | libct.NewIPC | libct.NewUTS | libct.NewPID | libct.NewCgroup | libct.NewUser | libct.NewMount | libct.NewTime
	}
	return libct.NewNet | libct.NewIPC | libct.NewUTS | libct.NewPID | libct.NewCgroup
}

func (c *converter) namespaces() error {
	seen := map[specs.LinuxNamespaceType]int{}
	for i, n := range c.linux().Namespaces {
		p := index("linux.namespaces", i)
		ns, ok := namespaceTypes[n.Type]
		if !ok {
			return invalidValue(p+".type", string(n.Type), "unknown namespace type")
		}
		if j, dup := seen[n.Type]; dup {
			return invalidValue(p+".type", string(n.Type), "also in linux.namespaces[%d]", j)
		}
		seen[n.Type] = i
		if n.Path == "" {
			c.cfg.Namespaces |= ns
			continue
		}
		if !filepath.IsAbs(n.Path) {
			return invalidValue(p+".path", n.Path, "must be an absolute path")
		}
		if err := checkNamespaceFile(n.Path, ns); err != nil {
			return &FieldError{Path: p + ".path", Value: n.Path, Err: err}
		}
		// A path wrong in any build is reported as wrong first.
		if !joinable().Has(ns) {
			return unsupportedBecause(p+".path", n.Path, libct.ErrNoEnterStage)
		}
		if c.cfg.NamespacePaths == nil {
			c.cfg.NamespacePaths = map[libct.Namespaces]string{}
		}
		c.cfg.NamespacePaths[ns] = n.Path
	}
	return nil
}

// checkNamespaceFile asks the kernel what namespace the file at p is: the
// spec wants an error when it is not one of the type it is given for.
func checkNamespaceFile(p string, want libct.Namespaces) error {
	fd, err := unix.Open(p, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	kind, err := unix.IoctlRetInt(fd, unix.NS_GET_NSTYPE)
	if err != nil {
		return fmt.Errorf("not a namespace file: %w", err)
	}
	if got := libct.Namespaces(kind); got != want {
		return fmt.Errorf("is a %s namespace, not %s", got.Name(), want.Name())
	}
	return nil
}

func (c *converter) root() error {
	r := c.spec.Root
	if r == nil {
		return invalid("root", "missing: a Linux container needs a root file system")
	}
	if r.Path == "" {
		return invalid("root.path", "empty")
	}
	p := r.Path
	if !filepath.IsAbs(p) {
		p = filepath.Join(c.bundle, p)
	}
	p = filepath.Clean(p)
	fi, err := os.Stat(p)
	if err != nil {
		return &FieldError{Path: "root.path", Value: p, Err: unwrapPath(err)}
	}
	if !fi.IsDir() {
		return invalidValue("root.path", p, "not a directory")
	}
	c.cfg.Root = p
	if !c.cfg.Namespaces.Has(libct.NewMount) {
		// Without a mount namespace of its own the container's mounts
		// go under its root in the one it shares, as runc and crun do;
		// libct unmounts them at delete.
		c.cfg.Options |= libct.SharedMounts
	}
	if r.Readonly {
		c.cfg.ReadOnlyRoot = true
	}
	return nil
}

func (c *converter) hostname() error {
	s := c.spec
	for _, f := range []struct{ name, value string }{{"hostname", s.Hostname}, {"domainname", s.Domainname}} {
		if f.value == "" {
			continue
		}
		if !c.has(libct.NewUTS) {
			return invalid(f.name, "needs a uts namespace (linux.namespaces)")
		}
		if len(f.value) > 64 {
			return invalidValue(f.name, f.value, "longer than 64 bytes")
		}
	}
	c.cfg.Hostname, c.cfg.Domainname = s.Hostname, s.Domainname
	return nil
}

func (c *converter) hooks() error {
	h := c.spec.Hooks
	if h == nil {
		return nil
	}
	for _, l := range []struct {
		name string
		in   []specs.Hook
		out  *[]libct.Hook
	}{
		{"prestart", h.Prestart, &c.cfg.Hooks.Prestart},
		{"createRuntime", h.CreateRuntime, &c.cfg.Hooks.CreateRuntime},
		{"createContainer", h.CreateContainer, &c.cfg.Hooks.CreateContainer},
		{"startContainer", h.StartContainer, &c.cfg.Hooks.StartContainer},
		{"poststart", h.Poststart, &c.cfg.Hooks.Poststart},
		{"poststop", h.Poststop, &c.cfg.Hooks.Poststop},
	} {
		for i, hk := range l.in {
			p := index("hooks."+l.name, i)
			if !path.IsAbs(hk.Path) {
				return invalidValue(p+".path", hk.Path, "must be an absolute path")
			}
			out := libct.Hook{Path: hk.Path, Args: slices.Clone(hk.Args), Env: slices.Clone(hk.Env)}
			if hk.Timeout != nil {
				if *hk.Timeout <= 0 {
					return invalid(p+".timeout", "%d: must be > 0 seconds", *hk.Timeout)
				}
				out.Timeout = time.Duration(*hk.Timeout) * time.Second
			}
			*l.out = append(*l.out, out)
		}
	}
	return nil
}

// linuxFields maps the linux object but for namespaces, done first.
func (c *converter) linuxFields() error {
	l := c.linux()
	if err := c.idMappings(); err != nil {
		return err
	}
	for _, k := range slices.Sorted(maps.Keys(l.Sysctl)) {
		if err := c.checkSysctl(k); err != nil {
			return err
		}
	}
	if len(l.Sysctl) > 0 {
		c.cfg.Sysctl = maps.Clone(l.Sysctl)
	}
	if err := c.cgroup(); err != nil {
		return err
	}
	if err := c.devices(); err != nil {
		return err
	}
	if err := c.netDevices(); err != nil {
		return err
	}
	if err := c.seccomp(); err != nil {
		return err
	}
	if err := c.propagation(); err != nil {
		return err
	}
	if err := c.paths(); err != nil {
		return err
	}
	if err := c.mountLabel(); err != nil {
		return err
	}
	if l.IntelRdt != nil {
		return intelRdtError()
	}
	if l.MemoryPolicy != nil {
		return unsupported("linux.memoryPolicy", "libct cannot set a memory policy")
	}
	if l.Personality != nil {
		p, err := convertPersonality(l.Personality)
		if err != nil {
			return err
		}
		c.proc.Personality = p
	}
	return c.timeOffsets()
}

// checkSysctl accepts the keys a namespace of the container isolates:
// any other would change the host.
func (c *converter) checkSysctl(k string) error {
	p := key("linux.sysctl", k)
	name := strings.ReplaceAll(k, "/", ".")
	var need libct.Namespaces
	var nsName string
	switch {
	case name == "kernel.hostname" || name == "kernel.domainname":
		need, nsName = libct.NewUTS, "uts"
	case strings.HasPrefix(name, "kernel.shm") || strings.HasPrefix(name, "kernel.msg") ||
		name == "kernel.sem" || strings.HasPrefix(name, "fs.mqueue."):
		need, nsName = libct.NewIPC, "ipc"
	case strings.HasPrefix(name, "net."):
		need, nsName = libct.NewNet, "network"
	default:
		return unsupported(p, "not a namespaced sysctl: writing it would change the host")
	}
	if !c.has(need) {
		return invalid(p, "needs a %s namespace (linux.namespaces)", nsName)
	}
	return nil
}

func (c *converter) idMappings() error {
	l := c.linux()
	for _, m := range []struct {
		name string
		in   []specs.LinuxIDMapping
		out  *[]libct.IDMap
	}{{"uidMappings", l.UIDMappings, &c.cfg.UIDMappings}, {"gidMappings", l.GIDMappings, &c.cfg.GIDMappings}} {
		if len(m.in) == 0 {
			continue
		}
		if !c.cfg.Namespaces.Has(libct.NewUser) {
			return invalid("linux."+m.name, "need a new user namespace (linux.namespaces, without a path)")
		}
		for i, e := range m.in {
			if e.Size == 0 {
				return invalid(index("linux."+m.name, i)+".size", "must be > 0")
			}
			*m.out = append(*m.out, libct.IDMap{ContainerID: e.ContainerID, HostID: e.HostID, Size: e.Size})
		}
	}
	return nil
}

// devices maps linux.devices, the nodes the container must have.
func (c *converter) devices() error {
	l := c.linux()

	for i, d := range l.Devices {
		p := index("linux.devices", i)
		if !path.IsAbs(d.Path) || path.Clean(d.Path) == "/" {
			return invalidValue(p+".path", d.Path, "must be an absolute path below /")
		}
		var typ rootfs.DeviceType
		switch d.Type {
		case "c", "u":
			typ = 'c'
		case "b":
			typ = 'b'
		case "p":
			typ = 'p'
		default:
			return invalidValue(p+".type", d.Type, `unknown device type (want "c", "b", "u" or "p")`)
		}
		dev := libct.Device{Path: path.Clean(d.Path), Type: typ, Mode: 0o666}
		if typ != 'p' {
			if d.Major < 0 || d.Major > math.MaxUint32 {
				return invalid(p+".major", "%d is not a device number", d.Major)
			}
			if d.Minor < 0 || d.Minor > math.MaxUint32 {
				return invalid(p+".minor", "%d is not a device number", d.Minor)
			}
			dev.Major, dev.Minor = uint32(d.Major), uint32(d.Minor)
		}
		if d.FileMode != nil {
			// The file type bits may be given too; they must agree
			// with the type.
			m := uint32(*d.FileMode)
			if t := m & 0o170000; t != 0 && t != fileTypeBits[typ] {
				return invalid(p+".fileMode", "%d has the file type bits of another type than %q", m, d.Type)
			}
			m &^= 0o170000
			if m&^0o777 != 0 {
				return invalid(p+".fileMode", "%d (%#o) has bits beyond the permissions 0777", uint32(*d.FileMode), m)
			}
			dev.Mode = os.FileMode(m)
		}
		if d.UID != nil {
			dev.UID = *d.UID
		}
		if d.GID != nil {
			dev.GID = *d.GID
		}
		c.cfg.Devices = append(c.cfg.Devices, dev)
	}
	return nil
}

var fileTypeBits = map[rootfs.DeviceType]uint32{'c': 0o020000, 'b': 0o060000, 'p': 0o010000}

// netDevices maps linux.netDevices: host devices moved in, renamed when
// the entry names a new name.
func (c *converter) netDevices() error {
	nd := c.linux().NetDevices
	if len(nd) == 0 {
		return nil
	}
	if !c.has(libct.NewNet) {
		return invalid("linux.netDevices", "need a network namespace (linux.namespaces)")
	}
	for _, name := range slices.Sorted(maps.Keys(nd)) {
		if name == "" {
			return invalid(key("linux.netDevices", name), "empty device name")
		}
		c.cfg.Network.HostNICs = append(c.cfg.Network.HostNICs, libct.HostNIC{
			Name:      name,
			Container: libct.Link{Name: nd[name].Name},
		})
	}
	return nil
}

func (c *converter) seccomp() error {
	sc := c.linux().Seccomp
	if sc == nil {
		return nil
	}
	if err := security.ValidateSeccomp(sc); err != nil {
		return rebase(err, "seccomp.", "linux.seccomp.")
	}
	notify := -1
	for i, s := range sc.Syscalls {
		if s.Action == specs.ActNotify {
			notify = i
			break
		}
	}
	if notify >= 0 && sc.ListenerPath == "" {
		return invalid("linux.seccomp.listenerPath", "empty: linux.seccomp.syscalls[%d] uses SCMP_ACT_NOTIFY, whose listener must go somewhere", notify)
	}
	cp := *sc
	if cp.Flags == nil && security.FlagSupported(specs.LinuxSeccompFlagSpecAllow) {
		// A profile that names no flags leaves the speculative store
		// bypass mitigation, which a filter would otherwise force on the
		// container, to the kernel's default, as runc does; "flags": []
		// asks for the mitigation.
		cp.Flags = []specs.LinuxSeccompFlag{specs.LinuxSeccompFlagSpecAllow}
	}
	c.cfg.Security.Seccomp = &cp
	return nil
}

func (c *converter) propagation() error {
	switch p := c.linux().RootfsPropagation; p {
	case "", "slave", "rslave":
		// runc's default is rslave too.
		c.cfg.RootPropagation = libct.PropagationSlave
	case "private", "rprivate":
		c.cfg.RootPropagation = libct.PropagationPrivate
	case "shared", "rshared":
		c.cfg.RootPropagation = libct.PropagationShared
	case "unbindable", "runbindable":
		c.cfg.RootPropagation = libct.PropagationUnbindable
	default:
		return invalidValue("linux.rootfsPropagation", p, "unknown propagation (want private, slave, shared or unbindable)")
	}
	return nil
}

// paths maps maskedPaths and readonlyPaths.
func (c *converter) paths() error {
	l := c.linux()
	for _, f := range []struct {
		name string
		in   []string
		out  *[]string
	}{{"maskedPaths", l.MaskedPaths, &c.cfg.MaskedPaths}, {"readonlyPaths", l.ReadonlyPaths, &c.cfg.ReadonlyPaths}} {

		for i, p := range f.in {
			if !path.IsAbs(p) || path.Clean(p) == "/" {
				return invalidValue(index("linux."+f.name, i), p, "must be an absolute path below /")
			}
			*f.out = append(*f.out, path.Clean(p))
		}
	}
	if c.cgroupMountRO {
		// libct's cgroup sub-mount is writable; made read-only here,
		// after it and every submount of it exist.
		c.cfg.ReadonlyPaths = append(c.cfg.ReadonlyPaths, cgroupMountDest)
	}
	return nil
}

// mountLabel maps linux.mountLabel. On a host without SELinux a mount
// label means nothing (no file has a context) and is dropped, as runc and
// crun do; with SELinux it labels the container's mounts.
func (c *converter) mountLabel() error {
	label := c.linux().MountLabel
	if label == "" || !security.DetectLSMs().SELinux {
		return nil
	}
	c.cfg.Security.Labels.SELinuxMountLabel = label
	if err := checkLabels(&c.cfg.Security.Labels); err != nil {
		return err
	}
	for i := range c.cfg.Mounts {
		m := &c.cfg.Mounts[i]
		if m.Type == "tmpfs" || m.Type == "devpts" || m.Type == "mqueue" {
			m.Data = security.WithMountLabel(m.Data, label)
		}
	}
	return nil
}

// intelRdtError refuses linux.intelRdt: libct has no resctrl support, and
// the spec wants an error when the host has none either.
func intelRdtError() error {
	if !resctrlMounted() {
		return unsupported("linux.intelRdt", "not supported on this host (no resctrl file system is mounted)")
	}
	return unsupported("linux.intelRdt", "not supported by libct")
}

func resctrlMounted() bool {
	data, err := sysfile.ReadPseudo("/proc/self/mountinfo")
	if err != nil {
		return false
	}
	for _, line := range strings.Split(string(data), "\n") {
		if _, after, ok := strings.Cut(line, " - "); ok && strings.HasPrefix(after, "resctrl ") {
			return true
		}
	}
	return false
}

// timeOffsets maps linux.timeOffsets: monotonic and boottime.
func (c *converter) timeOffsets() error {
	offs := c.linux().TimeOffsets
	if len(offs) == 0 {
		return nil
	}
	if !c.cfg.Namespaces.Has(libct.NewTime) {
		return invalid("linux.timeOffsets", "need a new time namespace (linux.namespaces)")
	}
	for _, clock := range slices.Sorted(maps.Keys(offs)) {
		o := offs[clock]
		p := key("linux.timeOffsets", clock)
		if o.Nanosecs >= 1e9 {
			return invalid(p+".nanosecs", "%d is not below one second", o.Nanosecs)
		}
		const maxSecs = math.MaxInt64/int64(time.Second) - 1
		if o.Secs > maxSecs || o.Secs < -maxSecs {
			return invalid(p+".secs", "%d is out of range (±%d)", o.Secs, maxSecs)
		}
		d := time.Duration(o.Secs)*time.Second + time.Duration(o.Nanosecs)
		switch clock {
		case "monotonic":
			c.cfg.TimeOffsets.Monotonic = d
		case "boottime":
			c.cfg.TimeOffsets.Boottime = d
		default:
			return invalid(p, "unknown clock (want monotonic or boottime)")
		}
	}
	return nil
}
