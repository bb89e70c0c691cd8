package rootfs

import (
	"os"

	"golang.org/x/sys/unix"
)

// devNodes are the nodes of the minimal /dev, all 0666 character devices.
var devNodes = [...]struct {
	name         string
	major, minor uint32
}{
	{"null", 1, 3},
	{"zero", 1, 5},
	{"full", 1, 7},
	{"random", 1, 8},
	{"urandom", 1, 9},
	{"tty", 5, 0},
}

var devLinks = [...]struct{ name, target string }{
	{"ptmx", "pts/ptmx"},
	{"fd", "/proc/self/fd"},
	{"stdin", "/proc/self/fd/0"},
	{"stdout", "/proc/self/fd/1"},
	{"stderr", "/proc/self/fd/2"},
}

// minimalDev populates the container's /dev, on a tmpfs of its own when
// ownTmpfs is set, or else in the mount Spec.Mounts put there. Whatever
// already exists in /dev is left alone.
func (st *state) minimalDev(ownTmpfs bool) error {
	if ownTmpfs {
		target, err := makeTarget(st.root, "dev", true)
		if err != nil {
			return err
		}
		// Nodes and links take no pages; 64k leaves room for what the
		// program creates.
		err = mountOn(target, "mount tmpfs on", "/dev", "tmpfs", "tmpfs",
			unix.MS_NOSUID|unix.MS_STRICTATIME, "mode=755,size=64k")
		target.Close()
		if err != nil {
			return err
		}
	}
	dev, err := openPath(st.root, "dev", true)
	if err != nil {
		return err
	}
	defer dev.Close()
	// Modes are exact only under a zero umask; the deferred call puts the
	// old one back.
	defer unix.Umask(unix.Umask(0))
	if e := withFD(dev, func(fd int) { err = st.fillDev(fd) }); e != nil {
		return e
	}
	return err
}

// fillDev works on single names in devfd and never follows a symlink there:
// O_NOFOLLOW, and mknodat, mkdirat and symlinkat do not follow one.
func (st *state) fillDev(devfd int) error {
	for _, n := range devNodes {
		var err error
		if st.spec.UserNS {
			err = bindNode(devfd, n.name, "/dev/"+n.name, "/dev/"+n.name)
		} else {
			err = ignoreExist(unix.Mknodat(devfd, n.name, unix.S_IFCHR|0o666, int(unix.Mkdev(n.major, n.minor))))
			if err != nil {
				err = &os.PathError{Op: "mknod", Path: "/dev/" + n.name, Err: err}
			}
		}
		if err != nil {
			return err
		}
	}
	if !st.spec.HasMountAt("dev/pts") {
		// Its own instance, so that the container sees only its ptys. A
		// user namespace may not have gid 5 (tty) mapped.
		data := "newinstance,ptmxmode=0666,mode=0620,gid=5"
		if st.spec.UserNS {
			data = "newinstance,ptmxmode=0666,mode=0620"
		}
		if err := mountSubdir(devfd, "pts", 0o755, "devpts", unix.MS_NOSUID|unix.MS_NOEXEC, data); err != nil {
			return err
		}
	}
	if !st.spec.HasMountAt("dev/shm") {
		if err := mountSubdir(devfd, "shm", 0o1777, "tmpfs", unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, "mode=1777"); err != nil {
			return err
		}
	}
	for _, l := range devLinks {
		if err := ignoreExist(unix.Symlinkat(l.target, devfd, l.name)); err != nil {
			return &os.PathError{Op: "symlink", Path: "/dev/" + l.name, Err: err}
		}
	}
	switch {
	case isTerminal(0):
		if err := bindConsole(devfd); err != nil {
			return err
		}
	case st.spec.Console:
		// The terminal made after Setup is bound here, and a read-only
		// /dev would refuse it the file by then.
		fd, err := unix.Openat(devfd, "console", unix.O_CREAT|unix.O_EXCL|unix.O_RDONLY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0o600)
		if err == nil {
			unix.Close(fd)
		} else if err != unix.EEXIST {
			return &os.PathError{Op: "create", Path: "/dev/console", Err: err}
		}
	}
	return nil
}

// bindConsole binds the terminal on standard input onto /dev/console. It
// goes by the terminal's path: the descriptor's own mount belongs to the
// namespace that opened it, and mount(2) binds only from the caller's.
func bindConsole(devfd int) error {
	tty, err := os.Readlink("/proc/self/fd/0")
	if err != nil {
		return err
	}
	var want, got unix.Stat_t
	if err := unix.Fstat(0, &want); err != nil {
		return &os.PathError{Op: "stat", Path: "/proc/self/fd/0", Err: err}
	}
	if err := unix.Stat(tty, &got); err != nil {
		return &os.PathError{Op: "stat console", Path: tty, Err: err}
	}
	if got.Rdev != want.Rdev || got.Mode&unix.S_IFMT != unix.S_IFCHR {
		// Another devpts instance is mounted there.
		return &os.PathError{Op: "stat console", Path: tty, Err: unix.ENXIO}
	}
	return bindNode(devfd, "console", "/dev/console", tty)
}

func isTerminal(fd int) bool {
	_, err := unix.IoctlGetTermios(fd, unix.TCGETS)
	return err == nil
}

// mountSubdir makes the directory /dev/name and mounts fstype on it.
func mountSubdir(devfd int, name string, mode uint32, fstype string, flags uintptr, data string) error {
	shown := "/dev/" + name
	if err := ignoreExist(unix.Mkdirat(devfd, name, mode)); err != nil {
		return &os.PathError{Op: "mkdir", Path: shown, Err: err}
	}
	fd, err := unix.Openat(devfd, name, unix.O_PATH|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return &os.PathError{Op: "open", Path: shown, Err: err}
	}
	defer unix.Close(fd)
	return mountFD(fd, "mount "+fstype+" on", shown, fstype, fstype, flags, data)
}

// bindNode bind-mounts the host's node source onto a new empty file name
// in dirfd, the way to get a device where mknod is not allowed. An existing
// name is left alone.
func bindNode(dirfd int, name, shown, source string) error {
	fd, err := unix.Openat(dirfd, name, unix.O_CREAT|unix.O_EXCL|unix.O_WRONLY|unix.O_CLOEXEC, 0o666)
	if err == unix.EEXIST {
		return nil
	}
	if err != nil {
		return &os.PathError{Op: "create", Path: shown, Err: err}
	}
	defer unix.Close(fd)
	return mountFD(fd, "bind "+source+" on", shown, source, "", unix.MS_BIND, "")
}

func ignoreExist(err error) error {
	if err == unix.EEXIST {
		return nil
	}
	return err
}
