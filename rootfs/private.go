package rootfs

// BindPrivate binds the private area onto root on the host, for a container
// without a mount namespace (with one, Setup does it inside). The bind is
// recursive, as Setup's. Undo it with UnmountUnder when the container is
// destroyed.
func BindPrivate(private, root string) error {
	return bind(private, root)
}
