package initstage

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"

	"golang.org/x/sys/unix"

	"github.com/libct/libct/internal/spec"
	"github.com/libct/libct/rootfs"
	"github.com/libct/libct/security"
)

// maxFDsPerMessage is libct's bound on the descriptors of one message.
const maxFDsPerMessage = 64

// recvIDMapped takes the idmapped mounts the parent sent right after the
// spec, one for each mount of r with an IDMap but a source in the root,
// in their order, and hands them to rootfs.Setup in r.IDMapped.
func (c *conn) recvIDMapped(r *rootfs.Spec) error {
	var idx []int
	for i := range r.Mounts {
		if r.Mounts[i].IDMapped() && !r.Mounts[i].IDMapsInRoot(r.Root) {
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

// IDMappedMount makes conn a rootfs.IDMapper: the parent makes the
// idmapped mount of Mounts[i], whose source is in the root, in this
// process's mount namespace as it is now, and replies with it.
func (c *conn) IDMappedMount(i int) (*os.File, error) {
	if err := c.send(&spec.Message{Kind: spec.MsgIDMapMount, Index: i}); err != nil {
		return nil, err
	}
	data, fds, err := recvMessage(c.fd)
	if err != nil {
		return nil, fmt.Errorf("idmap: %w", err)
	}
	var r spec.Reply
	if err := json.Unmarshal(data, &r); err != nil {
		closeAll(fds)
		return nil, fmt.Errorf("idmap: bad reply %q: %w", data, err)
	}
	if r.Error != "" || len(fds) != 1 {
		closeAll(fds)
		if r.Error == "" {
			r.Error = fmt.Sprintf("a reply with %d descriptors", len(fds))
		}
		return nil, fmt.Errorf("idmap: %s", r.Error)
	}
	return os.NewFile(uintptr(fds[0]), "idmapped mount"), nil
}

func closeAll(fds []int) {
	for _, fd := range fds {
		unix.Close(fd)
	}
}
