package libct

import (
	"fmt"
	"sort"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/libct/libct/internal/hooks"
	"github.com/libct/libct/internal/quote"
)

// What the kernel takes, checked before anything is created so that a
// value it would refuse (or cut) is reported with its field instead of as
// a failure deep in the init, or not at all. Sources are Linux's own.
const (
	// pathMax is PATH_MAX (include/uapi/linux/limits.h), the size of the
	// buffer a path is copied into with its NUL (getname, fs/namei.c):
	// a path of pathMax bytes or more fails with ENAMETOOLONG.
	pathMax = 4096
	// hostNameMax is __NEW_UTS_LEN (include/uapi/linux/utsname.h):
	// sethostname and setdomainname refuse a longer name with EINVAL.
	hostNameMax = 64
	// maxArgStrlen is MAX_ARG_STRLEN (include/uapi/linux/binfmts.h, 32
	// pages): execve fails with E2BIG when one argument or environment
	// string, with its NUL, is longer (valid_arg_len, fs/exec.c).
	maxArgStrlen = 32 * 4096
	// argMaxFloor is ARG_MAX (include/uapi/linux/limits.h): execve
	// always allows this many bytes of strings, however small the stack
	// limit (bprm_stack_limits, fs/exec.c).
	argMaxFloor = 131072
	// argMaxCeiling is three quarters of _STK_LIM (8 MiB,
	// include/uapi/linux/resource.h): execve never allows more, however
	// large the stack limit (bprm_stack_limits).
	argMaxCeiling = 8 << 20 / 4 * 3
	// execReserve is what the init adds to the strings of a program's
	// execve beyond its args and env: the path it executes, which execve
	// copies onto the new stack too, and a HOME from the user's passwd
	// entry when env has none; each at most a path.
	execReserve = 2 * pathMax
	// sysctlValueMax bounds a sysctl value. No namespaced sysctl takes
	// more: the string ones are bounded by their table's maxlen (64 for
	// kernel.hostname) and the others are a few numbers (kernel.sem has
	// four); the proc handlers read no more than a page of them
	// (proc_dostring, proc_dointvec, kernel/sysctl.c).
	sysctlValueMax = 4096
)

// execArgMax is how many bytes of strings (NULs included) and pointers
// execve takes for a program whose stack limit is stackLimit: a quarter
// of it, at least ARG_MAX and at most three quarters of _STK_LIM
// (bprm_stack_limits, fs/exec.c).
func execArgMax(stackLimit uint64) uint64 {
	limit := stackLimit / 4
	if limit > argMaxCeiling {
		limit = argMaxCeiling
	}
	if limit < argMaxFloor {
		limit = argMaxFloor
	}
	return limit
}

// checkString refuses a string the kernel cannot take whole: one with a
// NUL (every string crosses into the kernel NUL-terminated, so the rest
// would be lost silently), or one of max bytes or more (max counts the
// NUL, as the kernel's buffers do).
func checkString(field, s string, max int, what string) error {
	if len(s) >= max {
		return &ConfigError{Field: field, Value: s,
			Err: fmt.Errorf("too long for %s: at most %d bytes", what, max-1)}
	}
	if strings.IndexByte(s, 0) >= 0 {
		return &ConfigError{Field: field, Value: s,
			Err: fmt.Errorf("has a NUL byte, where the kernel would end %s", what)}
	}
	return nil
}

// checkPath refuses a path longer than PATH_MAX allows or with a NUL.
func checkPath(field, path string) error {
	return checkString(field, path, pathMax, "a path (PATH_MAX)")
}

// checkPaths is checkPath for each of a list.
func checkPaths(field string, paths []string) error {
	for i, p := range paths {
		if err := checkPath(fmt.Sprintf("%s[%d]", field, i), p); err != nil {
			return err
		}
	}
	return nil
}

// checkLimits refuses the strings of a config that the kernel would
// refuse or cut: paths, names, mount options and sysctl values.
func (c *Config) checkLimits() error {
	if err := checkPath("root", c.Root); err != nil {
		return err
	}
	if err := checkPath("private", c.Private); err != nil {
		return err
	}
	if err := checkString("hostname", c.Hostname, hostNameMax+1, "a host name (HOST_NAME_MAX)"); err != nil {
		return err
	}
	if err := checkString("domainname", c.Domainname, hostNameMax+1, "a domain name (HOST_NAME_MAX)"); err != nil {
		return err
	}
	// mount(2) copies at most a page of options (copy_mount_options,
	// fs/namespace.c): the rest would be dropped without an error.
	pageSize := unix.Getpagesize()
	for i, m := range c.Mounts {
		field := fmt.Sprintf("mounts[%d]", i)
		if err := checkPath(field+".source", m.Source); err != nil {
			return err
		}
		if err := checkPath(field+".destination", m.Destination); err != nil {
			return err
		}
		if err := checkString(field+".type", m.Type, pathMax, "a filesystem type"); err != nil {
			return err
		}
		if err := checkString(field+".data", m.Data, pageSize, "mount(2) options (one page)"); err != nil {
			return err
		}
		if err := checkExec(field+".preAction", "", m.PreAction, nil, 0); err != nil {
			return err
		}
		if err := checkExec(field+".postAction", "", m.PostAction, nil, 0); err != nil {
			return err
		}
	}
	for i, d := range c.Devices {
		if err := checkPath(fmt.Sprintf("devices[%d].path", i), d.Path); err != nil {
			return err
		}
	}
	if err := checkPaths("maskedPaths", c.MaskedPaths); err != nil {
		return err
	}
	if err := checkPaths("readonlyPaths", c.ReadonlyPaths); err != nil {
		return err
	}
	keys := make([]string, 0, len(c.Sysctl))
	for k := range c.Sysctl {
		keys = append(keys, k)
	}
	sort.Strings(keys) // the first bad one reported is always the same
	for _, k := range keys {
		field := "sysctl[" + quote.Value(k) + "]"
		// The key becomes a path under /proc/sys.
		if err := checkString(field, k, pathMax-len("/proc/sys/"), "a sysctl name (a path under /proc/sys)"); err != nil {
			return err
		}
		if err := checkString(field, c.Sysctl[k], sysctlValueMax, "a sysctl value"); err != nil {
			return err
		}
	}
	return c.Hooks.checkLimits()
}

// checkLimits refuses hooks the kernel could not execute.
func (h *Hooks) checkLimits() error {
	lists := []struct {
		field string
		hooks []hooks.Hook
	}{
		{"hooks.prestart", h.Prestart}, {"hooks.createRuntime", h.CreateRuntime},
		{"hooks.createContainer", h.CreateContainer}, {"hooks.startContainer", h.StartContainer},
		{"hooks.poststart", h.Poststart}, {"hooks.poststop", h.Poststop},
	}
	for _, l := range lists {
		for i, hook := range l.hooks {
			field := fmt.Sprintf("%s[%d]", l.field, i)
			if err := checkPath(field+".path", hook.Path); err != nil {
				return err
			}
			if err := checkExec(field+".args", field+".env", hook.Args, hook.Env, 0); err != nil {
				return err
			}
		}
	}
	return nil
}

// checkExec refuses an argument vector and environment that execve(2)
// would refuse with E2BIG: a string of MAX_ARG_STRLEN bytes or more (NUL
// included), or more bytes of strings and pointers in all than
// execArgMax allows for the program's stack limit; and strings with a
// NUL, which execve would cut. stackLimit 0 means the caller's own
// RLIMIT_STACK, which the program inherits.
func checkExec(argsField, envField string, args, env []string, stackLimit uint64) error {
	total := uint64(execReserve)
	for _, list := range []struct {
		field   string
		strings []string
	}{{argsField, args}, {envField, env}} {
		for i, s := range list.strings {
			f := fmt.Sprintf("%s[%d]", list.field, i)
			if err := checkString(f, s, maxArgStrlen, "an execve(2) string (MAX_ARG_STRLEN with its NUL)"); err != nil {
				return err
			}
			total += uint64(len(s)) + 1 + 8 // the string, its NUL and its pointer
		}
	}
	if stackLimit == 0 {
		var rl unix.Rlimit
		if err := unix.Getrlimit(unix.RLIMIT_STACK, &rl); err == nil {
			stackLimit = rl.Cur
		}
	}
	if limit := execArgMax(stackLimit); total > limit {
		return &ConfigError{Field: argsField,
			Err: fmt.Errorf("args and env take %d bytes with their NULs and pointers, and the init's path and HOME up to %d more: execve(2) takes at most %d with a stack limit of %d bytes (a quarter of it, between ARG_MAX and 6 MiB)",
				total-execReserve, execReserve, limit, stackLimit)}
	}
	return nil
}

// checkLimits refuses the strings of a process that the kernel would
// refuse or cut.
func (p *Process) checkLimits() error {
	// The init sets the process's limits before its execve; without a
	// stack limit of its own the program has the caller's (0 here).
	var stackLimit uint64
	for _, rl := range p.Rlimits {
		if res, ok := rlimitResource(rl.Type); ok && res == unix.RLIMIT_STACK {
			stackLimit = max(rl.Soft, 1) // a limit of 0 still gets ARG_MAX
		}
	}
	if err := checkExec("process.args", "process.env", p.Args, p.Env, stackLimit); err != nil {
		return err
	}
	if len(p.Args) > 0 {
		// execve's path: args[0] itself, or a name looked up in $PATH.
		if err := checkPath("process.args[0]", p.Args[0]); err != nil {
			return err
		}
	}
	if err := checkPath("process.dir", p.Dir); err != nil {
		return err
	}
	return checkString("process.user", p.User, pathMax, "a user name")
}
