package oci

import (
	"os"
	"path"
	"slices"
	"strconv"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/libct/libct"
	"github.com/libct/libct/security"
)

// ConvertProcess translates an OCI process (ct exec --process, or one ct
// builds from the command line) for Container.Enter. base is the
// container's stored config: the process gets its profile (capabilities,
// seccomp, LSM labels, OOM score) for every part the OCI process leaves
// out. As runc does with process.json, the OCI process is the whole
// description: noNewPrivileges is the process's own, and an empty cwd is
// "/". The container's personality (linux.personality) is not applied: it
// is a property of the init's Process and libct.Config does not keep it;
// LoadExecDefaults reads it from the bundle.
func ConvertProcess(p *specs.Process, base *libct.Config, opts ...Option) (*libct.Process, error) {
	if p == nil {
		return nil, invalid("process", "missing")
	}
	proc, sec, err := convertProcess(p, false, collectOptions(opts).warn)
	if err != nil {
		return nil, err
	}
	merged := libct.Security{}
	if base != nil {
		merged = base.Security
	}
	if p.Capabilities != nil {
		merged.Capabilities = sec.Capabilities
	}
	merged.NoNewPrivileges = sec.NoNewPrivileges
	if sec.Labels.AppArmorProfile != "" {
		merged.Labels.AppArmorProfile = sec.Labels.AppArmorProfile
	}
	if sec.Labels.SELinuxLabel != "" {
		merged.Labels.SELinuxLabel = sec.Labels.SELinuxLabel
	}
	if sec.OOMScoreAdj != nil {
		merged.OOMScoreAdj = sec.OOMScoreAdj
	}
	proc.Security = &merged
	return proc, nil
}

// convertProcess translates p into a Process and the security profile
// it asks for. init tells that p is a container's init, whose cwd and
// args are required; warn gets the capabilities dropped.
func convertProcess(p *specs.Process, init bool, warn func(*FieldError)) (*libct.Process, *libct.Security, error) {
	proc := &libct.Process{}
	sec := &libct.Security{}

	if p.Terminal {
		proc.Terminal = true
		if b := p.ConsoleSize; b != nil {
			if b.Height > 0xffff || b.Width > 0xffff {
				return nil, nil, invalid("process.consoleSize", "%dx%d is larger than a terminal can be (65535x65535)", b.Height, b.Width)
			}
			proc.ConsoleSize = &libct.ConsoleSize{Rows: uint16(b.Height), Cols: uint16(b.Width)}
		}
	}
	// consoleSize without a terminal is ignored, as the spec says.

	proc.User = strconv.FormatUint(uint64(p.User.UID), 10) + ":" + strconv.FormatUint(uint64(p.User.GID), 10)
	if p.User.Umask != nil {
		if *p.User.Umask&^0o777 != 0 {
			return nil, nil, invalid("process.user.umask", "%#o has bits beyond 0777", *p.User.Umask)
		}
		m := os.FileMode(*p.User.Umask)
		proc.Umask = &m
	}
	for _, g := range p.User.AdditionalGids {
		proc.AdditionalGroups = append(proc.AdditionalGroups, strconv.FormatUint(uint64(g), 10))
	}
	// user.username is for Windows: the spec has Linux ignore it.

	switch {
	case len(p.Args) > 0:
		if p.Args[0] == "" {
			return nil, nil, invalid("process.args[0]", "empty program name")
		}
		proc.Args = append([]string(nil), p.Args...)
	case p.CommandLine != "":
		return nil, nil, unsupported("process.commandLine", "is for Windows; give process.args on Linux")
	default:
		return nil, nil, invalid("process.args", "empty: give the program to run")
	}

	for i, kv := range p.Env {
		if k, _, ok := strings.Cut(kv, "="); !ok || k == "" {
			return nil, nil, invalidValue(index("process.env", i), kv, "not KEY=value")
		}
	}
	proc.Env = append([]string(nil), p.Env...)

	switch {
	case p.Cwd == "" && init:
		return nil, nil, invalid("process.cwd", "empty: must be an absolute path")
	case p.Cwd != "" && !path.IsAbs(p.Cwd):
		return nil, nil, invalidValue("process.cwd", p.Cwd, "must be an absolute path")
	}
	proc.Dir = p.Cwd

	caps, err := convertCapabilities(p.Capabilities, warn)
	if err != nil {
		return nil, nil, err
	}
	sec.Capabilities = caps

	rl, err := convertRlimits(p.Rlimits)
	if err != nil {
		return nil, nil, err
	}
	proc.Rlimits = rl

	sec.NoNewPrivileges = p.NoNewPrivileges
	sec.Labels.AppArmorProfile = p.ApparmorProfile
	sec.Labels.SELinuxLabel = p.SelinuxLabel
	if err := checkLabels(&sec.Labels); err != nil {
		return nil, nil, err
	}

	if p.OOMScoreAdj != nil {
		v := *p.OOMScoreAdj
		if v < -1000 || v > 1000 {
			return nil, nil, invalid("process.oomScoreAdj", "%d is not in -1000..1000", v)
		}
		sec.OOMScoreAdj = &v
	}

	if p.IOPriority != nil {
		io, err := convertIOPriority(p.IOPriority)
		if err != nil {
			return nil, nil, err
		}
		proc.IOPriority = io
	}
	if p.Scheduler != nil {
		s, err := convertScheduler(p.Scheduler)
		if err != nil {
			return nil, nil, err
		}
		proc.Scheduler = s
	}
	if a := p.ExecCPUAffinity; a != nil {
		for _, f := range []struct{ name, list string }{{"initial", a.Initial}, {"final", a.Final}} {
			if f.list != "" && !isCPUList(f.list) {
				return nil, nil, invalidValue("process.execCPUAffinity."+f.name, f.list, `not a cpu list like "0-3,7"`)
			}
		}
		if a.Initial != "" || a.Final != "" {
			proc.CPUAffinity = &libct.CPUAffinity{Initial: a.Initial, Final: a.Final}
		}
	}
	return proc, sec, nil
}

// convertCapabilities translates the five sets. An absent
// process.capabilities is no capability at all (as runc gives), not
// libct's default set. A name that is not a capability of the running
// kernel, or that the caller does not hold in its bounding set, is
// dropped from its set with a warning, as the spec asks (see
// WithWarnings): a privileged spec then runs with what the host allows.
func convertCapabilities(c *specs.LinuxCapabilities, warn func(*FieldError)) (*libct.Capabilities, error) {
	out := &libct.Capabilities{}
	if c == nil {
		return out, nil
	}
	// The sets list mostly the same capabilities: each is asked of the
	// kernel once.
	var asked, grantable uint64
	for _, set := range []struct {
		name  string
		names []string
		out   *[]string
	}{
		{"bounding", c.Bounding, &out.Bounding}, {"effective", c.Effective, &out.Effective},
		{"inheritable", c.Inheritable, &out.Inheritable}, {"permitted", c.Permitted, &out.Permitted},
		{"ambient", c.Ambient, &out.Ambient},
	} {
		for i, n := range set.names {
			path := index("process.capabilities."+set.name, i)
			// The spec spells them CAP_NET_ADMIN; the library accepts
			// more spellings, a spec should not use them.
			nr, ok := security.CapabilityNumber(n)
			if !ok || !strings.HasPrefix(n, "CAP_") || strings.ToUpper(n) != n {
				warn(invalidValue(path, n, "unknown capability, ignored"))
				continue
			}
			bit := uint64(1) << nr
			if asked&bit == 0 {
				asked |= bit
				if security.Grantable(n) {
					grantable |= bit
				}
			}
			if grantable&bit == 0 {
				warn(invalidValue(path, n, "cannot be granted: not in the runtime's bounding set (or unknown to this kernel), ignored"))
				continue
			}
			*set.out = append(*set.out, n)
		}
	}
	dropUnraisable(c, out, warn)
	if err := out.Validate(); err != nil {
		return nil, rebase(err, "capabilities.", "process.capabilities.")
	}
	return out, nil
}

// dropUnraisable drops, with a warning, the effective capabilities that
// are not permitted and the ambient ones that are not both permitted and
// inheritable: the kernel would refuse them, and runc and crun run such a
// spec with the rest (the default config of runc 1.1 and of crun has an
// ambient CAP_AUDIT_WRITE that is not inheritable). The warnings name the
// entries of c, the spec's sets.
func dropUnraisable(c *specs.LinuxCapabilities, out *libct.Capabilities, warn func(*FieldError)) {
	permitted := make(map[string]bool, len(out.Permitted))
	for _, n := range out.Permitted {
		permitted[n] = true
	}
	inheritable := make(map[string]bool, len(out.Inheritable))
	for _, n := range out.Inheritable {
		inheritable[n] = true
	}
	keep := func(set string, names []string, out []string, why func(string) string) []string {
		var kept []string
		for _, n := range out {
			if reason := why(n); reason != "" {
				warn(invalidValue(index("process.capabilities."+set, slices.Index(names, n)), n, "%s", reason))
				continue
			}
			kept = append(kept, n)
		}
		return kept
	}
	out.Effective = keep("effective", c.Effective, out.Effective, func(n string) string {
		if !permitted[n] {
			return "not in the permitted set, ignored"
		}
		return ""
	})
	out.Ambient = keep("ambient", c.Ambient, out.Ambient, func(n string) string {
		switch {
		case !inheritable[n]:
			return "can't raise ambient capability " + n + ": not in the inheritable set, ignored"
		case !permitted[n]:
			return "can't raise ambient capability " + n + ": not in the permitted set, ignored"
		}
		return ""
	})
}

// rlimitTypes are the resources setrlimit(2) knows, as the spec names
// them.
var rlimitTypes = map[string]bool{
	"RLIMIT_AS": true, "RLIMIT_CORE": true, "RLIMIT_CPU": true, "RLIMIT_DATA": true,
	"RLIMIT_FSIZE": true, "RLIMIT_LOCKS": true, "RLIMIT_MEMLOCK": true, "RLIMIT_MSGQUEUE": true,
	"RLIMIT_NICE": true, "RLIMIT_NOFILE": true, "RLIMIT_NPROC": true, "RLIMIT_RSS": true,
	"RLIMIT_RTPRIO": true, "RLIMIT_RTTIME": true, "RLIMIT_SIGPENDING": true, "RLIMIT_STACK": true,
}

func convertRlimits(list []specs.POSIXRlimit) ([]libct.Rlimit, error) {
	var out []libct.Rlimit
	seen := map[string]int{}
	for i, r := range list {
		p := index("process.rlimits", i)
		if !rlimitTypes[r.Type] {
			return nil, invalidValue(p+".type", r.Type, "unknown resource limit")
		}
		if j, dup := seen[r.Type]; dup {
			return nil, invalidValue(p+".type", r.Type, "also set by process.rlimits[%d]", j)
		}
		seen[r.Type] = i
		if r.Soft > r.Hard {
			return nil, invalid(p, "soft limit %d above hard limit %d", r.Soft, r.Hard)
		}
		out = append(out, libct.Rlimit{Type: r.Type, Soft: r.Soft, Hard: r.Hard})
	}
	return out, nil
}

// checkLabels refuses the process labels of an LSM the host lacks, with
// the spec's field names.
func checkLabels(l *libct.Labels) error {
	if err := l.Validate(); err != nil {
		fe := rebase(err, "lsm.", "process.")
		if strings.HasPrefix(fe.Path, "process.selinuxMountLabel") {
			fe.Path = "linux.mountLabel"
		}
		if strings.Contains(fe.Err.Error(), "not enabled on this host") {
			fe.Err = &unsupportedError{msg: fe.Err.Error()}
		}
		return fe
	}
	return nil
}

var ioClasses = map[specs.IOPriorityClass]int{
	specs.IOPRIO_CLASS_RT:   libct.IOPrioRealtime,
	specs.IOPRIO_CLASS_BE:   libct.IOPrioBestEffort,
	specs.IOPRIO_CLASS_IDLE: libct.IOPrioIdle,
}

func convertIOPriority(p *specs.LinuxIOPriority) (*libct.IOPriority, error) {
	class, ok := ioClasses[p.Class]
	if !ok {
		return nil, invalidValue("process.ioPriority.class", string(p.Class), "unknown class (want IOPRIO_CLASS_RT, IOPRIO_CLASS_BE or IOPRIO_CLASS_IDLE)")
	}
	if p.Priority < 0 || p.Priority > 7 {
		return nil, invalid("process.ioPriority.priority", "%d is not in 0..7", p.Priority)
	}
	return &libct.IOPriority{Class: class, Level: p.Priority}, nil
}

var schedPolicies = map[specs.LinuxSchedulerPolicy]uint32{
	specs.SchedOther:    unix.SCHED_NORMAL,
	specs.SchedFIFO:     unix.SCHED_FIFO,
	specs.SchedRR:       unix.SCHED_RR,
	specs.SchedBatch:    unix.SCHED_BATCH,
	specs.SchedIdle:     unix.SCHED_IDLE,
	specs.SchedDeadline: unix.SCHED_DEADLINE,
}

var schedFlags = map[specs.LinuxSchedulerFlag]uint64{
	specs.SchedFlagResetOnFork:  unix.SCHED_FLAG_RESET_ON_FORK,
	specs.SchedFlagReclaim:      unix.SCHED_FLAG_RECLAIM,
	specs.SchedFlagDLOverrun:    unix.SCHED_FLAG_DL_OVERRUN,
	specs.SchedFlagKeepPolicy:   unix.SCHED_FLAG_KEEP_POLICY,
	specs.SchedFlagKeepParams:   unix.SCHED_FLAG_KEEP_PARAMS,
	specs.SchedFlagUtilClampMin: unix.SCHED_FLAG_UTIL_CLAMP_MIN,
	specs.SchedFlagUtilClampMax: unix.SCHED_FLAG_UTIL_CLAMP_MAX,
}

func convertScheduler(s *specs.Scheduler) (*libct.Scheduler, error) {
	policy, ok := schedPolicies[s.Policy]
	if !ok {
		if s.Policy == specs.SchedISO {
			return nil, unsupportedValue("process.scheduler.policy", string(s.Policy), "the Linux kernel has no such policy")
		}
		return nil, invalidValue("process.scheduler.policy", string(s.Policy), "unknown policy")
	}
	if s.Nice < -20 || s.Nice > 19 {
		return nil, invalid("process.scheduler.nice", "%d is not in -20..19", s.Nice)
	}
	if s.Priority < 0 || s.Priority > 99 {
		return nil, invalid("process.scheduler.priority", "%d is not in 0..99", s.Priority)
	}
	out := &libct.Scheduler{Policy: policy, Nice: s.Nice, Priority: uint32(s.Priority),
		Runtime: s.Runtime, Deadline: s.Deadline, Period: s.Period}
	for i, f := range s.Flags {
		bit, ok := schedFlags[f]
		if !ok {
			return nil, invalidValue(index("process.scheduler.flags", i), string(f), "unknown flag")
		}
		out.Flags |= bit
	}
	return out, nil
}

// isCPUList accepts "0-3,7".
func isCPUList(s string) bool {
	for _, part := range strings.Split(s, ",") {
		lo, hi, isRange := strings.Cut(strings.TrimSpace(part), "-")
		a, err := strconv.ParseUint(lo, 10, 16)
		if err != nil {
			return false
		}
		if isRange {
			b, err := strconv.ParseUint(hi, 10, 16)
			if err != nil || b < a {
				return false
			}
		}
	}
	return true
}

// personality values of personality(2).
const (
	perLinux   = 0x0000
	perLinux32 = 0x0008
)

func convertPersonality(p *specs.LinuxPersonality) (*uint32, error) {
	var v uint32
	switch p.Domain {
	case specs.PerLinux:
		v = perLinux
	case specs.PerLinux32:
		v = perLinux32
	default:
		return nil, invalidValue("linux.personality.domain", string(p.Domain), "unknown domain (want LINUX or LINUX32)")
	}
	for i, f := range p.Flags {
		return nil, unsupportedValue(index("linux.personality.flags", i), string(f), "no personality flag is supported")
	}
	return &v, nil
}
