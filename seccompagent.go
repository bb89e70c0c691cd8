package libct

import (
	"encoding/json"
	"fmt"
	"os"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/libct/libct/internal/quote"
)

// The runtime-spec's way to hand over a seccomp listener: the runtime
// connects to the profile's listenerPath, a unix socket (abstract when it
// starts with "@"), and sends one message, the container's process state
// as JSON with the listener as its only descriptor (SCM_RIGHTS). The
// state names the descriptor ("seccompFd") and carries the profile's
// listenerMetadata. The agent then answers the notifications; once every
// copy of the listener is closed, a notified syscall fails with ENOSYS.

// seccompProfile is the profile the launched process gets: its own, or
// else the container's.
func (l *launch) seccompProfile() *Seccomp {
	if l.proc.Security != nil {
		return l.proc.Security.Seccomp
	}
	return l.cfg.Security.Seccomp
}

// forwardListener sends the listener the init handed over to the agent
// at the profile's listenerPath, and closes it: the agent is its one
// holder from then on. Without a listenerPath the listener is kept for
// SeccompListener.
func (l *launch) forwardListener(listener *os.File) error {
	p := l.seccompProfile()
	if p == nil || p.ListenerPath == "" {
		l.listener = listener
		return nil
	}
	defer listener.Close()
	status := specs.StateCreating
	if l.entering {
		status = specs.StateRunning
	}
	state := &specs.ContainerProcessState{
		Version:  specs.Version,
		Fds:      []string{specs.SeccompFdName},
		Pid:      l.pid,
		Metadata: p.ListenerMetadata,
		State: specs.State{
			Version:     specs.Version,
			ID:          l.c.name,
			Status:      status,
			Pid:         l.pid,
			Bundle:      l.cfg.Bundle,
			Annotations: l.cfg.Annotations,
		},
	}
	if err := sendToAgent(p.ListenerPath, state, int(listener.Fd())); err != nil {
		return startError(l.c.name, "seccomp", fmt.Errorf("security.seccomp.listenerPath %s: %w", quote.Value(p.ListenerPath), err))
	}
	return nil
}

// sendToAgent connects to the agent at path and sends it state and fd.
func sendToAgent(path string, state *specs.ContainerProcessState, fd int) error {
	data, err := json.Marshal(state)
	if err != nil {
		return err
	}
	sock, err := unix.Socket(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("socket: %w", err)
	}
	defer unix.Close(sock)
	if err := unix.Connect(sock, &unix.SockaddrUnix{Name: path}); err != nil {
		return fmt.Errorf("failed to connect with seccomp agent: %w", err)
	}
	for {
		err = unix.Sendmsg(sock, data, unix.UnixRights(fd), nil, 0)
		if err != unix.EINTR {
			break
		}
	}
	if err != nil {
		return fmt.Errorf("send the listener to the seccomp agent: %w", err)
	}
	return nil
}
