package main

// systemd's readiness protocol through ct, as runc and crun relay it: a
// service manager that starts ct with NOTIFY_SOCKET (a Type=notify unit,
// podman run --sdnotify=container) learns that the service is ready when
// the program in the container says so, not when ct has merely started
// it.

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"time"

	"github.com/libct/libct"
)

// notifySocketInContainer is where the program finds its notify socket,
// the path runc and crun use.
const notifySocketInContainer = "/run/notify/notify.sock"

// notifyPollInterval is how often a wait for READY=1 looks whether the
// container stopped instead.
const notifyPollInterval = 100 * time.Millisecond

// wantsNotify tells whether a container made with cfg gets a notify
// socket: ct was given one, and the container has a mount namespace and
// a root to mount it in. Without them the program would reach the
// host's socket by its own path, if at all, as with no relay.
func wantsNotify(cfg *libct.Config) bool {
	return os.Getenv("NOTIFY_SOCKET") != "" && cfg.Namespaces.Has(libct.NewMount) && cfg.Root != ""
}

// notifyRelay passes a container's sd_notify(3) messages on to the socket
// ct was given.
type notifyRelay struct {
	from *net.UnixConn
	to   *net.UnixAddr
}

// listenNotify binds c's notify socket. It returns nil, nil when ct has
// no NOTIFY_SOCKET or c no notify socket: there is nothing to relay.
func listenNotify(c *libct.Container) (*notifyRelay, error) {
	host := os.Getenv("NOTIFY_SOCKET")
	if host == "" {
		return nil, nil
	}
	cfg, err := c.Config()
	if err != nil || cfg.NotifySocket == "" {
		return nil, err
	}
	from, err := c.ListenNotify()
	if err != nil {
		return nil, err
	}
	return &notifyRelay{from: from, to: &net.UnixAddr{Name: host, Net: "unixgram"}}, nil
}

func (r *notifyRelay) close() {
	if r != nil {
		r.from.Close()
	}
}

// untilReady relays messages until one says READY=1, and adds the init's
// pid to that one as MAINPID: the container's init is the service's main
// process once ct returns. It fails when the container stops first.
func (r *notifyRelay) untilReady(c *libct.Container) error {
	mainPID, err := c.Pid()
	if err != nil {
		return err
	}
	buf := make([]byte, 4096)
	for {
		r.from.SetReadDeadline(time.Now().Add(notifyPollInterval))
		n, err := r.from.Read(buf)
		if errors.Is(err, os.ErrDeadlineExceeded) {
			if st, err := c.State(); err != nil || st == libct.Stopped {
				return fmt.Errorf("NOTIFY_SOCKET: the container stopped before its program sent READY=1")
			}
			continue
		}
		if err != nil {
			return fmt.Errorf("NOTIFY_SOCKET: %w", err)
		}
		msg, ready := relayed(buf[:n], mainPID)
		if err := r.send(msg); err != nil {
			return err
		}
		if ready {
			return nil
		}
	}
}

// relayAll relays every message until the relay is closed, for a
// foreground ct run, which stays the service's main process.
func (r *notifyRelay) relayAll(log *logger) {
	buf := make([]byte, 4096)
	for {
		n, err := r.from.Read(buf)
		if err != nil {
			return
		}
		msg, _ := relayed(buf[:n], 0)
		if err := r.send(msg); err != nil {
			log.warnf("%v", err)
		}
	}
}

func (r *notifyRelay) send(msg []byte) error {
	if len(msg) == 0 {
		return nil
	}
	conn, err := net.DialUnix("unixgram", nil, r.to)
	if err != nil {
		return fmt.Errorf("NOTIFY_SOCKET %s: %w", r.to.Name, err)
	}
	defer conn.Close()
	if _, err := conn.Write(msg); err != nil {
		return fmt.Errorf("NOTIFY_SOCKET %s: %w", r.to.Name, err)
	}
	return nil
}

// relayed is the message the service manager gets for msg from the
// container, and whether msg says READY=1. A MAINPID of the program's
// names a pid of its own pid namespace, meaningless outside: it is
// dropped, and mainPID, when not 0, is added to the READY=1 message.
func relayed(msg []byte, mainPID int) (out []byte, ready bool) {
	var lines [][]byte
	for line := range bytes.SplitSeq(msg, []byte("\n")) {
		switch {
		case len(line) == 0, bytes.HasPrefix(line, []byte("MAINPID=")):
			continue
		case bytes.Equal(line, []byte("READY=1")):
			ready = true
		}
		lines = append(lines, line)
	}
	if ready && mainPID > 0 {
		lines = append(lines, []byte("MAINPID="+strconv.Itoa(mainPID)))
	}
	return bytes.Join(lines, []byte("\n")), ready
}
