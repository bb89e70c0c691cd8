package initstage

import (
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/libct/libct/internal/spec"
)

// execUser is who the program's exec is checked for: its user, groups
// and whether its effective set keeps CAP_DAC_OVERRIDE. The init is
// still root when it looks the program up, so that a missing permission
// is reported before the container is created; the exec itself comes
// later, as the user.
type execUser struct {
	uid, gid int
	// groups is nil when setgroups must not be called.
	groups      []int
	dacOverride bool
}

// execUserOf is the user p's program runs as, or nil for root, whose
// exec the mode bits alone decide here.
func execUserOf(cred *spec.Credentials, p *spec.Process) *execUser {
	if cred.UID == 0 {
		return nil
	}
	u := &execUser{uid: cred.UID, gid: cred.GID, groups: cred.Groups}
	// Without capabilities of its own the program keeps none past the
	// change to a user other than root.
	if p.Capabilities != nil {
		if m, err := p.Capabilities.Masks(); err == nil {
			u.dacOverride = m.Effective&(1<<unix.CAP_DAC_OVERRIDE) != 0
		}
	}
	return u
}

// access checks that u may execute path: with this thread's filesystem
// ids and groups made u's for the one call (the effective capabilities
// that override file permissions go with the filesystem uid, and come
// back with it), as the C init does. A user whose CAP_DAC_OVERRIDE
// stays may execute a file with any exec bit, as the kernel decides.
// Where the check cannot be made (a kernel without faccessat2), the exec
// decides.
func (u *execUser) access(path string) error {
	if u == nil {
		return nil
	}
	restore, ok := u.become()
	if !ok {
		return nil
	}
	err := unix.Faccessat2(unix.AT_FDCWD, path, unix.X_OK, unix.AT_EACCESS)
	restore()
	switch {
	case err == unix.EACCES && u.dacOverride:
		return nil
	case err == unix.ENOSYS:
		return nil
	}
	return err
}

// become gives this thread u's filesystem ids and groups; restore gives
// back the init's. The calls are bare system calls: they change this thread
// only (setCredentials says why).
func (u *execUser) become() (restore func(), ok bool) {
	var saved []uint32
	if u.groups != nil {
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
		if err := rawSetgroups(u.groups); err != nil {
			return nil, false
		}
	}
	// Each returns the id it replaces.
	fsgid, _, _ := unix.RawSyscall(unix.SYS_SETFSGID, uintptr(u.gid), 0, 0)
	fsuid, _, _ := unix.RawSyscall(unix.SYS_SETFSUID, uintptr(u.uid), 0, 0)
	return func() {
		unix.RawSyscall(unix.SYS_SETFSUID, fsuid, 0, 0)
		unix.RawSyscall(unix.SYS_SETFSGID, fsgid, 0, 0)
		if u.groups != nil {
			var p unsafe.Pointer
			if len(saved) > 0 {
				p = unsafe.Pointer(&saved[0])
			}
			unix.RawSyscall(unix.SYS_SETGROUPS, uintptr(len(saved)), uintptr(p), 0)
		}
	}, true
}
