package initstage

import (
	"encoding/json"
	"fmt"
	"os"
	"strconv"

	"golang.org/x/sys/unix"

	"github.com/libct/libct/internal/spec"
	"github.com/libct/libct/security"
)

// openTerminal gives the process a pseudo-terminal of the container's own
// devpts instance: the slave, a /dev/pts entry the container can name,
// becomes the standard streams and /dev/console; the master goes to the
// parent, which hands it to the caller.
func openTerminal(c *conn, p *spec.Process) error {
	master, err := unix.Open("/dev/ptmx", unix.O_RDWR|unix.O_NOCTTY|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("open /dev/ptmx: %w", err)
	}
	defer unix.Close(master)
	if err := unix.IoctlSetPointerInt(master, unix.TIOCSPTLCK, 0); err != nil {
		return fmt.Errorf("unlock pty: %w", err)
	}
	n, err := unix.IoctlGetInt(master, unix.TIOCGPTN)
	if err != nil {
		return fmt.Errorf("pty number: %w", err)
	}
	if p.ConsoleRows != 0 || p.ConsoleCols != 0 {
		ws := &unix.Winsize{Row: p.ConsoleRows, Col: p.ConsoleCols}
		if err := unix.IoctlSetWinsize(master, unix.TIOCSWINSZ, ws); err != nil {
			return fmt.Errorf("process.consoleSize: %w", err)
		}
	}
	if p.ConsoleRawOutput {
		if err := clearONLCR(master); err != nil {
			return fmt.Errorf("process.consoleRawOutput: %w", err)
		}
	}
	slavePath := "/dev/pts/" + strconv.Itoa(n)
	slave, err := unix.Open(slavePath, unix.O_RDWR|unix.O_NOCTTY|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("open %s: %w", slavePath, err)
	}
	defer unix.Close(slave)
	if p.ConsoleBind {
		if err := bindConsole(slavePath); err != nil {
			return err
		}
	}
	for fd := 0; fd < 3; fd++ {
		if err := unix.Dup3(slave, fd, 0); err != nil {
			return fmt.Errorf("dup2 %s: %w", slavePath, err)
		}
	}
	msg, _ := json.Marshal(&spec.Message{Kind: spec.MsgConsole})
	if err := security.SendFd(c.fd, master, msg); err != nil {
		return fmt.Errorf("send the terminal: %w", err)
	}
	return nil
}

// bindConsole makes /dev/console the terminal, when the container has a
// /dev to put it in.
func bindConsole(slavePath string) error {
	if fi, err := os.Stat("/dev"); err != nil || !fi.IsDir() {
		return nil
	}
	// A node already there is mounted over, never opened: it could be
	// the host's console.
	if _, err := os.Lstat("/dev/console"); os.IsNotExist(err) {
		f, err := os.OpenFile("/dev/console", os.O_CREATE|os.O_EXCL|os.O_RDONLY, 0o600)
		if err != nil {
			return fmt.Errorf("create /dev/console: %w", unwrapPath(err))
		}
		f.Close()
	}
	if err := unix.Mount(slavePath, "/dev/console", "", unix.MS_BIND, ""); err != nil {
		return fmt.Errorf("bind %s on /dev/console: %w", slavePath, err)
	}
	return nil
}

// clearONLCR keeps the terminal from turning each "\n" the program writes
// into "\r\n".
func clearONLCR(fd int) error {
	t, err := unix.IoctlGetTermios(fd, unix.TCGETS)
	if err != nil {
		return fmt.Errorf("TCGETS: %w", err)
	}
	t.Oflag &^= unix.ONLCR
	if err := unix.IoctlSetTermios(fd, unix.TCSETS, t); err != nil {
		return fmt.Errorf("TCSETS: %w", err)
	}
	return nil
}
