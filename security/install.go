package security

import (
	"errors"
	"fmt"
	"runtime"
	"slices"
	"unsafe"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// CanInstallLast reports whether the seccomp filter can be installed as
// the very last step before exec, after the capabilities are applied:
// seccomp(2) then needs no_new_privs (noNewPrivs) or CAP_SYS_ADMIN in the
// effective set the process ends up with (caps; nil means no
// capabilities). When it returns false, the init stage installs the filter
// before changing its user, while it still has CAP_SYS_ADMIN, as runc
// does; the filter must then allow what the init does after it (see the
// package documentation).
func CanInstallLast(noNewPrivs bool, caps *Capabilities) bool {
	return noNewPrivs || caps.HasEffective("CAP_SYS_ADMIN")
}

// Install loads f into the kernel for the calling thread (all threads
// with SECCOMP_FILTER_FLAG_TSYNC), with seccomp(SECCOMP_SET_MODE_FILTER).
// The caller has locked its goroutine to the thread that will exec. The
// filter applies to every syscall from then on, including the init's own
// until exec, so it is the last step before exec (see CanInstallLast).
//
// When the filter notifies (Notifies), Install returns the listener, a
// close-on-exec descriptor the caller hands to the supervisor (SendFd) and
// then closes; otherwise it returns -1.
func (f *Filter) Install() (listener int, err error) {
	if f == nil || len(f.program) == 0 {
		return -1, errors.New("seccomp: empty filter")
	}
	prog := unix.SockFprog{Len: uint16(len(f.program)), Filter: &f.program[0]}
	r, _, errno := unix.Syscall(unix.SYS_SECCOMP, unix.SECCOMP_SET_MODE_FILTER, uintptr(f.flags), uintptr(unsafe.Pointer(&prog)))
	runtime.KeepAlive(f)
	if errno != 0 {
		err := fmt.Errorf("seccomp: install filter (flags %#x): %w", f.flags, errno)
		if errno == unix.EACCES {
			err = fmt.Errorf("%w (needs no_new_privs or CAP_SYS_ADMIN)", err)
		}
		return -1, err
	}
	if f.Notifies() {
		return int(r), nil
	}
	if r != 0 {
		// With TSYNC the kernel returns the id of a thread it could not
		// synchronise.
		return -1, fmt.Errorf("seccomp: install filter: thread %d could not be synchronised", r)
	}
	return -1, nil
}

// SupportedFlags are the flags of a profile that this package and the
// running kernel both support (FlagSupported), in the order of the
// runtime-spec.
func SupportedFlags() []specs.LinuxSeccompFlag {
	var supported []specs.LinuxSeccompFlag
	for _, name := range knownFlags {
		if FlagSupported(name) {
			supported = append(supported, name)
		}
	}
	return supported
}

// FlagSupported reports whether a profile may name flag on this kernel.
// The kernel is asked with seccomp(2) and no program: one that knows the
// flag fails to read the program (EFAULT) and installs nothing, one that
// does not refuses the flag (EINVAL).
func FlagSupported(flag specs.LinuxSeccompFlag) bool {
	v, ok := seccompFlags[flag]
	switch {
	case !ok:
		return false
	case v == 0:
		return true // accepted and ignored, whatever the kernel says
	case v == unix.SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV:
		// The kernel takes it only with a listener.
		v |= unix.SECCOMP_FILTER_FLAG_NEW_LISTENER
	}
	_, _, errno := unix.Syscall(unix.SYS_SECCOMP, unix.SECCOMP_SET_MODE_FILTER, uintptr(v), 0)
	return errno == unix.EFAULT
}

// KnownFlags are the flags a profile may name, in the order of the
// runtime-spec.
func KnownFlags() []specs.LinuxSeccompFlag { return slices.Clone(knownFlags) }
