package libct

import (
	"fmt"
	"net"
	"os"
	"syscall"

	"github.com/containerd/console"
	"golang.org/x/sys/unix"

	"github.com/libct/libct/internal/quote"
)

// ConsoleSize is a terminal's window size.
type ConsoleSize struct {
	Rows, Cols uint16
}

// terminal is the pseudo-terminal of a process being started: made here
// from the host's devpts (slave set), or by the init from the container's
// own (master set when the init sends it).
type terminal struct {
	master console.Console
	slave  *os.File
}

// insideTerminal tells whether a process of a container with this config
// gets its terminal from the container's own devpts instance: one with a
// root of its own in its own mount namespace has one.
func (c *Config) insideTerminal() bool {
	return c.Namespaces.Has(NewMount) && c.Root != ""
}

// takeMaster adopts the master the init sent.
func (t *terminal) takeMaster(fd int) error {
	c, err := console.ConsoleFromFile(os.NewFile(uintptr(fd), "pty-master"))
	if err != nil {
		unix.Close(fd)
		return fmt.Errorf("terminal from the container: %w", err)
	}
	t.master = c
	return nil
}

// openTerminal makes the pty pair for p: the slave becomes the process's
// standard streams and controlling terminal, the master stays here.
func openTerminal(p *Process) (*terminal, error) {
	master, slavePath, err := console.NewPty()
	if err != nil {
		return nil, fmt.Errorf("process.terminal: %w", err)
	}
	if p.ConsoleSize != nil {
		if err := master.Resize(console.WinSize{Height: p.ConsoleSize.Rows, Width: p.ConsoleSize.Cols}); err != nil {
			master.Close()
			return nil, fmt.Errorf("process.consoleSize: %w", err)
		}
	}
	if p.ConsoleRawOutput {
		if err := console.ClearONLCR(master.Fd()); err != nil {
			master.Close()
			return nil, fmt.Errorf("process.consoleRawOutput: %w", err)
		}
	}
	slave, err := os.OpenFile(slavePath, os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		master.Close()
		return nil, fmt.Errorf("process.terminal: open %s: %w", slavePath, err)
	}
	return &terminal{master: master, slave: slave}, nil
}

// attach makes the slave the standard streams of the process about to
// start, in a new session. The init stage makes it the controlling
// terminal itself: the process started here may be only the enter stage,
// whose exit would hang up a terminal it controlled.
func (t *terminal) attach(files []*os.File, attr *syscall.SysProcAttr) {
	files[0], files[1], files[2] = t.slave, t.slave, t.slave
	attr.Setsid = true
}

// handOver gives the master to the caller: over the console socket when
// the process names one (OCI's --console-socket), else returned.
func (t *terminal) handOver(p *Process) (console.Console, error) {
	if t.slave != nil {
		t.slave.Close()
	}
	if t.master == nil {
		return nil, fmt.Errorf("process.terminal: the container sent no terminal")
	}
	if p.ConsoleSocket == "" {
		return t.master, nil
	}
	defer t.master.Close()
	return nil, sendConsole(p.ConsoleSocket, t.master)
}

func (t *terminal) close() {
	if t.slave != nil {
		t.slave.Close()
	}
	if t.master != nil {
		t.master.Close()
	}
}

// sendConsole sends the master's descriptor over the unix socket at path,
// in one message with SCM_RIGHTS, as OCI runtimes do.
func sendConsole(path string, master console.Console) error {
	conn, err := net.DialUnix("unix", nil, &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		return fmt.Errorf("process.consoleSocket %s: %w", quote.Value(path), err)
	}
	defer conn.Close()
	rights := unix.UnixRights(int(master.Fd()))
	if _, _, err := conn.WriteMsgUnix([]byte(master.Name()), rights, nil); err != nil {
		return fmt.Errorf("process.consoleSocket %s: send: %w", quote.Value(path), err)
	}
	return nil
}
