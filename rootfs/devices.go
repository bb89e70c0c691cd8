package rootfs

import (
	"fmt"
	"os"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/libct/libct/internal/quote"
)

// devices makes Spec.Devices. A node that already exists at the path is
// replaced: the spec says what the container gets.
func (st *state) devices() error {
	if len(st.spec.Devices) == 0 {
		return nil
	}
	defer unix.Umask(unix.Umask(0))
	for i := range st.spec.Devices {
		if err := st.device(i, &st.spec.Devices[i]); err != nil {
			return err
		}
	}
	return nil
}

func (st *state) device(i int, d *Device) error {
	rel, err := InRootNotRoot(d.Path)
	if err != nil {
		return fmt.Errorf("devices[%d].path %s: %w", i, quote.Value(d.Path), err)
	}
	bind := st.spec.UserNS && d.Type != FifoDevice
	if bind {
		// Only the host's own node can stand in for mknod, which a user
		// namespace is not allowed (fifos are).
		var host unix.Stat_t
		if err := unix.Stat(d.Path, &host); err != nil {
			return fmt.Errorf("devices[%d].path %s: cannot bind the host's node in a user namespace: %w", i, quote.Value(d.Path), err)
		}
		if !d.matches(&host) {
			return fmt.Errorf("devices[%d].path %s: the host's node is not %c %d:%d", i, quote.Value(d.Path), d.Type, d.Major, d.Minor)
		}
	}
	parent, base := ".", rel
	if j := strings.LastIndexByte(rel, '/'); j >= 0 {
		parent, base = rel[:j], rel[j+1:]
		if err := st.root.MkdirAll(parent, 0o755); err != nil {
			return fmt.Errorf("devices[%d].path %s: %w", i, quote.Value(d.Path), err)
		}
	}
	dir, err := openPath(st.root, parent, true)
	if err != nil {
		return fmt.Errorf("devices[%d].path %s: %w", i, quote.Value(d.Path), err)
	}
	defer dir.Close()
	if e := withFD(dir, func(fd int) { err = makeDevice(fd, base, "/"+rel, d, bind) }); e != nil {
		err = e
	}
	if err != nil {
		return fmt.Errorf("devices[%d]: %w", i, err)
	}
	return nil
}

// makeDevice makes the node d as name in dirfd. What is there already is
// kept when it is the same node, which also spares a node that is a mount
// point (MinimalDev's in a user namespace) and so cannot be unlinked, and
// replaced otherwise, unless it is a directory: that is more likely a
// mistake in the spec than something to throw away.
func makeDevice(dirfd int, name, shown string, d *Device, bind bool) error {
	var st unix.Stat_t
	err := unix.Fstatat(dirfd, name, &st, unix.AT_SYMLINK_NOFOLLOW)
	switch {
	case err == unix.ENOENT:
	case err != nil:
		return &os.PathError{Op: "stat", Path: shown, Err: err}
	case st.Mode&unix.S_IFMT == unix.S_IFDIR:
		return &os.PathError{Op: "mknod", Path: shown, Err: unix.EISDIR}
	case d.matches(&st):
		if bind {
			return nil
		}
		if err := unix.Fchmodat(dirfd, name, uint32(d.Mode.Perm()), 0); err != nil {
			return &os.PathError{Op: "chmod", Path: shown, Err: err}
		}
		return chown(dirfd, name, shown, d)
	default:
		if err := unix.Unlinkat(dirfd, name, 0); err != nil {
			return &os.PathError{Op: "unlink", Path: shown, Err: err}
		}
	}
	if bind {
		return bindNode(dirfd, name, shown, d.Path)
	}
	mode := deviceTypes[d.Type] | uint32(d.Mode.Perm())
	if err := unix.Mknodat(dirfd, name, mode, int(unix.Mkdev(d.Major, d.Minor))); err != nil {
		return &os.PathError{Op: "mknod", Path: shown, Err: err}
	}
	return chown(dirfd, name, shown, d)
}

func chown(dirfd int, name, shown string, d *Device) error {
	if err := unix.Fchownat(dirfd, name, int(d.UID), int(d.GID), unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return &os.PathError{Op: "chown", Path: shown, Err: err}
	}
	return nil
}

// matches tells whether st is the node d describes.
func (d *Device) matches(st *unix.Stat_t) bool {
	if st.Mode&unix.S_IFMT != deviceTypes[d.Type] {
		return false
	}
	return d.Type == FifoDevice || unix.Major(uint64(st.Rdev)) == d.Major && unix.Minor(uint64(st.Rdev)) == d.Minor
}

var deviceTypes = map[DeviceType]uint32{
	CharDevice:  unix.S_IFCHR,
	BlockDevice: unix.S_IFBLK,
	FifoDevice:  unix.S_IFIFO,
}
