package rootfs

import (
	"fmt"
	"os"
	"strings"
)

// KeepsTargetMode tells whether m is a tmpfs whose root takes the mode of
// the directory it is mounted on, when that directory was there before:
// a tmpfs given no mode= option. A tmpfs on /tmp then keeps the sticky
// bit and the permissions the image gave /tmp, as with runc; one on a
// directory made for it gets tmpfs's own default.
func (m *Mount) KeepsTargetMode() bool {
	if m.Type != "tmpfs" || m.Flags&Bind != 0 {
		return false
	}
	for _, opt := range strings.Split(m.Data, ",") {
		if strings.HasPrefix(opt, "mode=") {
			return false
		}
	}
	return true
}

// WithMode is data, a mount's option string, with mode= added.
func WithMode(data string, mode os.FileMode) string {
	opt := fmt.Sprintf("mode=%o", unixMode(mode))
	if data == "" {
		return opt
	}
	return data + "," + opt
}

// unixMode is the permission and special bits of mode as chmod(2) takes
// them.
func unixMode(mode os.FileMode) uint32 {
	m := uint32(mode.Perm())
	if mode&os.ModeSetuid != 0 {
		m |= 0o4000
	}
	if mode&os.ModeSetgid != 0 {
		m |= 0o2000
	}
	if mode&os.ModeSticky != 0 {
		m |= 0o1000
	}
	return m
}
