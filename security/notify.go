package security

import (
	"errors"
	"fmt"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// SendFd sends fd over the unix socket sock with SCM_RIGHTS, along with
// msg (one zero byte when msg is empty: a stream socket carries no
// descriptor without data). The init stage uses it to hand the seccomp
// listener to its parent before exec.
func SendFd(sock, fd int, msg []byte) error {
	if len(msg) == 0 {
		msg = []byte{0}
	}
	for {
		err := unix.Sendmsg(sock, msg, unix.UnixRights(fd), nil, 0)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return fmt.Errorf("send fd %d: %w", fd, err)
		}
		return nil
	}
}

// ReceivedFds are the descriptors (SCM_RIGHTS) in oob, the control data
// of a received message; none when it cannot be parsed.
func ReceivedFds(oob []byte) []int {
	if len(oob) == 0 {
		return nil
	}
	msgs, err := unix.ParseSocketControlMessage(oob)
	if err != nil {
		return nil
	}
	var fds []int
	for i := range msgs {
		if got, err := unix.ParseUnixRights(&msgs[i]); err == nil {
			fds = append(fds, got...)
		}
	}
	return fds
}

// RecvFd receives one descriptor sent by SendFd on sock, close-on-exec,
// with up to maxMsg bytes of the message that came with it. A message
// without a descriptor is an error; extra descriptors are closed.
func RecvFd(sock, maxMsg int) (fd int, msg []byte, err error) {
	if maxMsg < 1 {
		maxMsg = 1
	}
	buf := make([]byte, maxMsg)
	oob := make([]byte, unix.CmsgSpace(4*4))
	var n, oobn, flags int
	for {
		n, oobn, flags, _, err = unix.Recvmsg(sock, buf, oob, unix.MSG_CMSG_CLOEXEC)
		if err != unix.EINTR {
			break
		}
	}
	if err != nil {
		return -1, nil, fmt.Errorf("receive fd: %w", err)
	}
	cmsgs, err := unix.ParseSocketControlMessage(oob[:oobn])
	if err != nil {
		return -1, nil, fmt.Errorf("receive fd: %w", err)
	}
	var fds []int
	for _, c := range cmsgs {
		if r, err := unix.ParseUnixRights(&c); err == nil {
			fds = append(fds, r...)
		}
	}
	if len(fds) == 0 {
		if n == 0 {
			return -1, nil, fmt.Errorf("receive fd: %w", unix.ECONNRESET)
		}
		return -1, nil, errors.New("receive fd: the message carried no descriptor")
	}
	for _, extra := range fds[1:] {
		unix.Close(extra)
	}
	if flags&unix.MSG_CTRUNC != 0 {
		unix.Close(fds[0])
		return -1, nil, errors.New("receive fd: control data truncated")
	}
	return fds[0], buf[:n], nil
}

// Notification is one syscall a filter passed to its supervisor
// (struct seccomp_notif).
type Notification struct {
	ID    uint64
	Pid   uint32
	Flags uint32
	// Nr, Arch, InstructionPointer and Args are the struct seccomp_data
	// the filter saw.
	Nr                 int32
	Arch               uint32
	InstructionPointer uint64
	Args               [6]uint64
}

// notifResp is struct seccomp_notif_resp.
type notifResp struct {
	id    uint64
	val   int64
	error int32
	flags uint32
}

// NotifyReceive waits for the next notification on listener
// (SECCOMP_IOCTL_NOTIF_RECV). ENOENT means the task went away before
// the notification could be read.
func NotifyReceive(listener int) (*Notification, error) {
	var n Notification
	for {
		n = Notification{}
		_, _, errno := unix.Syscall(unix.SYS_IOCTL, uintptr(listener), unix.SECCOMP_IOCTL_NOTIF_RECV, uintptr(unsafe.Pointer(&n)))
		if errno == unix.EINTR {
			continue
		}
		if errno != 0 {
			return nil, fmt.Errorf("seccomp notification: receive: %w", errno)
		}
		return &n, nil
	}
}

// NotifyRespond answers the notification id: the syscall returns val when
// errno is 0, else fails with errno (SECCOMP_IOCTL_NOTIF_SEND).
func NotifyRespond(listener int, id uint64, val int64, errno syscall.Errno) error {
	return notifySend(listener, &notifResp{id: id, val: val, error: -int32(errno)})
}

// NotifyContinue lets the syscall of notification id run as if the
// filter had allowed it (SECCOMP_USER_NOTIF_FLAG_CONTINUE). It is no
// security check: the target may have changed what its pointer
// arguments point to since the notification.
func NotifyContinue(listener int, id uint64) error {
	return notifySend(listener, &notifResp{id: id, flags: unix.SECCOMP_USER_NOTIF_FLAG_CONTINUE})
}

func notifySend(listener int, r *notifResp) error {
	for {
		_, _, errno := unix.Syscall(unix.SYS_IOCTL, uintptr(listener), unix.SECCOMP_IOCTL_NOTIF_SEND, uintptr(unsafe.Pointer(r)))
		if errno == unix.EINTR {
			continue
		}
		if errno != 0 {
			return fmt.Errorf("seccomp notification %d: respond: %w", r.id, errno)
		}
		return nil
	}
}

// NotifyIDValid reports whether notification id is still pending, that is
// its task still waits in that syscall (SECCOMP_IOCTL_NOTIF_ID_VALID). A
// supervisor that read the target's memory checks it before trusting
// what it read.
func NotifyIDValid(listener int, id uint64) bool {
	_, _, errno := unix.Syscall(unix.SYS_IOCTL, uintptr(listener), unix.SECCOMP_IOCTL_NOTIF_ID_VALID, uintptr(unsafe.Pointer(&id)))
	return errno == 0
}
