package initstage

import (
	"errors"
	"fmt"
	"os"

	"golang.org/x/sys/unix"

	"github.com/libct/libct/rootfs"
	"github.com/libct/libct/security"
)

// maxFDsPerMessage is libct's bound on the descriptors of one message.
const maxFDsPerMessage = 64

// recvIDMapped takes the idmapped mounts the parent sent right after the
// spec, one for each mount of r with an IDMap, in their order, and hands
// them to rootfs.Setup in r.IDMapped.
func (c *conn) recvIDMapped(r *rootfs.Spec) error {
	var idx []int
	for i := range r.Mounts {
		if r.Mounts[i].IDMapped() {
			idx = append(idx, i)
		}
	}
	if len(idx) == 0 {
		return nil
	}
	r.IDMapped = make(map[int]*os.File, len(idx))
	oob := make([]byte, unix.CmsgSpace(4*maxFDsPerMessage))
	var buf [64]byte
	for got := 0; got < len(idx); {
		_, oobn, _, _, err := unix.Recvmsg(c.fd, buf[:], oob, unix.MSG_CMSG_CLOEXEC)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return fmt.Errorf("receive idmapped mounts: %w", err)
		}
		fds := security.ReceivedFds(oob[:oobn])
		if len(fds) == 0 {
			return errors.New("receive idmapped mounts: a message without descriptors")
		}
		for _, fd := range fds {
			if got == len(idx) {
				unix.Close(fd)
				continue
			}
			r.IDMapped[idx[got]] = os.NewFile(uintptr(fd), "idmapped mount")
			got++
		}
	}
	return nil
}
