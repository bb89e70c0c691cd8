package libct

import (
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// The init reads its spec (the Go init's JSON, or the C init's program)
// as one datagram of the SOCK_SEQPACKET control socket. On AF_UNIX such
// a datagram is bounded by the sender's send buffer: unix_dgram_sendmsg
// (net/unix/af_unix.c) refuses one longer than SO_SNDBUF less 32 bytes
// with EMSGSIZE, and SO_SNDBUF starts at net.core.wmem_default (208 KiB
// by default). A spec that passed validation can be much longer: args
// and env alone may take 6 MiB (execArgMax). Raising SO_SNDBUF would not
// do: above net.core.wmem_max it needs SO_SNDBUFFORCE and CAP_NET_ADMIN,
// which a rootless caller lacks, and the kernel copies a datagram into
// one buffer of its size, an allocation of high order that a fragmented
// host may fail. So a spec that does not fit well under the send buffer
// goes in a sealed memfd, and the datagram carries its descriptor
// (SCM_RIGHTS) instead; both inits read it from there (initstage's
// recvSpec, cinit's receive).
const (
	// inlineSpecMax is the longest spec sent inline: the common spec is
	// a few KiB, and one of this size still fits the smallest send
	// buffer the kernel's default is likely to be.
	inlineSpecMax = 64 << 10
	// sndbufOverhead is what unix_dgram_sendmsg keeps out of the send
	// buffer for a datagram (sk_sndbuf - 32), with a margin.
	sndbufOverhead = 256
)

// sendSpec sends the init its spec: inline when it fits the socket's
// send buffer and comes alone, else in a sealed memfd, whose descriptor
// the mount sources (spec.Init.MountSources) follow.
func sendSpec(sock int, data []byte, sources []*os.File) error {
	if len(data) <= inlineSpecMax && len(sources) == 0 {
		sndbuf, err := unix.GetsockoptInt(sock, unix.SOL_SOCKET, unix.SO_SNDBUF)
		if err == nil && len(data)+sndbufOverhead <= sndbuf {
			_, err = unix.Write(sock, data)
			return err
		}
	}
	memfd, err := sealedMemfd("libct-spec", data)
	if err != nil {
		return err
	}
	defer unix.Close(memfd)
	// The payload says what the descriptor is, for whoever traces the
	// conversation; the inits look only at the descriptor.
	fds := []int{memfd}
	for _, f := range sources {
		fds = append(fds, int(f.Fd()))
	}
	return unix.Sendmsg(sock, []byte("spec-memfd"), unix.UnixRights(fds...), nil, 0)
}

// sealedMemfd is a memfd holding data, sealed against any change: the
// reader can trust its size and content.
func sealedMemfd(name string, data []byte) (int, error) {
	fd, err := unix.MemfdCreate(name, unix.MFD_CLOEXEC|unix.MFD_ALLOW_SEALING)
	if err != nil {
		return -1, fmt.Errorf("memfd_create: %w", err)
	}
	for written := 0; written < len(data); {
		n, err := unix.Pwrite(fd, data[written:], int64(written))
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			unix.Close(fd)
			return -1, fmt.Errorf("write %s memfd: %w", name, err)
		}
		written += n
	}
	seals := unix.F_SEAL_SEAL | unix.F_SEAL_SHRINK | unix.F_SEAL_GROW | unix.F_SEAL_WRITE
	if _, err := unix.FcntlInt(uintptr(fd), unix.F_ADD_SEALS, seals); err != nil {
		unix.Close(fd)
		return -1, fmt.Errorf("seal %s memfd: %w", name, err)
	}
	return fd, nil
}
