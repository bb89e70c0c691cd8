package initstage

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"time"

	"golang.org/x/sys/unix"

	"github.com/libct/libct/internal/hooks"
	"github.com/libct/libct/internal/quote"
	"github.com/libct/libct/internal/spec"
	"github.com/libct/libct/security"
)

// conn is the init's end of the control socket, a SOCK_SEQPACKET socket
// whose messages are JSON documents. It is used with raw reads and writes:
// the init is short-lived and gains nothing from the runtime's poller.
type conn struct {
	fd int
	// started is the write end of the exec fifo once Start opened it, or
	// -1: from then on the parent that prepared the container is gone,
	// and the starter reads the outcome from the fifo.
	started int
	// hooks are what BeforeSwitch must see to.
	hooks *spec.Init
	// points are the ends of the init's phases, when the parent traces.
	points []spec.TracePoint
	// announced tells whether the exec was announced (announceExec).
	announced bool
	// sources are the descriptors of spec.Init.MountSources.
	sources []int
}

// connect finds the control socket and reads the spec: from the socket
// itself, or from the memfd handed over by the re-exec into a time
// namespace.
func connect(args []string) (*conn, []byte, error) {
	if len(args) < 2 {
		return nil, nil, errors.New("missing control socket argument")
	}
	fd, err := strconv.Atoi(args[1])
	if err != nil {
		return nil, nil, fmt.Errorf("control socket %q: %w", args[1], err)
	}
	// The socket reached us through dup2, which clears close-on-exec; set
	// it again so that a successful exec closes it and tells the parent.
	unix.CloseOnExec(fd)
	c := &conn{fd: fd, started: -1}
	if len(args) > 2 {
		memfd, err := strconv.Atoi(args[2])
		if err != nil {
			return nil, nil, fmt.Errorf("spec fd %q: %w", args[2], err)
		}
		data, err := readSpecFile(memfd)
		return c, data, err
	}
	data, sources, err := recvSpec(fd)
	c.sources = sources
	return c, data, err
}

// readSpecFile reads the spec from a memfd and closes it.
func readSpecFile(fd int) ([]byte, error) {
	f := os.NewFile(uintptr(fd), "libct-spec")
	defer f.Close()
	data, err := io.ReadAll(f)
	if err != nil {
		return nil, fmt.Errorf("read spec memfd: %w", err)
	}
	return data, nil
}

// recvSpec reads the spec the parent sent: one datagram of any length,
// or, when the spec did not fit the socket's send buffer, a datagram
// carrying the descriptor of a sealed memfd that holds it (libct's
// sendSpec).
func recvSpec(fd int) (data []byte, sources []int, err error) {
	data, fds, err := recvMessage(fd)
	if err != nil || len(fds) == 0 {
		return data, nil, err
	}
	data, err = readSpecFile(fds[0])
	return data, fds[1:], err
}

// recvMessage reads one whole datagram, however long, and the
// descriptors it carried.
func recvMessage(fd int) ([]byte, []int, error) {
	var probe [1]byte
	// Room for the spec's memfd and the mount sources.
	oob := make([]byte, unix.CmsgSpace(4*(1+spec.MaxMountSources)))
	for {
		// A peek installs no descriptor: without a control buffer the
		// kernel drops its copy of them.
		n, _, err := unix.Recvfrom(fd, probe[:], unix.MSG_PEEK|unix.MSG_TRUNC)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return nil, nil, fmt.Errorf("read control socket: %w", err)
		}
		if n == 0 {
			return nil, nil, io.EOF
		}
		buf := make([]byte, n)
		n, oobn, _, _, err := unix.Recvmsg(fd, buf, oob, unix.MSG_CMSG_CLOEXEC)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return nil, nil, fmt.Errorf("read control socket: %w", err)
		}
		return buf[:n], security.ReceivedFds(oob[:oobn]), nil
	}
}

func (c *conn) send(m *spec.Message) error {
	b, err := json.Marshal(m)
	if err != nil {
		return err
	}
	fd := c.fd
	if c.started >= 0 {
		fd = c.started
	}
	for {
		_, err = unix.Write(fd, b)
		if err != unix.EINTR {
			return err
		}
	}
}

// announceExec tells the parent, once, that only bare system calls are
// left before the exec: the seccomp filter and the exec itself, and the
// credentials when the filter cannot come last. A close of the socket
// or fifo without it is the init's death (the parent's initdeath.go). The
// C init announces at the same point (cinit's compiler.announceExec).
func (c *conn) announceExec() {
	if !c.announced {
		c.send(&spec.Message{Kind: spec.MsgExec})
		c.announced = true
	}
}

// maxErrorText bounds the text of an error sent to the parent.
const maxErrorText = 4096

// fail reports err to the parent and exits. The parent kills and reaps the
// init anyway; exiting here keeps a lost parent from leaving it behind.
func (c *conn) fail(err error) {
	step := "init"
	var se *stepError
	if errors.As(err, &se) {
		step = se.step
	}
	// The text is bounded as the C init bounds its own, so that the
	// message fits any send buffer and the parent's read.
	text := quote.Text(err.Error(), maxErrorText)
	if c.send(&spec.Message{Kind: spec.MsgError, Step: step, Text: text, Errno: errnoOf(err)}) != nil {
		fmt.Fprintf(os.Stderr, "libct init: %s: %v\n", step, err)
	}
	os.Exit(1)
}

// mark ends a phase of the init, when the parent traces.
func (c *conn) mark(name string) {
	if c.hooks != nil && c.hooks.Trace {
		c.points = append(c.points, spec.TracePoint{Name: name, At: time.Now().UnixNano()})
	}
}

// sendTrace reports the phases so far, right before the exec, or before
// the wait for Start.
func (c *conn) sendTrace() {
	if len(c.points) > 0 && c.started < 0 {
		c.send(&spec.Message{Kind: spec.MsgTrace, Points: c.points})
		c.points = nil
	}
}

// BeforeMount makes conn a rootfs.Actions: the parent runs the mount's
// pre-action on the host and answers.
func (c *conn) BeforeMount(i int) error { return c.action(spec.MsgPreMount, i) }

// AfterMount asks the parent to run the mount's post-action.
func (c *conn) AfterMount(i int) error { return c.action(spec.MsgPostMount, i) }

// BeforeSwitch has the parent run its pre-switch hooks, then runs the
// createContainer hooks here, in the container's namespaces.
func (c *conn) BeforeSwitch() error {
	s := c.hooks
	if s == nil {
		return nil
	}
	if s.PreSwitchHooks {
		if err := c.action(spec.MsgPreSwitch, 0); err != nil {
			return err
		}
	}
	// As runc: in the root that is about to become "/", so that relative
	// paths name its files, with the process's environment unless the
	// hook sets one.
	r := hooks.Runner{Kind: "createContainer", Env: s.Process.Env, Dir: s.Rootfs.Root}
	return r.Run(s.CreateContainer, s.HookState)
}

func (c *conn) action(kind string, i int) error {
	if err := c.send(&spec.Message{Kind: kind, Index: i}); err != nil {
		return err
	}
	data, fds, err := recvMessage(c.fd)
	for _, fd := range fds { // a reply carries none
		unix.Close(fd)
	}
	if err != nil {
		return fmt.Errorf("%s action: %w", kind, err)
	}
	var r spec.Reply
	if err := json.Unmarshal(data, &r); err != nil {
		return err
	}
	if r.Error != "" {
		return errors.New(r.Error)
	}
	return nil
}
