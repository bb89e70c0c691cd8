package rootfs

import (
	"io"
	"os"

	"golang.org/x/sys/unix"
)

// copyUp copies what the directory below (opened before the new tmpfs hid
// it) holds into the tmpfs now mounted at rel: files, directories,
// symlinks and nodes, with their modes, owners and times.
func (st *state) copyUp(below *os.File, rel, shown string) error {
	top, err := st.root.OpenFile(rel, unix.O_RDONLY|unix.O_DIRECTORY, 0)
	if err != nil {
		return &os.PathError{Op: "copy up: open", Path: shown, Err: cause(err)}
	}
	defer top.Close()
	// Modes are exact only under a zero umask.
	defer unix.Umask(unix.Umask(0))
	return copyDir(below, top, shown)
}

// copyDir copies the entries of src into dst, both directories; shown
// names dst in errors.
func copyDir(src, dst *os.File, shown string) error {
	names, err := src.Readdirnames(-1)
	if err != nil {
		return &os.PathError{Op: "copy up: read", Path: shown, Err: cause(err)}
	}
	for _, name := range names {
		if err := copyEntry(src, dst, name, shown+"/"+name); err != nil {
			return err
		}
	}
	return nil
}

// copyEntry copies the entry name of the directory src into dst, without
// following a symlink.
func copyEntry(src, dst *os.File, name, shown string) error {
	var st unix.Stat_t
	if err := unix.Fstatat(int(src.Fd()), name, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return &os.PathError{Op: "copy up: stat", Path: shown, Err: err}
	}
	dfd, perm := int(dst.Fd()), st.Mode&0o7777
	var err error
	switch st.Mode & unix.S_IFMT {
	case unix.S_IFDIR:
		if err = unix.Mkdirat(dfd, name, perm); err == nil {
			err = copySubdir(src, dst, name, shown)
		}
	case unix.S_IFREG:
		err = copyFile(src, dst, name, perm)
	case unix.S_IFLNK:
		buf := make([]byte, unix.PathMax)
		var n int
		if n, err = unix.Readlinkat(int(src.Fd()), name, buf); err == nil {
			err = unix.Symlinkat(string(buf[:n]), dfd, name)
		}
	default:
		err = unix.Mknodat(dfd, name, st.Mode, int(st.Rdev))
	}
	if err != nil {
		return &os.PathError{Op: "copy up", Path: shown, Err: cause(err)}
	}
	// The owner first: chown clears the set-id bits that chmod then sets.
	if err := unix.Fchownat(dfd, name, int(st.Uid), int(st.Gid), unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return &os.PathError{Op: "copy up: chown", Path: shown, Err: err}
	}
	if st.Mode&unix.S_IFMT != unix.S_IFLNK {
		if err := unix.Fchmodat(dfd, name, perm, 0); err != nil {
			return &os.PathError{Op: "copy up: chmod", Path: shown, Err: err}
		}
	}
	times := []unix.Timespec{st.Atim, st.Mtim}
	if err := unix.UtimesNanoAt(dfd, name, times, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return &os.PathError{Op: "copy up: utimes", Path: shown, Err: err}
	}
	return nil
}

func copySubdir(src, dst *os.File, name, shown string) error {
	s, err := openDirAt(src, name)
	if err != nil {
		return err
	}
	defer s.Close()
	d, err := openDirAt(dst, name)
	if err != nil {
		return err
	}
	defer d.Close()
	return copyDir(s, d, shown)
}

func openDirAt(dir *os.File, name string) (*os.File, error) {
	fd, err := unix.Openat(int(dir.Fd()), name, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	return os.NewFile(uintptr(fd), name), nil
}

func copyFile(src, dst *os.File, name string, perm uint32) error {
	sfd, err := unix.Openat(int(src.Fd()), name, unix.O_RDONLY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return err
	}
	s := os.NewFile(uintptr(sfd), name)
	defer s.Close()
	dfd, err := unix.Openat(int(dst.Fd()), name, unix.O_WRONLY|unix.O_CREAT|unix.O_EXCL|unix.O_NOFOLLOW|unix.O_CLOEXEC, perm)
	if err != nil {
		return err
	}
	d := os.NewFile(uintptr(dfd), name)
	_, err = io.Copy(d, s)
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}
