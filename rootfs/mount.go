package rootfs

import (
	"fmt"
	"os"

	"golang.org/x/sys/unix"

	"github.com/libct/libct/internal/quote"
)

// mountOn calls mount(2) with the descriptor target as mount point and
// names the container path shown in errors.
func mountOn(target *os.File, op, shown, source, fstype string, flags uintptr, data string) error {
	var err error
	if e := withFD(target, func(fd int) { err = mountFD(fd, op, shown, source, fstype, flags, data) }); e != nil {
		return &os.PathError{Op: op, Path: shown, Err: e}
	}
	return err
}

// mountFD is mountOn for a bare descriptor.
func mountFD(fd int, op, shown, source, fstype string, flags uintptr, data string) error {
	if err := unix.Mount(source, fdPath(fd), fstype, flags, data); err != nil {
		return &os.PathError{Op: op, Path: shown, Err: err}
	}
	return nil
}

// mount makes s.Mounts[i], running its actions around it.
func (st *state) mount(i int) error {
	m := &st.spec.Mounts[i]
	if len(m.PreAction) > 0 || len(m.PostAction) > 0 {
		if st.actions == nil {
			return fmt.Errorf("mounts[%d]: has actions but Setup got no Actions", i)
		}
	}
	if len(m.PreAction) > 0 {
		if err := st.actions.BeforeMount(i); err != nil {
			return fmt.Errorf("mounts[%d].preAction: %w", i, err)
		}
	}
	if err := st.mountOne(i, m); err != nil {
		return err
	}
	if len(m.PostAction) > 0 {
		if err := st.actions.AfterMount(i); err != nil {
			return fmt.Errorf("mounts[%d].postAction: %w", i, err)
		}
	}
	return nil
}

func (st *state) mountOne(i int, m *Mount) error {
	rel, err := InRootNotRoot(m.Destination)
	if err != nil {
		return fmt.Errorf("mounts[%d].destination %s: %w", i, quote.Value(m.Destination), err)
	}
	shown := "/" + rel
	bind := m.Flags&Bind != 0
	dir := true
	if bind {
		// The mount point must be of the source's kind: a file is
		// bind-mounted onto a file.
		fi, err := os.Stat(m.Source)
		if err != nil {
			return fmt.Errorf("mounts[%d].source %s: %w", i, quote.Value(m.Source), cause(err))
		}
		dir = fi.IsDir()
	}
	target, err := makeTarget(st.root, rel, dir)
	if err != nil {
		return fmt.Errorf("mounts[%d].destination %s: %w", i, quote.Value(m.Destination), err)
	}
	defer target.Close()

	if bind {
		err = mountOn(target, "bind "+m.Source+" on", shown, m.Source, "", m.Flags.MSFlags()&(unix.MS_BIND|unix.MS_REC), "")
	} else {
		source := m.Source
		if source == "" {
			source = m.Type
		}
		err = mountOn(target, "mount "+m.Type+" on", shown, source, m.Type, m.Flags.MSFlags(), m.Data)
	}
	if err != nil {
		return fmt.Errorf("mounts[%d]: %w", i, err)
	}

	prop, propOp := m.Flags.PropagationFlags()
	if !(bind && m.Flags&attrFlags != 0) && prop == 0 {
		return nil
	}
	// target still names the directory under the new mount; the flags and
	// the propagation are set on the new mount, so open it again.
	top, err := openPath(st.root, rel, dir)
	if err != nil {
		return fmt.Errorf("mounts[%d].destination %s: %w", i, quote.Value(m.Destination), err)
	}
	defer top.Close()
	if bind && m.Flags&attrFlags != 0 {
		if err := setBindFlags(top, shown, m.Flags); err != nil {
			return fmt.Errorf("mounts[%d]: %w", i, err)
		}
	}
	if prop != 0 {
		if err := mountOn(top, propOp, shown, "", "", prop, ""); err != nil {
			return fmt.Errorf("mounts[%d]: %w", i, err)
		}
	}
	return nil
}

// setBindFlags applies the read-only, nosuid, nodev, noexec and atime flags
// a bind mount ignores when it is made. A plain bind is remounted; a
// recursive one goes through mount_setattr(2), the only way to reach its
// submounts too, which also never clears a flag it is not told to.
func setBindFlags(top *os.File, shown string, f MountFlag) error {
	var err error
	op := "remount"
	e := withFD(top, func(fd int) {
		if f&RecursiveAttrs != 0 {
			op = "mount_setattr"
			err = unix.MountSetattr(fd, "", unix.AT_EMPTY_PATH|unix.AT_RECURSIVE, f.MountAttr())
			return
		}
		var keep uintptr
		if keep, err = lockedFlags(fd, f&atimeFlags != 0); err != nil {
			op = "statfs"
			return
		}
		flags := unix.MS_REMOUNT | unix.MS_BIND | keep | f.MSFlags()&^(unix.MS_BIND|unix.MS_REC)
		err = unix.Mount("", fdPath(fd), "", flags, "")
	})
	if e != nil {
		err = e
	}
	if err != nil {
		return &os.PathError{Op: op, Path: shown, Err: err}
	}
	return nil
}
