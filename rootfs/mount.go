package rootfs

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"

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

// mount makes s.Mounts[i], running its actions around it; writable
// mounts it read-write whatever its flags say (remountFS applies them).
func (st *state) mount(i int, writable bool) error {
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
	one := *m
	if writable {
		one.Flags &^= ReadOnly
	}
	if err := st.mountOne(i, &one); err != nil {
		return err
	}
	if len(m.PostAction) > 0 {
		if err := st.actions.AfterMount(i); err != nil {
			return fmt.Errorf("mounts[%d].postAction: %w", i, err)
		}
	}
	return nil
}

// mountPoint resolves the destination of s.Mounts[i] inside the root, as
// chroot would, and returns it relative to the root, with the form errors
// show: the destination as the config has it.
func (st *state) mountPoint(i int, m *Mount) (rel, shown string, err error) {
	if rel, err = InRootNotRoot(m.Destination); err != nil {
		return "", "", fmt.Errorf("mounts[%d].destination %s: %w", i, quote.Value(m.Destination), err)
	}
	shown = "/" + rel
	if rel, err = st.resolveMountPoint(rel, m.Type); err != nil {
		return "", "", fmt.Errorf("mounts[%d].destination %s: %w", i, quote.Value(m.Destination), err)
	}
	return rel, shown, nil
}

func (st *state) mountOne(i int, m *Mount) error {
	rel, shown, err := st.mountPoint(i, m)
	if err != nil {
		return err
	}
	bind := m.Flags&Bind != 0
	data := m.Data
	if m.InheritsMode() {
		if data, err = st.inheritMode(rel, data); err != nil {
			return fmt.Errorf("mounts[%d].destination %s: %w", i, quote.Value(m.Destination), err)
		}
	}
	source := m.Source
	if p, ok := st.spec.SourcePaths[i]; ok {
		source = p
	}
	dir := true
	if bind {
		// The mount point must be of the source's kind: a file is
		// bind-mounted onto a file.
		fi, err := os.Stat(source)
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

	var below *os.File
	if m.Flags&CopyUp != 0 {
		// The directory stays readable through a descriptor opened
		// before the tmpfs hides it.
		if below, err = st.root.OpenFile(rel, unix.O_RDONLY|unix.O_DIRECTORY, 0); err != nil {
			return fmt.Errorf("mounts[%d].destination %s: %w", i, quote.Value(m.Destination), err)
		}
		defer below.Close()
	}
	if m.IDMapped() {
		err = st.moveIDMapped(i, target, shown)
	} else if bind {
		err = mountOn(target, "bind "+m.Source+" on", shown, source, "", m.Flags.MSFlags()&(unix.MS_BIND|unix.MS_REC), "")
	} else {
		if source == "" {
			source = m.Type
		}
		// A read-only tmpfs comes here read-write (see LaterReadOnly).
		err = mountOn(target, "mount "+m.Type+" on", shown, source, m.Type, m.Flags.MSFlags(), data)
	}
	if err != nil {
		return fmt.Errorf("mounts[%d]: %w", i, err)
	}
	if below != nil {
		if err := st.copyUp(below, rel, shown); err != nil {
			return fmt.Errorf("mounts[%d]: %w", i, err)
		}
	}

	prop, propOp := m.Flags.PropagationFlags()
	if !(bind && m.Flags.BindAttrs()) && prop == 0 {
		return nil
	}
	// target still names the directory under the new mount; the flags and
	// the propagation are set on the new mount, so open it again.
	top, err := openPath(st.root, rel, dir)
	if err != nil {
		return fmt.Errorf("mounts[%d].destination %s: %w", i, quote.Value(m.Destination), err)
	}
	defer top.Close()
	if bind && m.Flags.BindAttrs() {
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

// resolveMountPoint resolves the mount point rel inside the root (see
// resolveIn). A proc or sysfs is refused a mount point reached through a
// symlink: a root that turns /proc into a link elsewhere would otherwise
// leave the masks and read-only paths under /proc uncovering nothing.
func (st *state) resolveMountPoint(rel, fstype string) (string, error) {
	resolved, err := st.resolveDest(rel)
	if err != nil {
		return "", err
	}
	switch {
	case resolved == ".":
		return "", errLeadsToRoot
	case resolved != rel && NoSymlinkMountPoint(fstype):
		return "", fmt.Errorf("leads through a symlink to /%s: %s must be mounted on a directory, never through a symlink", resolved, fstype)
	}
	return resolved, nil
}

// NoSymlinkMountPoint tells whether a file system of type fstype must be
// mounted on a mount point reached through no symlink.
func NoSymlinkMountPoint(fstype string) bool { return fstype == "proc" || fstype == "sysfs" }

// InheritsMode tells whether m is a tmpfs that takes the mode of the
// directory it is mounted on, when that exists: a tmpfs without a mode=
// option, which would otherwise be 1777 and open a directory the image
// kept closed.
func (m *Mount) InheritsMode() bool {
	if m.Type != "tmpfs" || m.Flags&Bind != 0 {
		return false
	}
	for _, o := range strings.Split(m.Data, ",") {
		if strings.HasPrefix(o, "mode=") {
			return false
		}
	}
	return true
}

// inheritMode adds the mode of the existing directory rel to the tmpfs
// options data; a missing rel leaves data as it is.
func (st *state) inheritMode(rel, data string) (string, error) {
	var stat unix.Stat_t
	var err error
	if e := withFD(st.rootDir, func(fd int) { err = unix.Fstatat(fd, rel, &stat, unix.AT_SYMLINK_NOFOLLOW) }); e != nil {
		return "", e
	}
	switch {
	case errors.Is(err, unix.ENOENT):
		return data, nil
	case err != nil:
		return "", &os.PathError{Op: "stat", Path: "/" + rel, Err: err}
	case stat.Mode&unix.S_IFMT != unix.S_IFDIR:
		return data, nil
	}
	return TmpfsModeData(data, stat.Mode), nil
}

// TmpfsModeData adds mode= with the permission bits of mode to the tmpfs
// options data.
func TmpfsModeData(data string, mode uint32) string {
	opt := "mode=" + strconv.FormatUint(uint64(mode&0o7777), 8)
	if data == "" {
		return opt
	}
	return data + "," + opt
}

// remountFS remounts the file system of s.Mounts[i] with its flags and
// data, once what had to be written into it is there.
func (st *state) remountFS(i int) error {
	m := &st.spec.Mounts[i]
	rel, shown, err := st.mountPoint(i, m)
	if err != nil {
		return err
	}
	top, err := openPath(st.root, rel, true)
	if err != nil {
		return fmt.Errorf("mounts[%d].destination %s: %w", i, quote.Value(m.Destination), err)
	}
	defer top.Close()
	if err := mountOn(top, "remount", shown, "", "", unix.MS_REMOUNT|m.Flags.MSFlags(), m.Data); err != nil {
		return fmt.Errorf("mounts[%d]: %w", i, err)
	}
	return nil
}

// setBindFlags applies the read-only, nosuid, nodev, noexec and atime flags
// a bind mount ignores when it is made. A plain bind is remounted with
// exactly the flags f asks for; a recursive one goes through
// mount_setattr(2), the only way to reach its submounts too, which also
// never clears a flag it is not told to.
func setBindFlags(top *os.File, shown string, f MountFlag) error {
	var err error
	op := "remount"
	e := withFD(top, func(fd int) {
		if f&RecursiveAttrs != 0 {
			op = "mount_setattr"
			err = unix.MountSetattr(fd, "", unix.AT_EMPTY_PATH|unix.AT_RECURSIVE, f.MountAttr())
			return
		}
		flags := unix.MS_REMOUNT | unix.MS_BIND | f.MSFlags()&^(unix.MS_BIND|unix.MS_REC)
		err = unix.Mount("", fdPath(fd), "", flags, "")
		if err != unix.EPERM {
			return
		}
		// In a user namespace the kernel refuses to clear the flags it
		// locked on a mount from a more privileged one: keep those, unless
		// the config asks for one of them to be off.
		keep, ok, serr := inheritedFlags(fd, f.ClearedMSFlags())
		switch {
		case serr != nil:
			op, err = "statfs", serr
		case ok && keep != 0:
			err = unix.Mount("", fdPath(fd), "", flags|keep, "")
		}
	})
	if e != nil {
		err = e
	}
	if err != nil {
		return &os.PathError{Op: op, Path: shown, Err: err}
	}
	return nil
}
