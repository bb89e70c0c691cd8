package rootfs

import (
	"os"

	"golang.org/x/sys/unix"
)

// BindPrivate binds the private area onto root on the host, for a container
// without a mount namespace (with one, Setup does it inside). The bind is
// recursive, as Setup's. Undo it with UnbindPrivate when the container is
// destroyed.
func BindPrivate(private, root string) error {
	return bind(private, root)
}

// UnbindPrivate detaches what is mounted on root. It is not an error when
// nothing is (EINVAL) or root is gone (ENOENT), so that a destroy can call
// it again. It detaches whatever is mounted there: call it only on a root
// that BindPrivate bound.
func UnbindPrivate(root string) error {
	switch err := unix.Unmount(root, unix.MNT_DETACH); err {
	case nil, unix.EINVAL, unix.ENOENT:
		return nil
	default:
		return &os.PathError{Op: "umount", Path: root, Err: err}
	}
}
