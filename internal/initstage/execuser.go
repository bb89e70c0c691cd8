package initstage

import (
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/libct/libct/internal/spec"
)

// execAccess checks that u (spec.ExecUserOf) may execute path: with this
// thread's filesystem ids and groups made u's for the one call (the
// effective capabilities that override file permissions go with the
// filesystem uid, and come back with it), as the C init does. A user
// whose CAP_DAC_OVERRIDE stays may execute a file with any exec bit, as
// the kernel decides. Where the check cannot be made (a kernel without
// faccessat2), the exec decides. A nil u is root: nothing to check.
func execAccess(path string, u *spec.ExecUser) error {
	if u == nil {
		return nil
	}
	restore, ok := becomeExecUser(u)
	if !ok {
		return nil
	}
	err := unix.Faccessat2(unix.AT_FDCWD, path, unix.X_OK, unix.AT_EACCESS)
	restore()
	switch {
	case err == unix.EACCES && u.DACOverride:
		return nil
	case err == unix.ENOSYS:
		return nil
	}
	return err
}

// becomeExecUser gives this thread u's filesystem ids and groups; restore
// gives back the init's. The calls are bare system calls: they change
// this thread only (setCredentials says why).
func becomeExecUser(u *spec.ExecUser) (restore func(), ok bool) {
	var saved []uint32
	if u.Groups != nil {
		n, _, errno := unix.RawSyscall(unix.SYS_GETGROUPS, 0, 0, 0)
		if errno != 0 {
			return nil, false
		}
		saved = make([]uint32, n+1) // never empty: its first element is passed
		n, _, errno = unix.RawSyscall(unix.SYS_GETGROUPS, n, uintptr(unsafe.Pointer(&saved[0])), 0)
		if errno != 0 {
			return nil, false
		}
		saved = saved[:n]
		if err := rawSetgroups(u.Groups); err != nil {
			return nil, false
		}
	}
	// Each returns the id it replaces.
	fsgid, _, _ := unix.RawSyscall(unix.SYS_SETFSGID, uintptr(u.GID), 0, 0)
	fsuid, _, _ := unix.RawSyscall(unix.SYS_SETFSUID, uintptr(u.UID), 0, 0)
	return func() {
		unix.RawSyscall(unix.SYS_SETFSUID, fsuid, 0, 0)
		unix.RawSyscall(unix.SYS_SETFSGID, fsgid, 0, 0)
		if u.Groups != nil {
			var p unsafe.Pointer
			if len(saved) > 0 {
				p = unsafe.Pointer(&saved[0])
			}
			unix.RawSyscall(unix.SYS_SETGROUPS, uintptr(len(saved)), uintptr(p), 0)
		}
	}, true
}
