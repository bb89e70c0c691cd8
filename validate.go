package libct

import (
	"fmt"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/libct/libct/internal/nsenter"
	"github.com/libct/libct/internal/quote"
)

// maxNameLen bounds container names: they become directory names and
// parts of cgroup paths and device names.
const maxNameLen = 128

// validateName accepts names made of letters, digits and "_.+-", not
// starting with a dot, at most maxNameLen bytes.
func validateName(name string) error {
	switch {
	case name == "":
		return invalid("name", "empty container name")
	case len(name) > maxNameLen:
		return invalid("name", "container name of %d bytes is too long (at most %d)", len(name), maxNameLen)
	case name == "." || name == "..":
		return invalid("name", "container name %s is not allowed", quote.Value(name))
	case strings.Contains(name, "/"):
		return invalid("name", "container name %s contains '/'", quote.Value(name))
	case name[0] == '.':
		return invalid("name", "container name %s starts with '.'", quote.Value(name))
	}
	for _, r := range name {
		ok := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("_.+-", r)
		if !ok {
			return invalid("name", "container name %s contains %q (allowed: letters, digits, _ . + -)", quote.Value(name), r)
		}
	}
	return nil
}

// joinable are the namespaces that can be joined by path: the parent joins
// them on a locked thread before cloning the init, which the kernel allows
// in a multi-threaded process. Joining mount, user and time namespaces
// needs a single-threaded process: the enter stage (internal/nsenter)
// does it, when the binary has it.
const (
	joinable      = NewNet | NewIPC | NewUTS | NewPID | NewCgroup
	joinableStage = NewUser | NewMount | NewTime
)

// validate checks everything that can be checked before anything is
// created. Errors are *ConfigError naming the field.
func (c *Config) validate() error {
	// First: the other checks may quote the values, or pass them to the
	// kernel (a namespace file, a mount source).
	if err := c.checkLimits(); err != nil {
		return err
	}
	if rest := c.Namespaces &^ allNamespaces; rest != 0 {
		return invalid("namespaces", "unknown clone flags %#x", uint64(rest))
	}
	for ns, path := range c.NamespacePaths {
		field := fmt.Sprintf("namespacePaths[%s]", ns.Name())
		if ns&allNamespaces == 0 || ns&(ns-1) != 0 {
			return invalid(field, "key must be a single namespace")
		}
		if c.Namespaces.Has(ns) {
			return invalid(field, "the %s namespace is both created (namespaces) and joined", ns.Name())
		}
		if joinableStage.Has(ns) && c.Namespaces.Has(NewUser) {
			return invalid(field, "a new user namespace cannot be made along with joining a %s namespace: join the user namespace too", ns.Name())
		}
		if err := checkNamespaceFile(path, ns); err != nil {
			return &ConfigError{Field: field, Err: err}
		}
		// After the checks that hold in every build: a config wrong
		// anyway is reported as wrong, not as needing cgo.
		if joinableStage.Has(ns) && !nsenter.Available {
			return &ConfigError{Field: field, Value: path, Err: ErrNoEnterStage}
		}
	}
	if c.TimeOffsets != (TimeOffsets{}) && !c.Namespaces.Has(NewTime) {
		return invalid("timeOffsets", "need a new time namespace (NewTime)")
	}
	if (len(c.UIDMappings) > 0 || len(c.GIDMappings) > 0) && !c.Namespaces.Has(NewUser) {
		return invalid("uidMappings", "need a new user namespace (NewUser)")
	}
	if err := checkIDMaps("uidMappings", c.UIDMappings); err != nil {
		return err
	}
	if err := checkIDMaps("gidMappings", c.GIDMappings); err != nil {
		return err
	}
	if !mapsRoot(c.UIDMappings) {
		return invalid("uidMappings", "container uid 0 is not mapped: the init starts as root of its user namespace")
	}
	if !mapsRoot(c.GIDMappings) {
		return invalid("gidMappings", "container gid 0 is not mapped: the init starts as root of its user namespace")
	}
	if c.Private != "" && c.Root == "" {
		return invalid("private", "a private area needs a root (Root)")
	}
	if err := c.validateNotifySocket(); err != nil {
		return err
	}
	if err := c.checkMountIDMaps(); err != nil {
		return err
	}
	if err := c.rootfsSpec().Validate(); err != nil {
		return &ConfigError{Field: "rootfs", Err: err}
	}
	if (c.Hostname != "" || c.Domainname != "") && !c.hasNamespace(NewUTS) {
		return invalid("hostname", "needs a UTS namespace")
	}
	for key := range c.Sysctl {
		if err := c.checkSysctl(key); err != nil {
			return err
		}
	}
	if err := c.Security.validate("security"); err != nil {
		return err
	}
	if err := c.validateCgroup(); err != nil {
		return err
	}
	if c.Options&NoPivotRoot != 0 && (!c.Namespaces.Has(NewMount) || c.Root == "") {
		return invalid("options", "NoPivotRoot needs a mount namespace (NewMount) and a root")
	}
	return c.validateNetwork()
}

// The kernel takes at most 340 lines in a map file, and ids are 32-bit
// with the last one reserved (it means "no id").
const (
	maxIDMaps = 340
	maxID     = 1<<32 - 1
)

// checkIDMaps refuses what the kernel would refuse when the map is
// written, with the field named: empty ranges, ranges past the last id,
// and ranges that overlap inside or outside the namespace.
func checkIDMaps(field string, maps []IDMap) error {
	if len(maps) > maxIDMaps {
		return invalid(field, "%d ranges, at most %d", len(maps), maxIDMaps)
	}
	for i, m := range maps {
		f := fmt.Sprintf("%s[%d]", field, i)
		switch {
		case m.Size == 0:
			return invalid(f+".size", "must not be 0")
		case uint64(m.ContainerID)+uint64(m.Size) > maxID:
			return invalid(f, "container ids %d+%d exceed the largest id %d", m.ContainerID, m.Size, maxID-1)
		case uint64(m.HostID)+uint64(m.Size) > maxID:
			return invalid(f, "host ids %d+%d exceed the largest id %d", m.HostID, m.Size, maxID-1)
		}
		for j, o := range maps[:i] {
			if overlap(m.ContainerID, m.Size, o.ContainerID, o.Size) {
				return invalid(f, "container ids overlap %s[%d]", field, j)
			}
			if overlap(m.HostID, m.Size, o.HostID, o.Size) {
				return invalid(f, "host ids overlap %s[%d]", field, j)
			}
		}
	}
	return nil
}

// mapsRoot tells whether id 0 of the namespace is mapped; no maps means
// the default, which maps it.
func mapsRoot(maps []IDMap) bool {
	for _, m := range maps {
		if m.ContainerID == 0 {
			return true
		}
	}
	return len(maps) == 0
}

func overlap(a, n, b, m uint32) bool {
	return uint64(a) < uint64(b)+uint64(m) && uint64(b) < uint64(a)+uint64(n)
}

// checkNamespaceFile opens path and asks the kernel what namespace it is.
func checkNamespaceFile(path string, want Namespaces) error {
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("%s: %w", quote.Value(path), err)
	}
	defer unix.Close(fd)
	kind, err := unix.IoctlRetInt(fd, unix.NS_GET_NSTYPE)
	if err != nil {
		return fmt.Errorf("%s is not a namespace file: %w", quote.Value(path), err)
	}
	if Namespaces(kind) != want {
		return fmt.Errorf("%s is a %s namespace, not %s", quote.Value(path), Namespaces(kind).Name(), want.Name())
	}
	return nil
}

// checkSysctl accepts a key only when it is isolated by a namespace the
// container has: writing any other would change the host.
func (c *Config) checkSysctl(key string) error {
	field := fmt.Sprintf("sysctl[%s]", quote.Value(key))
	k := strings.ReplaceAll(key, "/", ".")
	var need Namespaces
	switch {
	case k == "kernel.hostname" || k == "kernel.domainname":
		need = NewUTS
	case strings.HasPrefix(k, "kernel.shm") || strings.HasPrefix(k, "kernel.msg") ||
		k == "kernel.sem" || strings.HasPrefix(k, "fs.mqueue."):
		need = NewIPC
	case strings.HasPrefix(k, "net."):
		need = NewNet
	default:
		return invalid(field, "not a namespaced sysctl: it would change the host")
	}
	if !c.hasNamespace(need) {
		return invalid(field, "needs a %s namespace", need.Name())
	}
	if strings.Contains(k, "..") || strings.HasPrefix(k, ".") {
		return invalid(field, "malformed key")
	}
	return nil
}

// maxExtraFiles keeps the descriptors handed to the init well below any
// descriptor number the start path uses for itself.
const maxExtraFiles = 256

func (p *Process) validate() error {
	switch {
	case p.Func == "" && len(p.Args) == 0:
		return invalid("process.args", "empty: give a program or a registered function (Func)")
	case p.Func != "" && len(p.Args) > 0:
		return invalid("process.func", "Func and Args are exclusive")
	case p.Func != "":
		if _, ok := lookupFunc(p.Func); !ok {
			return invalid("process.func", "%s is not registered (see Register)", quote.Value(p.Func))
		}
	case p.Args[0] == "":
		return invalid("process.args", "empty program name")
	}
	if err := p.checkLimits(); err != nil {
		return err
	}
	for i, kv := range p.Env {
		if name, _, ok := strings.Cut(kv, "="); !ok || name == "" {
			return invalid(fmt.Sprintf("process.env[%d]", i), "%s is not KEY=value", quote.Value(kv))
		}
	}
	if p.Dir != "" && !strings.HasPrefix(p.Dir, "/") {
		return invalid("process.dir", "%s is not an absolute path", quote.Value(p.Dir))
	}
	if strings.Count(p.User, ":") > 1 {
		return invalid("process.user", "%s: want uid[:gid] or name[:group]", quote.Value(p.User))
	}
	for i, rl := range p.Rlimits {
		field := fmt.Sprintf("process.rlimits[%d]", i)
		if _, ok := rlimitResource(rl.Type); !ok {
			return invalid(field, "unknown resource %s", quote.Value(rl.Type))
		}
		if rl.Soft > rl.Hard {
			return invalid(field, "soft limit %d above hard limit %d", rl.Soft, rl.Hard)
		}
	}
	if p.Umask != nil && *p.Umask&^0o777 != 0 {
		return invalid("process.umask", "%#o has bits beyond 0777", *p.Umask)
	}
	if len(p.ExtraFiles) > maxExtraFiles {
		return invalid("process.extraFiles", "%d files, at most %d", len(p.ExtraFiles), maxExtraFiles)
	}
	for i, f := range p.ExtraFiles {
		if f == nil {
			return invalid(fmt.Sprintf("process.extraFiles[%d]", i), "nil file")
		}
	}
	if p.Terminal && (p.Stdin != nil || p.Stdout != nil || p.Stderr != nil) {
		return invalid("process.terminal", "the terminal is the standard streams: Stdin, Stdout and Stderr must be nil")
	}
	if !p.Terminal && (p.ConsoleSize != nil || p.ConsoleSocket != "") {
		return invalid("process.terminal", "consoleSize and consoleSocket need a terminal")
	}
	if err := p.validateScheduling(); err != nil {
		return err
	}
	if p.Security != nil {
		return p.Security.validate("process.security")
	}
	return nil
}

var rlimitNames = map[string]int{
	"CPU": unix.RLIMIT_CPU, "FSIZE": unix.RLIMIT_FSIZE, "DATA": unix.RLIMIT_DATA,
	"STACK": unix.RLIMIT_STACK, "CORE": unix.RLIMIT_CORE, "RSS": unix.RLIMIT_RSS,
	"NPROC": unix.RLIMIT_NPROC, "NOFILE": unix.RLIMIT_NOFILE, "MEMLOCK": unix.RLIMIT_MEMLOCK,
	"AS": unix.RLIMIT_AS, "LOCKS": unix.RLIMIT_LOCKS, "SIGPENDING": unix.RLIMIT_SIGPENDING,
	"MSGQUEUE": unix.RLIMIT_MSGQUEUE, "NICE": unix.RLIMIT_NICE, "RTPRIO": unix.RLIMIT_RTPRIO,
	"RTTIME": unix.RLIMIT_RTTIME,
}

func rlimitResource(name string) (int, bool) {
	r, ok := rlimitNames[strings.TrimPrefix(strings.ToUpper(name), "RLIMIT_")]
	return r, ok
}

// defaultIDMap maps the container's root to the caller, as unshare -r does.
func defaultIDMap(id int) []IDMap {
	return []IDMap{{ContainerID: 0, HostID: uint32(id), Size: 1}}
}
