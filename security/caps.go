package security

import (
	"fmt"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/libct/libct/internal/quote"
)

// capNames maps each capability this package knows to its number, in
// number order. The numbers are the kernel's (linux/capability.h).
var capNames = [...]string{
	unix.CAP_CHOWN:              "CAP_CHOWN",
	unix.CAP_DAC_OVERRIDE:       "CAP_DAC_OVERRIDE",
	unix.CAP_DAC_READ_SEARCH:    "CAP_DAC_READ_SEARCH",
	unix.CAP_FOWNER:             "CAP_FOWNER",
	unix.CAP_FSETID:             "CAP_FSETID",
	unix.CAP_KILL:               "CAP_KILL",
	unix.CAP_SETGID:             "CAP_SETGID",
	unix.CAP_SETUID:             "CAP_SETUID",
	unix.CAP_SETPCAP:            "CAP_SETPCAP",
	unix.CAP_LINUX_IMMUTABLE:    "CAP_LINUX_IMMUTABLE",
	unix.CAP_NET_BIND_SERVICE:   "CAP_NET_BIND_SERVICE",
	unix.CAP_NET_BROADCAST:      "CAP_NET_BROADCAST",
	unix.CAP_NET_ADMIN:          "CAP_NET_ADMIN",
	unix.CAP_NET_RAW:            "CAP_NET_RAW",
	unix.CAP_IPC_LOCK:           "CAP_IPC_LOCK",
	unix.CAP_IPC_OWNER:          "CAP_IPC_OWNER",
	unix.CAP_SYS_MODULE:         "CAP_SYS_MODULE",
	unix.CAP_SYS_RAWIO:          "CAP_SYS_RAWIO",
	unix.CAP_SYS_CHROOT:         "CAP_SYS_CHROOT",
	unix.CAP_SYS_PTRACE:         "CAP_SYS_PTRACE",
	unix.CAP_SYS_PACCT:          "CAP_SYS_PACCT",
	unix.CAP_SYS_ADMIN:          "CAP_SYS_ADMIN",
	unix.CAP_SYS_BOOT:           "CAP_SYS_BOOT",
	unix.CAP_SYS_NICE:           "CAP_SYS_NICE",
	unix.CAP_SYS_RESOURCE:       "CAP_SYS_RESOURCE",
	unix.CAP_SYS_TIME:           "CAP_SYS_TIME",
	unix.CAP_SYS_TTY_CONFIG:     "CAP_SYS_TTY_CONFIG",
	unix.CAP_MKNOD:              "CAP_MKNOD",
	unix.CAP_LEASE:              "CAP_LEASE",
	unix.CAP_AUDIT_WRITE:        "CAP_AUDIT_WRITE",
	unix.CAP_AUDIT_CONTROL:      "CAP_AUDIT_CONTROL",
	unix.CAP_SETFCAP:            "CAP_SETFCAP",
	unix.CAP_MAC_OVERRIDE:       "CAP_MAC_OVERRIDE",
	unix.CAP_MAC_ADMIN:          "CAP_MAC_ADMIN",
	unix.CAP_SYSLOG:             "CAP_SYSLOG",
	unix.CAP_WAKE_ALARM:         "CAP_WAKE_ALARM",
	unix.CAP_BLOCK_SUSPEND:      "CAP_BLOCK_SUSPEND",
	unix.CAP_AUDIT_READ:         "CAP_AUDIT_READ",
	unix.CAP_PERFMON:            "CAP_PERFMON",
	unix.CAP_BPF:                "CAP_BPF",
	unix.CAP_CHECKPOINT_RESTORE: "CAP_CHECKPOINT_RESTORE",
}

// CapabilityNumber returns the number of the capability called name,
// spelled "CAP_NET_ADMIN", "NET_ADMIN" or in any case ("net_admin").
func CapabilityNumber(name string) (int, bool) {
	n := strings.ToUpper(name)
	if !strings.HasPrefix(n, "CAP_") {
		n = "CAP_" + n
	}
	for i, c := range capNames {
		if c == n {
			return i, true
		}
	}
	return 0, false
}

// CapabilityName returns the canonical name ("CAP_NET_ADMIN") of the
// capability numbered nr, or "" if this package does not know it.
func CapabilityName(nr int) string {
	if nr < 0 || nr >= len(capNames) {
		return ""
	}
	return capNames[nr]
}

// AllCapabilityNames returns the names of every capability this package
// knows, in number order.
func AllCapabilityNames() []string {
	return append([]string(nil), capNames[:]...)
}

// Capabilities are the five capability sets of a process, by name. A name
// may be given as "CAP_NET_ADMIN", "NET_ADMIN" or in any case. Empty sets
// are empty, and a nil *Capabilities has every set empty: the caller
// picks the default (libct uses DefaultCapabilities when none is given).
//
// Capabilities the running kernel does not know (numbers above
// /proc/sys/kernel/cap_last_cap) are skipped when applied, without error,
// so that one configuration works on older kernels; names this package
// does not know are a Validate error. Capabilities the kernel knows but
// this package does not (a kernel newer than the table) are dropped from
// the bounding set like any other capability not listed.
type Capabilities struct {
	Bounding    []string `json:"bounding,omitempty"`
	Effective   []string `json:"effective,omitempty"`
	Permitted   []string `json:"permitted,omitempty"`
	Inheritable []string `json:"inheritable,omitempty"`
	Ambient     []string `json:"ambient,omitempty"`
}

// defaultCaps is the set that OCI runtimes give a container when nothing
// else is asked for (the one containerd, Docker and podman use).
var defaultCaps = []string{
	"CAP_CHOWN",
	"CAP_DAC_OVERRIDE",
	"CAP_FSETID",
	"CAP_FOWNER",
	"CAP_MKNOD",
	"CAP_NET_RAW",
	"CAP_SETGID",
	"CAP_SETUID",
	"CAP_SETFCAP",
	"CAP_SETPCAP",
	"CAP_NET_BIND_SERVICE",
	"CAP_SYS_CHROOT",
	"CAP_KILL",
	"CAP_AUDIT_WRITE",
}

// DefaultCapabilities returns the default set of container runtimes
// (CAP_CHOWN, CAP_DAC_OVERRIDE, CAP_FSETID, CAP_FOWNER, CAP_MKNOD,
// CAP_NET_RAW, CAP_SETGID, CAP_SETUID, CAP_SETFCAP, CAP_SETPCAP,
// CAP_NET_BIND_SERVICE, CAP_SYS_CHROOT, CAP_KILL, CAP_AUDIT_WRITE) in
// the bounding, effective and permitted sets. The inheritable and ambient
// sets are empty, as in current runtimes: a non-empty inheritable set lets
// a program with inheritable file capabilities gain them after exec
// (CVE-2022-24769).
func DefaultCapabilities() *Capabilities {
	return CapabilitiesFor(defaultCaps, TargetBounding|TargetEffective|TargetPermitted)
}

// AllCapabilities returns every capability this package knows in the
// bounding, effective and permitted sets: what a privileged container
// gets. Inheritable and ambient stay empty.
func AllCapabilities() *Capabilities {
	return CapabilitiesFor(capNames[:], TargetBounding|TargetEffective|TargetPermitted)
}

// Target selects the sets CapabilitiesFor fills, like the targets of
// libct's set_caps.
type Target int

// The targets, one per set, and the combinations libct's C API named.
const (
	TargetBounding Target = 1 << iota
	TargetEffective
	TargetPermitted
	TargetInheritable
	TargetAmbient

	// TargetProcess is the effective, permitted and inheritable sets:
	// libct's all-caps target.
	TargetProcess = TargetEffective | TargetPermitted | TargetInheritable
	// TargetAll is TargetProcess and the bounding set (libct's CAPS_ALL).
	TargetAll = TargetBounding | TargetProcess
)

// CapabilitiesFor returns a Capabilities with names in each set target
// selects and no capability in the others.
func CapabilitiesFor(names []string, target Target) *Capabilities {
	set := func(t Target) []string {
		if target&t == 0 {
			return nil
		}
		return append([]string(nil), names...)
	}
	return &Capabilities{
		Bounding:    set(TargetBounding),
		Effective:   set(TargetEffective),
		Permitted:   set(TargetPermitted),
		Inheritable: set(TargetInheritable),
		Ambient:     set(TargetAmbient),
	}
}

// capMask is a capability set as the kernel stores it, one bit per
// capability number.
type capMask uint64

func (m capMask) has(nr int) bool { return nr < 64 && m&(1<<uint(nr)) != 0 }

// sets are the five resolved masks.
type capSets struct {
	bounding, effective, permitted, inheritable, ambient capMask
}

// Validate checks every name, and the rules the kernel enforces between
// the sets: effective within permitted, ambient within both permitted and
// inheritable. Errors name the set and the entry:
//
//	capabilities.bounding[2] "CAP_FOO": unknown capability
func (c *Capabilities) Validate() error {
	_, err := c.resolve()
	return err
}

func (c *Capabilities) resolve() (capSets, error) {
	var s capSets
	if c == nil {
		return s, nil
	}
	for _, f := range []struct {
		name  string
		names []string
		mask  *capMask
	}{
		{"bounding", c.Bounding, &s.bounding},
		{"effective", c.Effective, &s.effective},
		{"permitted", c.Permitted, &s.permitted},
		{"inheritable", c.Inheritable, &s.inheritable},
		{"ambient", c.Ambient, &s.ambient},
	} {
		for i, name := range f.names {
			nr, ok := CapabilityNumber(name)
			if !ok {
				return s, fmt.Errorf("capabilities.%s[%d] %s: unknown capability", f.name, i, quote.Value(name))
			}
			*f.mask |= 1 << uint(nr)
		}
	}
	for i, name := range c.Effective {
		if nr, _ := CapabilityNumber(name); !s.permitted.has(nr) {
			return s, fmt.Errorf("capabilities.effective[%d] %s: not in the permitted set", i, quote.Value(name))
		}
	}
	for i, name := range c.Ambient {
		if nr, _ := CapabilityNumber(name); !s.permitted.has(nr) || !s.inheritable.has(nr) {
			return s, fmt.Errorf("capabilities.ambient[%d] %s: not in both the permitted and the inheritable set", i, quote.Value(name))
		}
	}
	return s, nil
}

// Masks are the five sets of a Capabilities as bit masks, bit n for
// capability n.
type Masks struct {
	Bounding, Effective, Permitted, Inheritable, Ambient uint64
}

// Masks resolves c for an init stage that applies the sets itself, in
// the order PrepareForUserChange and Apply document (the C init). It
// fails as Validate does. A nil c has every set empty.
func (c *Capabilities) Masks() (Masks, error) {
	s, err := c.resolve()
	return Masks{uint64(s.bounding), uint64(s.effective), uint64(s.permitted), uint64(s.inheritable), uint64(s.ambient)}, err
}

// LastCap returns the highest capability number the running kernel knows.
// It asks the kernel with PR_CAPBSET_READ, which fails with EINVAL past
// the last one, rather than reading /proc/sys/kernel/cap_last_cap, so that
// it works before /proc is mounted.
func LastCap() int {
	valid := func(nr int) bool {
		_, err := unix.PrctlRetInt(unix.PR_CAPBSET_READ, uintptr(nr), 0, 0, 0)
		return err == nil
	}
	nr := len(capNames) - 1
	if valid(nr) {
		for nr < 63 && valid(nr+1) {
			nr++
		}
		return nr
	}
	for nr > 0 && !valid(nr) {
		nr--
	}
	return nr
}

// Grantable reports whether the capability called name (any spelling
// CapabilityNumber accepts) can be given to a process the caller starts:
// the running kernel knows it and it is in the caller's bounding set,
// which no descendant can add to, not even one that is root in a user
// namespace of its own. It is false for a name this package does not know.
func Grantable(name string) bool {
	nr, ok := CapabilityNumber(name)
	if !ok {
		return false
	}
	held, err := unix.PrctlRetInt(unix.PR_CAPBSET_READ, uintptr(nr), 0, 0, 0)
	return err == nil && held == 1
}

// PrepareForUserChange is the first half of applying c, for the init
// stage, on the thread that will exec (see the package documentation for
// the whole order). It drops from the bounding set every capability the
// kernel knows that c.Bounding does not list (PR_CAPBSET_DROP needs
// CAP_SETPCAP, which a later capset may remove), then sets
// PR_SET_KEEPCAPS so that the permitted set survives setresuid to a
// non-zero uid. Call it before setgroups/setresgid/setresuid, and Apply
// after them. Both only affect the calling thread: capabilities are
// per-thread, and so is keepcaps.
func (c *Capabilities) PrepareForUserChange() error {
	s, err := c.resolve()
	if err != nil {
		return err
	}
	last := LastCap()
	for nr := 0; nr <= last; nr++ {
		if s.bounding.has(nr) {
			continue
		}
		if err := unix.Prctl(unix.PR_CAPBSET_DROP, uintptr(nr), 0, 0, 0); err != nil {
			return fmt.Errorf("capabilities.bounding: drop %s: %w", capLabel(nr), err)
		}
	}
	if err := unix.Prctl(unix.PR_SET_KEEPCAPS, 1, 0, 0, 0); err != nil {
		return fmt.Errorf("capabilities: prctl PR_SET_KEEPCAPS: %w", err)
	}
	return nil
}

// Apply is the second half of applying c, after setresuid: it clears
// keepcaps again, sets the effective, permitted and inheritable sets with
// capset(2), then makes the ambient set exactly c.Ambient
// (PR_CAP_AMBIENT_CLEAR_ALL, then one PR_CAP_AMBIENT_RAISE each, which
// needs each in permitted and inheritable, hence after capset). It works on the calling thread, which
// must be the one that execs.
//
// Apply must not run before setresuid: Go applies setresuid to every
// thread of the process and aborts the program if it succeeds on some
// and fails on others, which it would on this thread once CAP_SETUID is
// gone from its effective set.
func (c *Capabilities) Apply() error {
	s, err := c.resolve()
	if err != nil {
		return err
	}
	if err := unix.Prctl(unix.PR_SET_KEEPCAPS, 0, 0, 0, 0); err != nil {
		return fmt.Errorf("capabilities: prctl PR_SET_KEEPCAPS: %w", err)
	}
	last := LastCap()
	known := capMask(1<<uint(last+1) - 1)
	if last >= 63 {
		known = ^capMask(0)
	}
	hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
	var data [2]unix.CapUserData
	for i := range data {
		shift := uint(32 * i)
		data[i].Effective = uint32(s.effective & known >> shift)
		data[i].Permitted = uint32(s.permitted & known >> shift)
		data[i].Inheritable = uint32(s.inheritable & known >> shift)
	}
	if err := unix.Capset(&hdr, &data[0]); err != nil {
		return fmt.Errorf("capabilities: capset: %w%s", err, missingPermitted(s.permitted&known))
	}
	if err := unix.Prctl(unix.PR_CAP_AMBIENT, unix.PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0); err != nil {
		return fmt.Errorf("capabilities.ambient: clear: %w", err)
	}
	for nr := 0; nr <= last; nr++ {
		if !s.ambient.has(nr) {
			continue
		}
		if err := unix.Prctl(unix.PR_CAP_AMBIENT, unix.PR_CAP_AMBIENT_RAISE, uintptr(nr), 0, 0); err != nil {
			return fmt.Errorf("capabilities.ambient: raise %s: %w", capLabel(nr), err)
		}
	}
	return nil
}

// HasEffective reports whether name is in the effective set of c.
func (c *Capabilities) HasEffective(name string) bool {
	if c == nil {
		return false
	}
	want, ok := CapabilityNumber(name)
	if !ok {
		return false
	}
	for _, n := range c.Effective {
		if nr, ok := CapabilityNumber(n); ok && nr == want {
			return true
		}
	}
	return false
}

// missingPermitted names the capabilities of want that the calling thread
// does not hold in its permitted set (capset can only shrink it), for the
// error of a failed capset.
func missingPermitted(want capMask) string {
	hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
	var data [2]unix.CapUserData
	if err := unix.Capget(&hdr, &data[0]); err != nil {
		return ""
	}
	have := capMask(data[0].Permitted) | capMask(data[1].Permitted)<<32
	var names []string
	for nr := 0; nr < 64; nr++ {
		if want.has(nr) && !have.has(nr) {
			names = append(names, capLabel(nr))
		}
	}
	if len(names) == 0 {
		return ""
	}
	return " (not held by the caller: " + strings.Join(names, ", ") + ")"
}

func capLabel(nr int) string {
	if n := CapabilityName(nr); n != "" {
		return n
	}
	return fmt.Sprintf("capability %d", nr)
}
