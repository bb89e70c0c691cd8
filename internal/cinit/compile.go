package cinit

import (
	"fmt"
	"os"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/libct/libct/internal/quote"
	"github.com/libct/libct/internal/spec"
	"github.com/libct/libct/rootfs"
	"github.com/libct/libct/security"
)

// Compile turns s into a program for the C init. It reports ok false when
// s needs what only the Go init does (see the package documentation), or
// when something the parent resolves for the C init fails: the Go init
// then does the same work and reports the error from the container's
// view.
//
// The program does what initstage.Run does for s, in the same order, with
// the same errors (step, field and errno), so that a caller cannot tell
// which init started the container but by its cost.
func Compile(s *spec.Init) (prog []byte, ok bool) {
	if !Available {
		return nil, false
	}
	return compile(s)
}

// Refusal says why Compile refuses s: what in it needs the Go init. It
// is empty when Compile makes a program of s.
func Refusal(s *spec.Init) string {
	if !Available {
		return "the C init is not linked in (a build without cgo)"
	}
	_, why := compileWhy(s)
	return why
}

// compile is Compile whether or not the C init is linked in: the program
// is plain data, which the tests check in every build.
func compile(s *spec.Init) (prog []byte, ok bool) {
	prog, why := compileWhy(s)
	return prog, why == ""
}

// compileWhy compiles s, or says why it cannot.
func compileWhy(s *spec.Init) (prog []byte, why string) {
	if why := unsupported(&s.Process); why != "" {
		return nil, why
	}
	if why := unsupportedStart(s); why != "" {
		return nil, why
	}
	cred, err := resolveUser(s)
	if err != nil {
		return nil, fmt.Sprintf("the user is resolved inside the container: %v", err)
	}
	c := &compiler{s: s}
	c.namespaces()
	if !c.rootfs() {
		return nil, "a mount, device or path of the root file system is checked inside the container"
	}
	if !c.process(cred) {
		return nil, "the process's capabilities or OOM score are checked inside the container"
	}
	return c.p.buf, ""
}

// CompileEnter is Compile for a process that enters a running container
// (Container.Enter) through the enter stage: s has a Process only, and
// root is the container's root as the host sees it (/proc/PID/root of its
// init), where the user is resolved.
func CompileEnter(s *spec.Init, root string) (prog []byte, ok bool) {
	prog, why := compileEnter(s, root)
	return prog, why == ""
}

// EnterRefusal says why CompileEnter refuses s, as Refusal does for
// Compile.
func EnterRefusal(s *spec.Init, root string) string {
	_, why := compileEnter(s, root)
	return why
}

func compileEnter(s *spec.Init, root string) (prog []byte, why string) {
	if !Available {
		return nil, "the C init is not linked in (a build without cgo)"
	}
	if why := unsupported(&s.Process); why != "" {
		return nil, why
	}
	if !reflect.ValueOf(s.Rootfs).IsZero() {
		return nil, "no mount namespace of the container's own"
	}
	r, err := os.OpenRoot(root)
	if err != nil {
		return nil, fmt.Sprintf("the container's root: %v", err)
	}
	defer r.Close()
	cred, err := userIn(r, &s.Process)
	if err != nil {
		return nil, fmt.Sprintf("the user is resolved inside the container: %v", err)
	}
	c := &compiler{s: s}
	c.namespaces()
	if !c.process(cred) {
		return nil, "the process's capabilities or OOM score are checked inside the container"
	}
	return c.p.buf, ""
}

// unsupported says what of the process the C init does not do, if
// anything.
func unsupported(p *spec.Process) string {
	switch {
	case (p.Func == "") != (len(p.Args) > 0):
		return "the process has neither arguments nor a function, or both"
	case p.TerminalInside:
		return "a terminal made inside the container"
	case p.Personality != nil, p.IOPriority != 0, p.Scheduler != nil, p.CPUAffinity != nil:
		return "scheduling attributes (personality, I/O priority, scheduler, CPU affinity)"
	case p.Labels != (security.Labels{}):
		return "LSM labels"
	case p.Seccomp != nil && p.Seccomp.Notifies():
		return "a seccomp notify listener"
	}
	return ""
}

// unsupportedStart says what of the start of a new container the C init
// does not do, if anything.
func unsupportedStart(s *spec.Init) string {
	r := &s.Rootfs
	switch {
	case s.NewTimeNS:
		return "a time namespace"
	case s.Reexec:
		return "the re-exec of a new user namespace"
	case s.PreSwitchHooks, len(s.CreateContainer) > 0, len(s.StartContainer) > 0:
		return "hooks run by the init"
	case !r.MountNS, r.SharedMountNS:
		return "no mount namespace of the container's own"
	case r.Root == "":
		return "no root file system"
	case r.Private != "":
		return "a private area"
	case r.NoPivot:
		return "a root switched without pivot_root"
	case r.Console:
		return "a terminal made inside the container"
	}
	for _, m := range r.Mounts {
		if len(m.PreAction) > 0 || len(m.PostAction) > 0 {
			return "mount actions"
		}
		if m.IDMapsInRoot(r.Root) {
			return "an idmapped mount of a source in the root"
		}
		if m.Flags&rootfs.CopyUp != 0 {
			return "a tmpfs filled with the directory it hides (tmpcopyup)"
		}
	}
	return ""
}

type compiler struct {
	s *spec.Init
	p program
	// announced tells whether the program announced its exec already.
	announced bool
	// idmapped counts the idmapped mounts the program moved so far.
	idmapped int
}

// announceExec tells the parent, once, that only bare system calls are
// left before the exec (or the function): the seccomp filter, the exec,
// and, when the filter cannot come last, the credentials. The Go init
// announces at the same point (initstage's process.become).
func (c *compiler) announceExec() {
	if !c.announced {
		c.p.op(opAnnounceExec)
		c.announced = true
	}
}

// mark ends a phase of the init, when the parent traces.
func (c *compiler) mark(name string) {
	if c.s.Trace {
		c.p.op(opMark, str(name))
	}
}

// namespaces is run's work before the root file system.
func (c *compiler) namespaces() {
	s := c.s
	c.mark("program read")
	// A process that moves itself, one thread, into a v1 cgroup takes
	// none of the kernel's locks that make a write of another process's
	// pid to cgroup.procs wait for an RCU grace period. The C init has
	// one thread, and the cgroup namespace below must be made in the
	// cgroup.
	if len(s.CgroupJoin) > 0 {
		// One argument, the directories separated by NULs: the start
		// path's code stays small (build/linkorder lays it out tight).
		c.p.op(opJoinCgroup, str(strings.Join(s.CgroupJoin, "\x00")))
		c.mark("cgroup")
	}
	if s.UnshareCgroupNS {
		c.p.op(opUnshare, num(unix.CLONE_NEWCGROUP), str("unshare cgroup namespace"))
	}
	if s.LoopbackUp {
		c.p.op(opLoopback)
	}
	keys := make([]string, 0, len(s.Sysctl))
	for k := range s.Sysctl {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		c.p.op(opWriteFile, str("sysctl"), str("/proc/sys/"+spec.SysctlPath(k)), str(s.Sysctl[k]), str(fmt.Sprintf("sysctl %s", quote.Value(k))))
	}
	if s.Hostname != "" {
		c.p.op(opSethostname, str(s.Hostname), str(fmt.Sprintf("sethostname %s", quote.Value(s.Hostname))))
	}
	if s.Domainname != "" {
		c.p.op(opSetdomainname, str(s.Domainname), str(fmt.Sprintf("setdomainname %s", quote.Value(s.Domainname))))
	}
	if s.ExecFifo != 0 {
		c.p.op(opOpenProcFD)
	}
	c.mark("namespaces, sysctls, hostname")
}

// rootfs is rootfs.Setup for a spec with a root and a mount namespace of
// its own, step by step in Setup's order.
func (c *compiler) rootfs() bool {
	r := &c.s.Rootfs
	prop, name := uintptr(unix.MS_PRIVATE), "make-rprivate"
	if r.Propagation == rootfs.PropagationSlave || r.Propagation == rootfs.PropagationShared {
		prop, name = unix.MS_SLAVE, "make-rslave"
	}
	c.p.op(opMount, str("propagation: "+name+" /"), str(""), str("/"), str(""), num(prop|unix.MS_REC), str(""))
	c.p.op(opMount, str(fmt.Sprintf("root: bind %s on %s", r.Root, r.Root)), str(r.Root), str(r.Root), str(""),
		num(unix.MS_BIND|unix.MS_REC), str(""))
	c.p.op(opOpenRoot, str(r.Root))
	c.recvIDMapped()

	minimalDev := func(ownTmpfs bool) {
		c.p.op(opMinimalDev, flag(ownTmpfs), flag(r.UserNS), flag(!r.HasMountAt("dev/pts")), flag(!r.HasMountAt("dev/shm")))
	}
	if r.MountProc && !r.HasMountAt("proc") {
		c.p.op(opTarget, str("mountProc"), str("proc"), num(0), str(""), str(""), str("proc"), flag(false))
		c.p.op(opMountTarget, str("mountProc: mount proc on /proc"), str("proc"), str("proc"),
			num(unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC), str(""))
	}
	ownDev := r.HasMountAt("dev")
	if r.MinimalDev && !ownDev {
		minimalDev(true)
	}
	for i := range r.Mounts {
		m := &r.Mounts[i]
		rel, err := rootfs.InRootNotRoot(m.Destination)
		if err != nil {
			return false
		}
		if !c.mount(i, m, m.LaterReadOnly()) {
			return false
		}
		if r.MinimalDev && ownDev && rel == "dev" {
			minimalDev(false)
		}
	}
	for i := range r.Devices {
		if !c.device(i, &r.Devices[i]) {
			return false
		}
	}
	for i := range r.Mounts {
		if m := &r.Mounts[i]; m.LaterReadOnly() {
			c.remountFS(i, m)
		}
	}
	for i, p := range r.ReadonlyPaths {
		rel, err := rootfs.InRootNotRoot(p)
		if err != nil {
			return false
		}
		c.p.op(opReadonlyPath, str(fmt.Sprintf("readonlyPaths[%d]", i)), str(strconv.Quote(p)), str(rel), str("/"+rel))
	}
	for i, p := range r.MaskedPaths {
		rel, err := rootfs.InRootNotRoot(p)
		if err != nil {
			return false
		}
		c.p.op(opMaskPath, str(fmt.Sprintf("maskedPaths[%d]", i)), str(strconv.Quote(p)), str(rel), str("/"+rel))
	}
	c.p.op(opCloseRoot)
	c.p.op(opPivot, str(r.Root))
	if r.ReadOnly {
		c.p.op(opRemountRO)
	}
	switch r.Propagation {
	case rootfs.PropagationShared:
		c.p.op(opMount, str("propagation: make-rshared /"), str(""), str("/"), str(""), num(unix.MS_SHARED|unix.MS_REC), str(""))
	case rootfs.PropagationUnbindable:
		c.p.op(opMount, str("propagation: make-runbindable /"), str(""), str("/"), str(""), num(unix.MS_UNBINDABLE|unix.MS_REC), str(""))
	}
	c.mark("root file system")
	return true
}

// mount is rootfs's mount for Mounts[i].
func (c *compiler) mount(i int, m *rootfs.Mount, writable bool) bool {
	rel, err := rootfs.InRootNotRoot(m.Destination)
	if err != nil {
		return false
	}
	shown := "/" + rel
	field := fmt.Sprintf("mounts[%d]", i)
	dest := fmt.Sprintf("mounts[%d].destination %s", i, quote.Value(m.Destination))
	bind := m.Flags&rootfs.Bind != 0
	kind := num(0)
	if bind {
		kind = 2 // the source's kind, known on the host only at start
	}
	noSymlink := ""
	if rootfs.NoSymlinkMountPoint(m.Type) {
		noSymlink = m.Type
	}
	if k := slices.Index(c.s.MountSources, i); k >= 0 {
		// The source came with the program, as a descriptor.
		c.p.op(opSourceFD, num(k))
	}
	c.p.op(opTarget, str(dest), str(rel), kind, str(m.Source), str(fmt.Sprintf("mounts[%d].source %s", i, quote.Value(m.Source))),
		str(noSymlink), flag(m.InheritsMode()))
	ms := m.Flags.MSFlags()
	if writable {
		ms &^= unix.MS_RDONLY
	}
	if m.IDMapped() {
		c.moveIDMapped(field, m, shown)
	} else if bind {
		c.p.op(opMountTarget, str(fmt.Sprintf("%s: bind %s on %s", field, m.Source, shown)), str(m.Source), str(""),
			num(ms&(unix.MS_BIND|unix.MS_REC)), str(""))
	} else {
		source := m.Source
		if source == "" {
			source = m.Type
		}
		c.p.op(opMountTarget, str(fmt.Sprintf("%s: mount %s on %s", field, m.Type, shown)), str(source), str(m.Type),
			num(ms), str(m.Data))
	}
	prop, propOp := m.Flags.PropagationFlags()
	attrs := bind && m.Flags.BindAttrs()
	if !attrs && prop == 0 {
		return true
	}
	// The flags and the propagation are set on the new mount: open it
	// again, on top.
	c.p.op(opReopenTarget, str(dest), str(rel))
	if attrs {
		if m.Flags&rootfs.RecursiveAttrs != 0 {
			a := m.Flags.MountAttr()
			c.p.op(opSetattr, str(field), str(shown), num(a.Attr_set), num(a.Attr_clr))
		} else {
			c.p.op(opRemountBind, str(field), str(shown), num(ms&^(unix.MS_BIND|unix.MS_REC)), num(m.Flags.ClearedMSFlags()))
		}
	}
	if prop != 0 {
		c.p.op(opPropagateTarget, str(field), str(propOp), str(shown), num(prop))
	}
	return true
}

// remountFS is rootfs's remountFS for Mounts[i].
func (c *compiler) remountFS(i int, m *rootfs.Mount) {
	rel, _ := rootfs.InRootNotRoot(m.Destination)
	noSymlink := ""
	if rootfs.NoSymlinkMountPoint(m.Type) {
		noSymlink = m.Type
	}
	c.p.op(opTarget, str(fmt.Sprintf("mounts[%d].destination %s", i, quote.Value(m.Destination))), str(rel), num(0),
		str(""), str(""), str(noSymlink), flag(false))
	c.p.op(opMountTarget, str(fmt.Sprintf("mounts[%d]: remount /%s", i, rel)), str(""), str(""),
		num(unix.MS_REMOUNT|m.Flags.MSFlags()), str(m.Data))
}

// device is rootfs's device for Devices[i].
func (c *compiler) device(i int, d *rootfs.Device) bool {
	rel, err := rootfs.InRootNotRoot(d.Path)
	if err != nil {
		return false
	}
	parent, base := "", rel
	if j := strings.LastIndexByte(rel, '/'); j >= 0 {
		parent, base = rel[:j], rel[j+1:]
	}
	bind := c.s.Rootfs.UserNS && d.Type != rootfs.FifoDevice
	c.p.op(opDevice, str(fmt.Sprintf("devices[%d]", i)), str(fmt.Sprintf("devices[%d].path %s", i, quote.Value(d.Path))),
		str(parent), str(base), str("/"+rel), str(d.Path), str(string(rune(d.Type))),
		num(d.Major), num(d.Minor), num(d.Mode.Perm()), num(d.UID), num(d.GID), flag(bind))
	return true
}

// process is prepareProcess, the wait for Start and become.
func (c *compiler) process(cred *spec.Credentials) bool {
	s, p := c.s, &c.s.Process
	env := spec.Environ(p.Env, cred.Home)
	if p.Cwd != "" {
		c.p.op(opCheckCwd, str(p.Cwd), str(fmt.Sprintf("process.cwd %s", quote.Value(p.Cwd))))
	}
	if p.Func == "" {
		c.p.op(opLookPath, lookPathArgs(p, cred, env)...)
	}
	c.mark("user and program lookup")
	if s.ExecFifo != 0 {
		c.p.op(opReady, num(s.ExecFifo))
	}
	for _, rl := range p.Rlimits {
		c.p.op(opRlimit, num(rl.Resource), num(rl.Soft), num(rl.Hard))
	}
	if p.HasUmask {
		c.p.op(opUmask, num(p.Umask))
	}
	if p.Terminal {
		c.p.op(opTerminal, num(cred.UID))
	}
	if p.OOMScoreAdj != nil {
		v := *p.OOMScoreAdj
		if security.ValidateOOMScoreAdj(v) != nil {
			return false
		}
		c.p.op(opOOMScoreAdj, str(strconv.Itoa(v)), str(fmt.Sprintf("oomScoreAdj %d", v)))
	}
	caps := p.Capabilities
	var masks security.Masks
	last := security.LastCap()
	if caps != nil {
		var err error
		if masks, err = caps.Masks(); err != nil {
			return false
		}
		c.p.op(opCapsPrepare, num(masks.Bounding), num(last))
	}
	c.p.op(opCloseRange, num(3+p.ExtraFiles))
	filterLast := p.Seccomp == nil || caps == nil || security.CanInstallLast(p.NoNewPrivs, caps)
	if !filterLast {
		c.seccomp()
	}
	cwd := p.Cwd
	if cwd == "" {
		cwd = "/"
	}
	cwdField := str(fmt.Sprintf("process.cwd %s", quote.Value(cwd)))
	c.p.op(opChdir, str(cwd), cwdField, flag(true))
	if cred.Groups != nil {
		args := make([]arg, len(cred.Groups))
		for i, g := range cred.Groups {
			args[i] = num(g)
		}
		c.p.op(opSetgroups, args...)
	}
	c.p.op(opSetresgid, num(cred.GID))
	c.p.op(opSetresuid, num(cred.UID))
	c.p.op(opChdir, str(cwd), cwdField, flag(false))
	if caps != nil {
		c.p.op(opCapsApply, num(masks.Effective), num(masks.Permitted), num(masks.Inheritable), num(masks.Ambient), num(last))
	}
	if p.Pdeathsig != 0 {
		c.p.op(opPdeathsig, num(p.Pdeathsig))
	}
	if p.NoNewPrivs {
		c.p.op(opNoNewPrivs)
	}
	c.mark("credentials and security")
	c.p.op(opSendTrace)
	if filterLast && p.Seccomp != nil {
		c.seccomp()
	}
	c.announceExec()
	if p.Func != "" {
		// The function runs in this image once the C init returns to the
		// Go runtime: it needs no loader or libraries in the container's
		// root, so a dynamically linked binary runs functions too.
		args := []arg{num(3 + p.ExtraFiles), str(p.Func), str(p.FuncArg)}
		c.p.op(opFunc, strs(args, env)...)
		return true
	}
	args := []arg{num(len(p.Args))}
	args = strs(args, p.Args)
	c.p.op(opExec, strs(args, env)...)
	return true
}

func (c *compiler) seccomp() {
	c.announceExec()
	f := c.s.Process.Seccomp
	c.p.op(opSeccomp, filterBytes(f.Instructions()), num(f.Flags()))
}

// lookPathArgs are opLookPath's arguments: the program, the PATH, and who
// the exec is checked for (spec.ExecUserOf): whether anybody, the user,
// group, whether CAP_DAC_OVERRIDE stays effective, whether the groups
// are set, and the groups.
func lookPathArgs(p *spec.Process, cred *spec.Credentials, env []string) []arg {
	args := []arg{str(p.Args[0]), str(spec.SearchPath(env))}
	u := spec.ExecUserOf(p, cred)
	if u == nil {
		return append(args, flag(false), num(0), num(0), flag(false), flag(false))
	}
	args = append(args, flag(true), num(u.UID), num(u.GID), flag(u.DACOverride), flag(u.Groups != nil))
	for _, g := range u.Groups {
		args = append(args, num(g))
	}
	return args
}
