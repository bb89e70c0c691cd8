package rootfs

import (
	"errors"
	"io/fs"
	"os"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// maxLinks bounds the symlinks followed in the last component, as the
// kernel bounds a path walk.
const maxLinks = 40

// openPath opens rel inside r as an O_PATH descriptor, following symlinks
// only inside r: os.Root resolves every component itself and refuses an
// absolute link or one that climbs out. Mounting onto the descriptor (see
// fdPath) then cannot be redirected by a link swapped in after the check.
func openPath(r *os.Root, rel string, dir bool) (*os.File, error) {
	flag := unix.O_PATH
	if dir {
		flag |= unix.O_DIRECTORY
	}
	for range maxLinks {
		f, err := r.OpenFile(rel, flag, 0)
		if err != nil {
			return nil, err
		}
		// os.Root opens with O_NOFOLLOW, and O_PATH|O_NOFOLLOW hands back
		// a final symlink itself instead of failing (O_DIRECTORY makes it
		// fail, so directories never get here). Follow it by hand, again
		// through r.
		fi, err := f.Stat()
		if err != nil {
			f.Close()
			return nil, err
		}
		if fi.Mode()&fs.ModeSymlink == 0 {
			return f, nil
		}
		target, err := readlinkFD(f)
		f.Close()
		if err != nil {
			return nil, err
		}
		// Keep the target unclean: os.Root resolves its ".." after the
		// symlinks before it, which a lexical clean would get wrong. An
		// absolute target goes as it is, for os.Root to refuse.
		if i := strings.LastIndexByte(rel, '/'); i >= 0 && !strings.HasPrefix(target, "/") {
			target = rel[:i+1] + target
		}
		rel = target
	}
	return nil, &os.PathError{Op: "open", Path: rel, Err: unix.ELOOP}
}

func readlinkFD(f *os.File) (string, error) {
	buf := make([]byte, unix.PathMax)
	var n int
	var err error
	ctlErr := withFD(f, func(fd int) { n, err = unix.Readlinkat(fd, "", buf) })
	if err == nil {
		err = ctlErr
	}
	if err != nil {
		return "", &os.PathError{Op: "readlink", Path: f.Name(), Err: err}
	}
	return string(buf[:n]), nil
}

// withFD runs fn with f's descriptor, keeping f open meanwhile.
func withFD(f *os.File, fn func(fd int)) error {
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	return rc.Control(func(fd uintptr) { fn(int(fd)) })
}

// fdPath names an open descriptor for syscalls that take a path, such as
// mount(2). It goes through the /proc the caller had before pivoting.
func fdPath(fd int) string {
	return "/proc/self/fd/" + strconv.Itoa(fd)
}

// makeTarget creates the mount point rel inside r if it is missing, a
// directory or (dir false) an empty file, and opens it with openPath.
func makeTarget(r *os.Root, rel string, dir bool) (*os.File, error) {
	if dir {
		if err := r.MkdirAll(rel, 0o755); err != nil {
			return nil, err
		}
		return openPath(r, rel, true)
	}
	if i := strings.LastIndexByte(rel, '/'); i > 0 {
		if err := r.MkdirAll(rel[:i], 0o755); err != nil {
			return nil, err
		}
	}
	// O_EXCL: never open (and so never block on) a fifo or a device the
	// root already has there; openPath below deals with what exists.
	f, err := r.OpenFile(rel, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
	switch {
	case err == nil:
		f.Close()
	case !errors.Is(err, fs.ErrExist):
		return nil, err
	}
	return openPath(r, rel, false)
}
