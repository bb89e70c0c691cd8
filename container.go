package libct

import (
	"errors"
	"fmt"
	"os"
	"sync"
	"syscall"

	"github.com/containerd/console"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/libct/libct/cgroups"
	"github.com/libct/libct/internal/faultpoint"
	"github.com/libct/libct/internal/quote"
	"github.com/libct/libct/internal/state"
	"github.com/libct/libct/network"
	"github.com/libct/libct/rootfs"
)

// State is where a container is in its life.
type State string

const (
	// Stopped: no init process; the container can be configured and
	// started. A new container is stopped, and so is one whose init exited.
	Stopped State = "stopped"
	// Created: the init has prepared everything and waits for Start to
	// exec the program.
	Created State = "created"
	// Running: the program runs.
	Running State = "running"
	// Paused: the container's processes are frozen.
	Paused State = "paused"
)

// Files in a container's state directory.
const (
	configFile = "config.json"
	stateFile  = "state.json"
	execFifo   = "exec.fifo"
)

// record is the state of a container that outlives the process that
// started it, kept in state.json. The state itself is derived from it and
// from the kernel at every look, never stored: a record cannot go stale
// when an init dies unobserved.
//
//easyjson:json
type record struct {
	// Pid and StartTime name the init for good (see processStart).
	Pid       int    `json:"pid,omitempty"`
	StartTime uint64 `json:"startTime,omitempty"`
	// PidNS is set when the container has a pid namespace of its own: its
	// init's death ends every process in it.
	PidNS bool `json:"pidNS,omitempty"`
	// HostMounts is the root under which the start mounted in the host's
	// mount namespace (a private area, or SharedMounts, without a mount
	// namespace of the container's own).
	HostMounts string `json:"hostMounts,omitempty"`
	// Network is what the start made of the container's network.
	Network *network.State `json:"network,omitempty"`
	// Cgroup is the cgroup the start made.
	Cgroup *cgroups.State `json:"cgroup,omitempty"`
	// HeldNamespaces are the namespace files of a taskless container,
	// bind-mounted in its state directory, by /proc/PID/ns name.
	HeldNamespaces map[string]string `json:"heldNamespaces,omitempty"`
}

// Container is a handle on one container of a session's root.
//
// Lifecycle: Create (on the Session) stores the config, and the container
// is Stopped. Spawn starts its init and runs the program (Running);
// Prepare starts the init but stops it right before the program
// (Created) until Start. When the init exits the container is Stopped
// again and can be spawned again; Destroy kills what runs and removes the
// container and everything its starts made.
//
// Persistence: the config and a record of the init live in the session
// root, written atomically under a lock held by every operation, so any
// number of handles in any number of processes can work on one container.
// Only the handle that started the init knows its exit status (Wait).
type Container struct {
	session *Session
	name    string
	dir     *state.Dir

	mu sync.Mutex
	// child is the init when this handle started it.
	child *child
	// hooks is the hook view of the stored config as this handle last
	// decoded it, with the bytes it came from (see hookConfig).
	hooks storedHooks
}

// storedHooks is a hookConfig and the config.json it was decoded from.
type storedHooks struct {
	data []byte
	view *hookConfig
}

// child is an init this process started and must reap.
type child struct {
	proc *childProcess
	// listener is the seccomp notify listener, until the caller takes it.
	listener *os.File
	// console is the master of the init's terminal.
	console console.Console

	once   sync.Once
	status ExitStatus
	err    error
}

func (ch *child) wait() (ExitStatus, error) {
	ch.once.Do(func() {
		ws, err := ch.proc.Wait()
		if err != nil {
			ch.err = err
			return
		}
		ch.status = exitStatusOf(ws)
	})
	return ch.status, ch.err
}

// SeccompListener hands over the seccomp user-notification listener of
// the init this handle started, when its profile has SCMP_ACT_NOTIFY
// rules: the caller answers the notifications and closes it. Nil when
// there is none, when the profile's listenerPath names the agent the start
// sent it to, or when it was taken already.
func (c *Container) SeccompListener() *os.File {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.child == nil {
		return nil
	}
	l := c.child.listener
	c.child.listener = nil
	return l
}

// Console is the master side of the pseudo-terminal of the init this
// handle started with Process.Terminal (and no ConsoleSocket): what is
// written to it is typed into the container, and its Resize sets the
// window size the container sees. Nil without a terminal.
func (c *Container) Console() console.Console {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.child == nil {
		return nil
	}
	return c.child.console
}

// Name is the container's name.
func (c *Container) Name() string { return c.name }

// Config returns a copy of the container's stored config.
func (c *Container) Config() (*Config, error) {
	cfg, _, err := c.storedConfig()
	return cfg, err
}

// storedConfig decodes the stored config, and returns it with the bytes
// it came from.
func (c *Container) storedConfig() (*Config, []byte, error) {
	data, err := c.dir.ReadBytes(configFile)
	if err != nil {
		return nil, nil, c.wrapMissing(err)
	}
	var cfg Config
	if err := c.dir.Decode(configFile, data, &cfg); err != nil {
		return nil, nil, err
	}
	return &cfg, data, nil
}

func (c *Container) wrapMissing(err error) error {
	if errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("container %q: %w", c.name, ErrNotExist)
	}
	return err
}

// State reports the container's state.
func (c *Container) State() (State, error) {
	rec, err := c.record()
	if err != nil {
		return "", err
	}
	return c.stateOf(rec)
}

// Pid is the init's pid as the caller sees it, or 0 when stopped.
func (c *Container) Pid() (int, error) {
	rec, err := c.record()
	if err != nil {
		return 0, err
	}
	st, err := c.stateOf(rec)
	if err != nil || st == Stopped {
		return 0, err
	}
	return rec.Pid, nil
}

func (c *Container) record() (*record, error) {
	var rec record
	if err := c.dir.Read(stateFile, &rec); err != nil {
		return nil, c.stateFileError(err)
	}
	if rec.namesNothing() {
		// Never started, or started by a creator killed before it wrote
		// this record: then its intent names what it made.
		mergeIntent(&rec, c.readIntent())
	}
	return &rec, nil
}

func (c *Container) stateOf(rec *record) (State, error) {
	if rec.Pid == 0 {
		if len(rec.HeldNamespaces) > 0 {
			return Running, nil // taskless
		}
		return Stopped, nil
	}
	start, alive, err := processStart(rec.Pid)
	if err != nil {
		return "", err
	}
	if !alive || start != rec.StartTime {
		return Stopped, nil
	}
	if c.preparedNotStarted() {
		return Created, nil
	}
	if m, err := c.cgroupOf(rec); err == nil && m != nil {
		if frozen, err := m.Frozen(); err == nil && frozen {
			return Paused, nil
		}
	}
	return Running, nil
}

// locked runs fn under the container's lock with its record and state.
func (c *Container) locked(fn func(rec *record, st State) error) error {
	return c.withRecord(false, fn)
}

// lockedRecovering is locked for Destroy: a damaged or missing state.json
// gives the record recoveredRecord rebuilds instead of an error.
func (c *Container) lockedRecovering(fn func(rec *record, st State) error) error {
	return c.withRecord(true, fn)
}

func (c *Container) withRecord(recovering bool, fn func(rec *record, st State) error) error {
	unlock, err := c.dir.Lock()
	if err != nil {
		return err
	}
	defer unlock()
	rec, err := c.record()
	if recovering && errors.Is(err, ErrDamagedState) {
		rec, err = c.recoveredRecord(), nil
	}
	if err != nil {
		return err
	}
	st, err := c.stateOf(rec)
	if err != nil {
		return err
	}
	return fn(rec, st)
}

// configure edits the stored config of a stopped container; the change
// takes effect at the next start.
func (c *Container) configure(op string, edit func(*Config) error) error {
	return c.locked(func(_ *record, st State) error {
		if st != Stopped {
			return &StateError{Container: c.name, Op: op, State: st}
		}
		cfg, err := c.Config()
		if err != nil {
			return err
		}
		if err := edit(cfg); err != nil {
			return err
		}
		cfg.Network.Generate()
		cfg.defaultCgroupPath(c.name)
		if err := cfg.validate(); err != nil {
			return err
		}
		return c.dir.Write(configFile, cfg)
	})
}

// SetConfig replaces the whole config of a stopped container.
func (c *Container) SetConfig(cfg *Config) error {
	return c.configure("set config", func(cur *Config) error {
		*cur = *cfg.clone()
		return nil
	})
}

// SetNamespaces sets the clone mask (libct's set_nsmask).
func (c *Container) SetNamespaces(ns Namespaces) error {
	return c.configure("set namespaces", func(cfg *Config) error {
		cfg.Namespaces = ns
		return nil
	})
}

// SetNamespacePath joins the existing namespace at path instead of
// creating one (libct's set_nspath); an empty path forgets it.
func (c *Container) SetNamespacePath(ns Namespaces, path string) error {
	return c.configure("set namespace path", func(cfg *Config) error {
		if path == "" {
			delete(cfg.NamespacePaths, ns)
			return nil
		}
		if cfg.NamespacePaths == nil {
			cfg.NamespacePaths = make(map[Namespaces]string)
		}
		cfg.NamespacePaths[ns] = path
		return nil
	})
}

// SetRoot sets the host directory that becomes the container's root.
func (c *Container) SetRoot(dir string) error {
	return c.configure("set root", func(cfg *Config) error {
		cfg.Root = dir
		return nil
	})
}

// SetPrivate sets the private area (libct's fs_set_private): with
// PrivateSubdir, dir is bind-mounted onto the root at start; PrivateNone
// leaves the root to the caller.
func (c *Container) SetPrivate(kind PrivateKind, dir string) error {
	return c.configure("set private area", func(cfg *Config) error {
		switch kind {
		case PrivateNone:
			cfg.Private = ""
		case PrivateSubdir:
			if dir == "" {
				return invalid("private", "empty directory")
			}
			cfg.Private = dir
		default:
			return invalid("private", "unknown kind %d", kind)
		}
		return nil
	})
}

// AddMount appends a mount (libct's fs_add_mount and
// add_mount_with_actions: set PreAction and PostAction).
func (c *Container) AddMount(m Mount) error {
	return c.configure("add mount", func(cfg *Config) error {
		cfg.Mounts = append(cfg.Mounts, m)
		return nil
	})
}

// DelMount removes the configured mounts at destination dst (libct's
// fs_del_mount); it is an error when there is none.
func (c *Container) DelMount(dst string) error {
	return c.configure("remove mount", func(cfg *Config) error {
		kept := cfg.Mounts[:0]
		for _, m := range cfg.Mounts {
			if m.Destination != dst {
				kept = append(kept, m)
			}
		}
		if len(kept) == len(cfg.Mounts) {
			return invalid("mounts", "no mount at %s", quote.Value(dst))
		}
		cfg.Mounts = kept
		return nil
	})
}

// AddDevNode adds a device node at path inside the container (libct's
// fs_add_devnode); mode holds the type (os.ModeDevice, os.ModeCharDevice,
// os.ModeNamedPipe) and the permission bits.
func (c *Container) AddDevNode(path string, mode os.FileMode, major, minor uint32) error {
	d := Device{Path: path, Major: major, Minor: minor, Mode: mode.Perm()}
	switch {
	case mode&os.ModeCharDevice != 0:
		d.Type = rootfs.CharDevice
	case mode&os.ModeDevice != 0:
		d.Type = rootfs.BlockDevice
	case mode&os.ModeNamedPipe != 0:
		d.Type = rootfs.FifoDevice
	default:
		return invalid("devices", "mode %v is not a device or fifo", mode)
	}
	return c.configure("add device node", func(cfg *Config) error {
		cfg.Devices = append(cfg.Devices, d)
		return nil
	})
}

// SetHostname sets the host and domain names (libct's uname).
func (c *Container) SetHostname(hostname, domainname string) error {
	return c.configure("set hostname", func(cfg *Config) error {
		cfg.Hostname, cfg.Domainname = hostname, domainname
		return nil
	})
}

// SetSysctl sets a sysctl written inside the container at start.
func (c *Container) SetSysctl(key, value string) error {
	return c.configure("set sysctl", func(cfg *Config) error {
		if cfg.Sysctl == nil {
			cfg.Sysctl = make(map[string]string)
		}
		cfg.Sysctl[key] = value
		return nil
	})
}

// SetOptions turns options on; ClearOptions turns them off.
func (c *Container) SetOptions(o Options) error {
	return c.configure("set options", func(cfg *Config) error {
		cfg.Options |= o
		return nil
	})
}

// ClearOptions turns options off.
func (c *Container) ClearOptions(o Options) error {
	return c.configure("clear options", func(cfg *Config) error {
		cfg.Options &^= o
		return nil
	})
}

// Wait blocks until the init exits and returns how. Only the process that
// started the init learns its status: elsewhere Wait returns once the
// container has stopped, with ErrNotParent.
func (c *Container) Wait() (ExitStatus, error) {
	c.mu.Lock()
	ch := c.child
	c.mu.Unlock()
	if ch != nil {
		return ch.wait()
	}
	rec, err := c.record()
	if err != nil {
		return ExitStatus{}, err
	}
	if rec.Pid != 0 {
		fd, err := pidfdOf(rec.Pid, rec.StartTime)
		if err == nil {
			err = waitPidfd(fd)
			unix.Close(fd)
		}
		if err != nil && !errors.Is(err, os.ErrProcessDone) {
			return ExitStatus{}, err
		}
	}
	return ExitStatus{}, ErrNotParent
}

// Signal sends sig to the container's init.
func (c *Container) Signal(sig syscall.Signal) error {
	return c.locked(func(rec *record, st State) error {
		if st == Stopped || rec.Pid == 0 {
			return &StateError{Container: c.name, Op: "signal", State: st}
		}
		return signalPid(rec.Pid, rec.StartTime, sig)
	})
}

// Kill sends sig to every process of the container: those of its cgroup
// when it has one (also once the init is gone, for a container without a
// pid namespace of its own, whose other processes outlive it), else those
// of its pid namespace, else its init. On v1 the cgroup is frozen while
// it is signalled; that wait gives up after 10 s, naming the processes
// that kept the freeze from completing.
func (c *Container) Kill(sig syscall.Signal) error {
	return c.locked(func(rec *record, st State) error {
		if st == Stopped {
			return c.killLeftovers(rec, sig)
		}
		if rec.Pid == 0 {
			return nil // taskless: no process to signal
		}
		return c.killAll(rec, sig)
	})
}

func (c *Container) killAll(rec *record, sig syscall.Signal) error {
	if m, err := c.cgroupOf(rec); err == nil && m != nil {
		// The cgroup holds every process, forks included, pid namespace
		// or not (libct's KILLABLE).
		if err := m.Kill(sig); err != nil {
			return fmt.Errorf("container %q: kill: %w", c.name, err)
		}
		if sig == unix.SIGKILL {
			// The init may have been moved out of the cgroup (into a
			// freezer cgroup of someone else's, say); its pidfd reaches
			// it wherever it is, and a second SIGKILL costs nothing.
			return signalPid(rec.Pid, rec.StartTime, sig)
		}
		return nil
	}
	if !rec.PidNS {
		return signalPid(rec.Pid, rec.StartTime, sig)
	}
	// The init last: a SIGKILL to it ends the namespace at once, and the
	// others should see sig rather than that.
	pids, err := pidsInNamespace(rec.Pid)
	if err != nil {
		return signalPid(rec.Pid, rec.StartTime, sig)
	}
	for _, pid := range pids {
		if pid != rec.Pid {
			unix.Kill(pid, sig)
		}
	}
	return signalPid(rec.Pid, rec.StartTime, sig)
}

func signalPid(pid int, start uint64, sig syscall.Signal) error {
	fd, err := pidfdOf(pid, start)
	if err != nil {
		if errors.Is(err, os.ErrProcessDone) {
			return nil
		}
		return err
	}
	defer unix.Close(fd)
	if err := unix.PidfdSendSignal(fd, sig, nil, 0); err != nil && err != unix.ESRCH {
		return fmt.Errorf("signal %d: %w", pid, err)
	}
	return nil
}

// Destroy kills every process of the container, waits for its init, undoes
// what its start made on the host and removes the container from the
// session root. It works in every state.
//
// A container whose state.json is damaged or missing is destroyed too:
// its processes are found through the cgroup that the intent of its last
// start or its config names (see recoveredRecord).
func (c *Container) Destroy() error {
	err := c.lockedRecovering(func(rec *record, st State) error {
		faultpoint.Hit("delete: locked")
		if st != Stopped {
			// Host NICs can go back only while the namespace lives.
			netns, _ := c.namespacePath(rec, st, "net")
			if err := teardownNetwork(rec.Network, netns); err != nil {
				return fmt.Errorf("container %q: network: %w", c.name, err)
			}
			rec.Network = nil
		}
		faultpoint.Hit("delete: network")
		if st != Stopped && rec.Pid != 0 {
			if err := c.killAll(rec, unix.SIGKILL); err != nil {
				return err
			}
			if err := c.awaitExit(rec); err != nil {
				return err
			}
		}
		faultpoint.Hit("delete: killed")
		c.reap()
		if err := c.undoStart(rec); err != nil {
			return err
		}
		faultpoint.Hit("delete: undone")
		hc, hcErr := c.hookConfig()
		if err := c.dir.Remove(); err != nil {
			return err
		}
		if hcErr == nil {
			c.runWarnHooks("poststop", hc.Hooks.Poststop, hc, specs.StateStopped, 0)
		}
		return nil
	})
	c.session.forget(c)
	return err
}

// reap collects an exited init this handle started, so that no zombie is
// left behind.
func (c *Container) reap() {
	c.mu.Lock()
	ch := c.child
	c.mu.Unlock()
	if ch != nil {
		if _, alive, _ := processStart(ch.proc.Pid); !alive {
			ch.wait()
		}
	}
}

// undoStart removes what a start made outside the container's own
// namespaces (which die with the init), and clears the record.
func (c *Container) undoStart(rec *record) error {
	if rec.Network != nil {
		// The init is gone: what remains of the veth host ends.
		if err := teardownNetwork(rec.Network, ""); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("container %q: network: %w", c.name, err)
		}
		rec.Network = nil
	}
	if rec.Cgroup != nil {
		m, err := c.cgroupOf(rec)
		if err == nil {
			err = m.DestroyWithin(c.session.waitLimit())
		}
		if err != nil {
			return fmt.Errorf("container %q: cgroup: %w", c.name, err)
		}
		rec.Cgroup = nil
	}
	if err := releaseNamespaces(rec.HeldNamespaces); err != nil {
		return fmt.Errorf("container %q: %w", c.name, err)
	}
	rec.HeldNamespaces = nil
	if rec.HostMounts != "" {
		if err := rootfs.UnmountUnder(rec.HostMounts); err != nil {
			return fmt.Errorf("container %q: unmount what the start mounted under the root: %w", c.name, err)
		}
		rec.HostMounts = ""
	}
	os.Remove(c.dir.File(execFifo))
	os.Remove(c.dir.File(intentFile))
	return nil
}

// release forgets the init without killing it (Close of a detached one).
func (c *Container) release() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.child != nil {
		c.child.proc.Release()
		c.child = nil
	}
}
