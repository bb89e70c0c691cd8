package libct

// The readiness protocol of systemd (sd_notify(3)) across the container's
// boundary. The program sends datagrams to the path in NOTIFY_SOCKET; a
// service manager outside cannot be reached from the container's mount
// namespace, so libct gives the program a socket of the frontend's
// instead, and the frontend relays what it wants to relay (ct: READY=1
// and the container's main pid, to the NOTIFY_SOCKET ct itself got).

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// notifyDirName is the directory of the container's state bind-mounted
// over the parent of Config.NotifySocket.
const notifyDirName = "notify"

// notifyDir makes the directory of the notify socket in the container's
// state, whichever of the start and the frontend's ListenNotify needs it
// first, and returns its path.
func (c *Container) notifyDir() (string, error) {
	dir := c.dir.File(notifyDirName)
	// Searchable by every user: the program may not run as root.
	if err := os.Mkdir(dir, 0o755); err != nil && !os.IsExist(err) {
		return "", fmt.Errorf("container %q: notify socket directory: %w", c.name, err)
	}
	return dir, nil
}

func (c *Config) validateNotifySocket() error {
	p := c.NotifySocket
	switch {
	case p == "":
		return nil
	case !filepath.IsAbs(p) || filepath.Clean(p) != p:
		return invalid("notifySocket", "%q: must be an absolute, clean path in the container", p)
	case filepath.Dir(p) == "/":
		return invalid("notifySocket", "%q: its directory is mounted over, and cannot be the root", p)
	case !c.Namespaces.Has(NewMount) || c.Root == "":
		return invalid("notifySocket", "needs a mount namespace (NewMount) and a Root to mount its directory in")
	}
	return nil
}

// notifyMount makes the directory of the notify socket in the
// container's state and returns its bind mount and the environment that
// names it, which replaces any NOTIFY_SOCKET of the process's own.
func (l *launch) notifyMount(env []string) (Mount, []string, error) {
	dir, err := l.c.notifyDir()
	if err != nil {
		return Mount{}, nil, err
	}
	m := Mount{Source: dir, Destination: filepath.Dir(l.cfg.NotifySocket),
		Flags: MountBind | MountReadOnly | MountNoSuid | MountNoDev | MountNoExec}
	env = slices.DeleteFunc(slices.Clone(env), func(kv string) bool { return strings.HasPrefix(kv, "NOTIFY_SOCKET=") })
	return m, append(env, "NOTIFY_SOCKET="+l.cfg.NotifySocket), nil
}

// ListenNotify binds the socket the program of a container with a
// Config.NotifySocket sends its sd_notify(3) messages to, and returns it.
// Call it before Start or Spawn: a message sent while no socket is bound
// fails in the program (ECONNREFUSED), as it would with no service
// manager. A new call replaces the socket, so a later frontend process
// (ct start after ct create) takes over from an earlier one.
func (c *Container) ListenNotify() (*net.UnixConn, error) {
	cfg, err := c.Config()
	if err != nil {
		return nil, err
	}
	if cfg.NotifySocket == "" {
		return nil, fmt.Errorf("container %q: %w: its config has no notifySocket", c.name, ErrWrongState)
	}
	path, err := c.notifyDir()
	if err != nil {
		return nil, err
	}
	dir, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("container %q: notify socket directory: %w", c.name, err)
	}
	defer dir.Close()
	// Through the directory's descriptor: a socket address holds at most
	// 107 bytes, and a state root with a long container ID is longer.
	name := filepath.Base(cfg.NotifySocket)
	path = "/proc/self/fd/" + strconv.Itoa(int(dir.Fd())) + "/" + name
	if err := unix.Unlinkat(int(dir.Fd()), name, 0); err != nil && err != unix.ENOENT {
		return nil, fmt.Errorf("container %q: replace notify socket: %w", c.name, err)
	}
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		return nil, fmt.Errorf("container %q: notify socket: %w", c.name, err)
	}
	// Writable by every user of the container, whose program sends to it.
	if err := unix.Fchmodat(int(dir.Fd()), name, 0o777, 0); err != nil {
		conn.Close()
		return nil, fmt.Errorf("container %q: notify socket: %w", c.name, err)
	}
	return conn, nil
}
