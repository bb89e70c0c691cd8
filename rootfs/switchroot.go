package rootfs

import (
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// switchRoot makes Spec.Root the process's root: pivot_root with a mount
// namespace, chroot without, nothing when there is no Root. Then it makes
// "/" read-only if asked.
func (st *state) switchRoot() error {
	s := st.spec
	switch {
	case s.Root == "":
	case s.MountNS && s.NoPivot:
		if err := moveRoot(s.Root); err != nil {
			return fmt.Errorf("root: %w", err)
		}
	case s.MountNS:
		if err := pivot(s.Root); err != nil {
			return fmt.Errorf("root: %w", err)
		}
	default:
		if err := unix.Chroot(s.Root); err != nil {
			return fmt.Errorf("root: %w", &os.PathError{Op: "chroot", Path: s.Root, Err: err})
		}
		if err := unix.Chdir("/"); err != nil {
			return fmt.Errorf("root: %w", &os.PathError{Op: "chdir", Path: "/", Err: err})
		}
	}
	if s.ReadOnly {
		if err := remountReadOnly("/"); err != nil {
			return fmt.Errorf("readOnly: %w", err)
		}
	}
	return finishPropagation(s)
}

// finishPropagation gives the switched root the propagation that
// pivot_root would have refused before: shared, or unbindable.
func finishPropagation(s *Spec) error {
	var prop uintptr
	var name string
	switch s.Propagation {
	case PropagationShared:
		prop, name = unix.MS_SHARED, "make-rshared"
	case PropagationUnbindable:
		prop, name = unix.MS_UNBINDABLE, "make-runbindable"
	default:
		return nil
	}
	if !s.MountNS {
		return nil
	}
	if err := unix.Mount("", "/", "", prop|unix.MS_REC, ""); err != nil {
		return fmt.Errorf("propagation: %w", &os.PathError{Op: name, Path: "/", Err: err})
	}
	return nil
}

// pivot switches to root, which must be a mount point, with no directory
// to park the old root in: pivot_root(".", ".") stacks the old root on top
// of the new one, where it is detached at once. Nothing then reaches the
// host's tree, neither "/.." nor /proc/1/root.
func pivot(root string) error {
	// After the pivot, "." names the old root for umount2, which climbs
	// the stack of mounts at "/", but the new root for mount(2), which
	// does not; the descriptor lets both name the old root.
	old, err := unix.Open("/", unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return &os.PathError{Op: "open", Path: "/", Err: err}
	}
	defer unix.Close(old)
	if err := unix.Chdir(root); err != nil {
		return &os.PathError{Op: "chdir", Path: root, Err: err}
	}
	if err := unix.PivotRoot(".", "."); err != nil {
		return &os.PathError{Op: "pivot_root", Path: root, Err: err}
	}
	if err := unix.Fchdir(old); err != nil {
		return &os.PathError{Op: "chdir", Path: "old root", Err: err}
	}
	// The old root's mounts are private or slaves already when Setup made
	// them so; this keeps the detach from reaching the host even if a
	// shared mount turned up since.
	if err := unix.Mount("", ".", "", unix.MS_SLAVE|unix.MS_REC, ""); err != nil {
		return &os.PathError{Op: "make-rslave", Path: "old root", Err: err}
	}
	if err := unix.Unmount(".", unix.MNT_DETACH); err != nil {
		return &os.PathError{Op: "umount", Path: "old root", Err: err}
	}
	if err := unix.Chdir("/"); err != nil {
		return &os.PathError{Op: "chdir", Path: "/", Err: err}
	}
	return nil
}

// remountReadOnly makes the mount at p read-only, keeping its locked flags.
func remountReadOnly(p string) error {
	fd, err := unix.Open(p, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return &os.PathError{Op: "open", Path: p, Err: err}
	}
	defer unix.Close(fd)
	keep, err := lockedFlags(fd, false)
	if err != nil {
		return &os.PathError{Op: "statfs", Path: p, Err: err}
	}
	if err := unix.Mount("", p, "", unix.MS_REMOUNT|unix.MS_BIND|unix.MS_RDONLY|keep, ""); err != nil {
		return &os.PathError{Op: "remount read-only", Path: p, Err: err}
	}
	return nil
}
