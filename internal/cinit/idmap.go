package cinit

import "github.com/libct/libct/rootfs"

// recvIDMapped takes the idmapped mounts the parent sends right after the
// program (libct's sendIDMapped), as the Go init's recvIDMapped does,
// before anything else could read the socket.
func (c *compiler) recvIDMapped() {
	n := 0
	for i := range c.s.Rootfs.Mounts {
		if c.s.Rootfs.Mounts[i].IDMapped() {
			n++
		}
	}
	if n > 0 {
		c.p.op(opRecvMountFDs, num(n))
	}
}

// moveIDMapped is rootfs's moveIDMapped for the next idmapped mount.
func (c *compiler) moveIDMapped(field string, m *rootfs.Mount, shown string) {
	c.p.op(opMoveMountFD, str(field+": move idmapped mount of "+m.Source+" to "+shown), num(c.idmapped))
	c.idmapped++
}
