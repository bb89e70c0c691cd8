package rootfs

import "golang.org/x/sys/unix"

// MSFlags is the part of f that mount(2) takes directly.
func (f MountFlag) MSFlags() uintptr {
	var ms uintptr
	for _, p := range [...]struct {
		f  MountFlag
		ms uintptr
	}{
		{ReadOnly, unix.MS_RDONLY},
		{Bind, unix.MS_BIND},
		{Recursive, unix.MS_REC},
		{NoSuid, unix.MS_NOSUID},
		{NoDev, unix.MS_NODEV},
		{NoExec, unix.MS_NOEXEC},
		{StrictAtime, unix.MS_STRICTATIME},
		{NoAtime, unix.MS_NOATIME},
		{NoDiratime, unix.MS_NODIRATIME},
		{RelAtime, unix.MS_RELATIME},
		{NoSymFollow, unix.MS_NOSYMFOLLOW},
		{Sync, unix.MS_SYNCHRONOUS},
		{DirSync, unix.MS_DIRSYNC},
		{LazyTime, unix.MS_LAZYTIME},
	} {
		if f&p.f != 0 {
			ms |= p.ms
		}
	}
	return ms
}

// attrFlags are the flags a bind mount gets only through a remount.
const attrFlags = ReadOnly | NoSuid | NoDev | NoExec | StrictAtime | NoAtime | NoDiratime | RelAtime | NoSymFollow

// clearFlags ask for a flag to be off; see ReadWrite.
const clearFlags = ReadWrite | Suid | Dev | Exec | Atime | Diratime | NoRelAtime | NoStrictAtime | SymFollow

// ClearedMSFlags are the mount(2) flags that f asks to be off.
func (f MountFlag) ClearedMSFlags() uintptr {
	var ms uintptr
	for _, p := range [...]struct {
		f  MountFlag
		ms uintptr
	}{
		{ReadWrite, unix.MS_RDONLY},
		{Suid, unix.MS_NOSUID},
		{Dev, unix.MS_NODEV},
		{Exec, unix.MS_NOEXEC},
		{Atime, unix.MS_NOATIME},
		{Diratime, unix.MS_NODIRATIME},
		{NoRelAtime, unix.MS_RELATIME},
		{NoStrictAtime, unix.MS_STRICTATIME},
		{SymFollow, unix.MS_NOSYMFOLLOW},
	} {
		if f&p.f != 0 {
			ms |= p.ms
		}
	}
	return ms
}

// atimeFlags are the atime modes, of which a mount has one.
const atimeFlags = StrictAtime | NoAtime | RelAtime

// PropagationFlags returns the mount(2) flags for the propagation f asks for
// and its name for error messages, or 0 when f asks for none.
func (f MountFlag) PropagationFlags() (uintptr, string) {
	var ms uintptr
	var name string
	switch {
	case f&Private != 0:
		ms, name = unix.MS_PRIVATE, "private"
	case f&Slave != 0:
		ms, name = unix.MS_SLAVE, "slave"
	case f&Shared != 0:
		ms, name = unix.MS_SHARED, "shared"
	case f&Unbindable != 0:
		ms, name = unix.MS_UNBINDABLE, "unbindable"
	default:
		return 0, ""
	}
	if f&RecursivePropagation != 0 {
		ms |= unix.MS_REC
		name = "r" + name
	}
	return ms, "make-" + name
}

// lockableFlags are the flags the kernel locks on the mounts a less
// privileged user namespace inherits, besides the atime ones, which a
// remount that names no atime flag keeps anyway.
const lockableFlags = unix.MS_RDONLY | unix.MS_NOSUID | unix.MS_NODEV | unix.MS_NOEXEC

// inheritedFlags returns the lockable flags of the mount holding fd, for a
// remount refused with EPERM to repeat them, and false when cleared (the
// flags the config asks to be off) clears one of them: the refusal then
// stands, as the config asks for what the kernel forbids.
func inheritedFlags(fd int, cleared uintptr) (uintptr, bool, error) {
	var st unix.Statfs_t
	if err := unix.Fstatfs(fd, &st); err != nil {
		return 0, false, err
	}
	var ms uintptr
	for _, p := range [...]struct {
		st int64
		ms uintptr
	}{
		{unix.ST_RDONLY, unix.MS_RDONLY},
		{unix.ST_NOSUID, unix.MS_NOSUID},
		{unix.ST_NODEV, unix.MS_NODEV},
		{unix.ST_NOEXEC, unix.MS_NOEXEC},
	} {
		if int64(st.Flags)&p.st != 0 {
			ms |= p.ms
		}
	}
	return ms, ms&cleared == 0, nil
}

// lockedFlags returns the flags of the mount holding fd that a remount must
// repeat. In a user namespace the kernel locks the read-only, nosuid, nodev,
// noexec and atime flags of mounts inherited from a more privileged one,
// and a remount that would clear one fails with EPERM; outside, repeating
// them keeps a remount from quietly loosening what was already there.
func lockedFlags(fd int, strictatime bool) (uintptr, error) {
	var st unix.Statfs_t
	if err := unix.Fstatfs(fd, &st); err != nil {
		return 0, err
	}
	var ms uintptr
	for _, p := range [...]struct {
		st int64
		ms uintptr
	}{
		{unix.ST_RDONLY, unix.MS_RDONLY},
		{unix.ST_NOSUID, unix.MS_NOSUID},
		{unix.ST_NODEV, unix.MS_NODEV},
		{unix.ST_NOEXEC, unix.MS_NOEXEC},
		{unix.ST_NOATIME, unix.MS_NOATIME},
		{unix.ST_NODIRATIME, unix.MS_NODIRATIME},
		{unix.ST_RELATIME, unix.MS_RELATIME},
	} {
		if int64(st.Flags)&p.st != 0 {
			ms |= p.ms
		}
	}
	if strictatime {
		// An explicit request wins; if the atime flags are locked the
		// kernel says so.
		ms &^= unix.MS_NOATIME | unix.MS_NODIRATIME | unix.MS_RELATIME
	}
	return ms, nil
}

// MountAttr is the mount_setattr(2) form of the attrFlags in f, for the
// recursive case a remount cannot reach.
func (f MountFlag) MountAttr() *unix.MountAttr {
	a := &unix.MountAttr{}
	for _, p := range [...]struct {
		f    MountFlag
		attr uint64
	}{
		{ReadOnly, unix.MOUNT_ATTR_RDONLY},
		{NoSuid, unix.MOUNT_ATTR_NOSUID},
		{NoDev, unix.MOUNT_ATTR_NODEV},
		{NoExec, unix.MOUNT_ATTR_NOEXEC},
		{NoDiratime, unix.MOUNT_ATTR_NODIRATIME},
		{NoSymFollow, unix.MOUNT_ATTR_NOSYMFOLLOW},
	} {
		if f&p.f != 0 {
			a.Attr_set |= p.attr
		}
	}
	for _, p := range [...]struct {
		f    MountFlag
		attr uint64
	}{
		{StrictAtime, unix.MOUNT_ATTR_STRICTATIME},
		{NoAtime, unix.MOUNT_ATTR_NOATIME},
		{RelAtime, unix.MOUNT_ATTR_RELATIME},
	} {
		if f&p.f != 0 {
			a.Attr_clr |= unix.MOUNT_ATTR__ATIME
			a.Attr_set |= p.attr
		}
	}
	for _, p := range [...]struct {
		f    MountFlag
		attr uint64
	}{
		{ReadWrite, unix.MOUNT_ATTR_RDONLY},
		{Suid, unix.MOUNT_ATTR_NOSUID},
		{Dev, unix.MOUNT_ATTR_NODEV},
		{Exec, unix.MOUNT_ATTR_NOEXEC},
		{Diratime, unix.MOUNT_ATTR_NODIRATIME},
		{SymFollow, unix.MOUNT_ATTR_NOSYMFOLLOW},
	} {
		if f&p.f != 0 {
			a.Attr_clr |= p.attr
		}
	}
	// Clearing an atime mode without naming another leaves the kernel's
	// default, relatime (MOUNT_ATTR_RELATIME is 0).
	if f&(Atime|NoRelAtime|NoStrictAtime) != 0 && f&atimeFlags == 0 {
		a.Attr_clr |= unix.MOUNT_ATTR__ATIME
		a.Attr_set |= unix.MOUNT_ATTR_RELATIME
	}
	return a
}

// BindAttrs tells whether f has flags that a bind mount ignores when it
// is made and that are applied afterwards, by a remount or, with
// RecursiveAttrs, by mount_setattr(2).
func (f MountFlag) BindAttrs() bool { return f&(attrFlags|clearFlags) != 0 }
