package main

import (
	"fmt"
	"net"
	"path/filepath"

	"golang.org/x/sys/unix"

	"github.com/libct/libct/internal/quote"
)

// pidfdSocket is the unix socket of --pidfd-socket, over which ct sends a
// pidfd of the process it started (a container's init, an exec'd
// process), as runc does: one message carrying the descriptor with
// SCM_RIGHTS. A manager that holds the pidfd can signal and wait for the
// process without racing against the reuse of its pid.
type pidfdSocket struct {
	path string
	conn *net.UnixConn
}

// dialPidfdSocket connects to the socket before anything starts, so that
// a wrong path fails the command before it has made anything to undo.
// An empty path is no socket: nil, nil.
func dialPidfdSocket(path string) (*pidfdSocket, error) {
	if path == "" {
		return nil, nil
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("--pidfd-socket: %w", err)
	}
	conn, err := net.DialUnix("unix", nil, &net.UnixAddr{Name: abs, Net: "unix"})
	if err != nil {
		return nil, fmt.Errorf("--pidfd-socket %s: %w", quote.Value(path), err)
	}
	return &pidfdSocket{path: path, conn: conn}, nil
}

// send sends a pidfd of pid, which must be a child of ct or a process
// whose pid cannot be reused while ct runs (a container's init, held by
// its parent or the state lock).
func (s *pidfdSocket) send(pid int) error {
	if s == nil {
		return nil
	}
	pidfd, err := unix.PidfdOpen(pid, 0)
	if err != nil {
		return fmt.Errorf("--pidfd-socket %s: pidfd_open %d: %w", quote.Value(s.path), pid, err)
	}
	defer unix.Close(pidfd)
	if _, _, err := s.conn.WriteMsgUnix([]byte("pidfd"), unix.UnixRights(pidfd), nil); err != nil {
		return fmt.Errorf("--pidfd-socket %s: send: %w", quote.Value(s.path), err)
	}
	return nil
}

func (s *pidfdSocket) close() {
	if s != nil {
		s.conn.Close()
	}
}
