package main

// The OCI lifecycle: create, start, run, kill, delete, state.

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/libct/libct"
	"github.com/libct/libct/internal/quote"
	"github.com/libct/libct/oci"
	"github.com/libct/libct/security"
)

// createOptions are the flags create and run share.
type createOptions struct {
	bundle        string
	pidFile       string
	consoleSocket string
	pidfdSocket   string
	noPivot       bool
	noNewKeyring  bool
	preserveFDs   int
}

func (o *createOptions) register(f *cmdFlags) {
	f.StringVar(&o.bundle, "bundle", ".", "the bundle: the directory holding config.json")
	f.StringVar(&o.bundle, "b", ".", "short for --bundle")
	f.StringVar(&o.pidFile, "pid-file", "", "write the init's pid to this file")
	f.StringVar(&o.consoleSocket, "console-socket", "", "unix socket to send the master of the container's terminal to (process.terminal)")
	f.StringVar(&o.pidfdSocket, "pidfd-socket", "", "unix socket to send a pidfd of the container's init to")
	f.BoolVar(&o.noPivot, "no-pivot", false, "switch to the root without pivot_root (for a root on the initramfs): move it onto / and chroot")
	f.BoolVar(&o.noNewKeyring, "no-new-keyring", false, "accepted: libct never makes a session keyring")
	f.IntVar(&o.preserveFDs, "preserve-fds", 0, "pass ct's fds 3 .. 3+N-1 to the container's process")
}

func runCreate(g *globals, args []string) (int, error) {
	f := newFlags(g, "create", "[options] CONTAINER_ID")
	var o createOptions
	o.register(f)
	// go-runc passes --detach to create too; a created container is
	// always detached from ct.
	f.Bool("detach", false, "accepted: create always detaches")
	f.Bool("d", false, "short for --detach")
	id, err := f.parseID(args)
	if err != nil {
		return parseResult(err)
	}
	s, err := g.session()
	if err != nil {
		return fail(err)
	}
	defer s.Close()
	_, err = create(g, s, id, &o, true, (*libct.Container).Prepare)
	return fail(err)
}

// create makes container id from the bundle and starts its init with
// launch: Prepare for ct create (the program waits for ct start), Spawn
// for ct run. On failure it leaves nothing behind. detach keeps the
// container when the session closes (create, run -d).
func create(g *globals, s *libct.Session, id string, o *createOptions, detach bool, launch func(*libct.Container, *libct.Process) error) (*libct.Container, error) {
	if g.systemdCgroup {
		return nil, errors.New("--systemd-cgroup: libct has no systemd cgroup driver; run without it (cgroupfs)")
	}
	if o.preserveFDs < 0 {
		return nil, usagef("--preserve-fds %d: must be >= 0", o.preserveFDs)
	}
	bundle, err := filepath.Abs(o.bundle)
	if err != nil {
		return nil, fmt.Errorf("--bundle: %w", err)
	}
	configPath := filepath.Join(bundle, "config.json")
	spec, err := oci.LoadSpec(bundle) // its errors name the bundle or the file
	if err != nil {
		return nil, err
	}
	cfg, proc, err := oci.Convert(id, bundle, spec, g.specWarnings(configPath))
	if err != nil {
		return nil, nameFile(configPath, err)
	}
	logSeccompFlags(g.log, cfg.Security.Seccomp)
	if wantsNotify(cfg) {
		cfg.NotifySocket = notifySocketInContainer
	}
	if proc.Terminal {
		if o.consoleSocket == "" && detach {
			return nil, fmt.Errorf("%s: process.terminal: a detached container needs --console-socket to hand its terminal to", configPath)
		}
		if o.consoleSocket != "" {
			if proc.ConsoleSocket, err = filepath.Abs(o.consoleSocket); err != nil {
				return nil, fmt.Errorf("--console-socket: %w", err)
			}
		} else {
			// ct relays the terminal itself (proxyConsole).
			proc.ConsoleRawOutput = true
		}
	} else {
		if o.consoleSocket != "" {
			return nil, fmt.Errorf("--console-socket: %s: process.terminal is false: there is no terminal to send", configPath)
		}
		proc.Stdin, proc.Stdout, proc.Stderr = os.Stdin, os.Stdout, os.Stderr
	}
	listen, err := activationFiles()
	if err != nil {
		return nil, err
	}
	if len(listen) > 0 {
		proc.Env = activationEnv(proc.Env, len(listen), cfg)
	}
	preserved, err := preservedFiles(3+len(listen), o.preserveFDs)
	if err != nil {
		return nil, err
	}
	proc.ExtraFiles = append(listen, preserved...)
	pidfdSock, err := dialPidfdSocket(o.pidfdSocket)
	if err != nil {
		return nil, err
	}
	defer pidfdSock.close()
	// Without a mount namespace the root is entered by chroot anyway.
	if o.noPivot && cfg.Namespaces.Has(libct.NewMount) {
		cfg.Options |= libct.NoPivotRoot
	}
	if detach {
		cfg.Options |= libct.Detached
	} else {
		// Foreground: the session's close destroys it, whatever happens.
		cfg.Options &^= libct.Detached
	}
	c, err := s.Create(id, cfg)
	if err != nil {
		if errors.Is(err, libct.ErrExist) {
			return nil, fmt.Errorf("container %s already exists (in %s)", quote.Value(id), s.Root())
		}
		return nil, configError(configPath, err)
	}
	g.log.debugf("create %s: config stored, starting the init", id)
	if err := launch(c, proc); err != nil {
		return nil, destroyAfter(c, configError(configPath, err))
	}
	if o.pidFile != "" || pidfdSock != nil {
		pid, err := c.Pid()
		if err == nil && o.pidFile != "" {
			err = writePidFile(o.pidFile, pid)
		}
		if err == nil {
			err = pidfdSock.send(pid)
		}
		if err != nil {
			return nil, destroyAfter(c, err)
		}
	}
	return c, nil
}

// logSeccompFlags logs, with --debug, the flags the container's seccomp
// filter is installed with: what the profile's flags and actions come to
// after the defaults and the flags ignored.
func logSeccompFlags(l *logger, profile *specs.LinuxSeccomp) {
	if l == nil || !l.debug || profile == nil {
		return
	}
	f, err := security.CompileSeccomp(profile)
	if err != nil {
		return // the start reports it
	}
	l.debugf("seccomp filter flags: %d", f.Flags())
}

// destroyAfter destroys a container whose creation failed with err.
func destroyAfter(c *libct.Container, err error) error {
	if derr := c.Destroy(); derr != nil && !errors.Is(derr, libct.ErrNotExist) {
		return fmt.Errorf("%w (and destroying it failed: %v)", err, derr)
	}
	return err
}

// nameFile puts path in front of an error about the file that does not
// name it already.
func nameFile(path string, err error) error {
	if strings.Contains(err.Error(), path) {
		return err
	}
	return fmt.Errorf("%s: %w", path, err)
}

// configError names config.json in front of an error about one of its
// fields, as libct reports them (a *libct.ConfigError).
func configError(configPath string, err error) error {
	var ce *libct.ConfigError
	if errors.As(err, &ce) {
		return nameFile(configPath, err)
	}
	return err
}

// preservedFiles are ct's fds first .. first+n-1, for the container's
// process: 3 on, or after the sockets of socket activation.
func preservedFiles(first, n int) ([]*os.File, error) {
	return inheritedFiles(first, n, "--preserve-fds", "preserved-fd-")
}

// inheritedFiles are ct's open fds first .. first+n-1, named prefix and
// their number; what (a flag or a variable) names the count in an error
// about one that is not open.
func inheritedFiles(first, n int, what, prefix string) ([]*os.File, error) {
	var files []*os.File
	for fd := first; fd < first+n; fd++ {
		if _, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0); err != nil {
			return nil, fmt.Errorf("%s %d: fd %d: %w", what, n, fd, err)
		}
		files = append(files, os.NewFile(uintptr(fd), prefix+strconv.Itoa(fd)))
	}
	return files, nil
}

// writePidFile writes pid to path atomically: a reader (an engine waiting
// for the file) sees no file or the whole pid, never part of it.
func writePidFile(path string, pid int) error {
	abs, err := filepath.Abs(path)
	if err != nil {
		return fmt.Errorf("--pid-file: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(abs), "."+filepath.Base(abs)+".")
	if err != nil {
		return fmt.Errorf("--pid-file: %w", err)
	}
	_, err = tmp.WriteString(strconv.Itoa(pid))
	if err == nil {
		err = tmp.Chmod(0o644)
	}
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), abs)
	}
	if err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("--pid-file: %w", err)
	}
	return nil
}

// openContainer opens container id, with the error engines look for
// ("does not exist") when there is none.
func openContainer(s *libct.Session, id string) (*libct.Container, error) {
	c, err := s.Container(id)
	if errors.Is(err, libct.ErrNotExist) {
		return nil, fmt.Errorf("container %s does not exist", quote.Value(id))
	}
	return c, err
}

// notRunning rewrites a state error of a stopped container into the
// words engines match ("container not running").
func notRunning(id string, err error) error {
	var se *libct.StateError
	if errors.As(err, &se) && se.State == libct.Stopped {
		return fmt.Errorf("container %s: cannot %s: container not running (stopped)", quote.Value(id), se.Op)
	}
	return err
}

func runStart(g *globals, args []string) (int, error) {
	return withContainer(g, "start", args, func(_ *libct.Session, c *libct.Container) error {
		relay, err := listenNotify(c)
		if err != nil {
			return err
		}
		defer relay.close()
		if err := c.Start(); err != nil || relay == nil {
			return err
		}
		return relay.untilReady(c)
	})
}

func runRun(g *globals, args []string) (int, error) {
	f := newFlags(g, "run", "[options] CONTAINER_ID")
	var o createOptions
	o.register(f)
	var detach, keep bool
	f.BoolVar(&detach, "detach", false, "return once the program runs; the container stays")
	f.BoolVar(&detach, "d", false, "short for --detach")
	f.BoolVar(&keep, "keep", false, "do not delete the container after it exits (foreground)")
	f.Bool("no-subreaper", false, "accepted for runc compatibility; ignored")
	id, err := f.parseID(args)
	if err != nil {
		return parseResult(err)
	}
	s, err := g.session()
	if err != nil {
		return fail(err)
	}
	defer s.Close()
	// run is create and start in one: the init runs the program at once
	// (Spawn), with the hooks of both in their order, and no exec fifo to
	// make and open.
	var signals *signalForwarder
	var relay *notifyRelay
	defer func() { relay.close() }()
	c, err := create(g, s, id, &o, detach, func(c *libct.Container, p *libct.Process) error {
		var err error
		if relay, err = listenNotify(c); err != nil {
			return err
		}
		if !detach {
			// Foreground: ct's signals go to the init. One that comes
			// during the start is sent once it ends: Signal waits for
			// the container's lock, which the start holds.
			if signals, err = catchForwardedSignals(); err != nil {
				return err
			}
			signals.forward(c.Signal)
		}
		return c.Spawn(p)
	})
	if err != nil {
		signals.stop()
		return fail(err)
	}
	if detach {
		if relay != nil {
			return fail(relay.untilReady(c))
		}
		return 0, nil
	}
	if relay != nil {
		go relay.relayAll(g.log)
	}

	// ct's terminal goes to the container's, and ct exits with the init's
	// status.
	var endConsole func()
	if con := c.Console(); con != nil {
		endConsole = proxyConsole(con)
	}
	st, err := c.Wait()
	signals.stop()
	if endConsole != nil {
		endConsole()
	}
	if err != nil {
		return fail(destroyAfter(c, err))
	}
	if keep {
		// Stopped now: detached, the session's close leaves it.
		return st.ExitCode(), c.SetOptions(libct.Detached)
	}
	return st.ExitCode(), c.Destroy()
}

func runKill(g *globals, args []string) (int, error) {
	f := newFlags(g, "kill", "[--all] CONTAINER_ID [SIGNAL]")
	var all bool
	f.BoolVar(&all, "all", false, "send the signal to every process of the container")
	f.BoolVar(&all, "a", false, "short for --all")
	pos, err := f.parse(args, true)
	if err != nil {
		return parseResult(err)
	}
	if len(pos) < 1 || len(pos) > 2 {
		f.Usage()
		return exitUsage, usagef("want CONTAINER_ID [SIGNAL], got %s", quote.Values(pos))
	}
	sig := syscall.SIGTERM
	if len(pos) == 2 {
		if sig, err = parseSignal(pos[1]); err != nil {
			return exitUsage, err
		}
	}
	s, c, err := g.open(pos[0])
	if err != nil {
		return fail(err)
	}
	defer s.Close()
	if all || sig == syscall.SIGKILL && !ownPIDNamespace(c) {
		// Without a pid namespace of its own, the init's death ends
		// nothing else: a SIGKILL ends every process of the container,
		// as runc's does ("kill KILL [host pidns]").
		err = c.Kill(sig)
		var se *libct.StateError
		if all && errors.As(err, &se) && se.State == libct.Stopped {
			// --all asks for every process there is, and none is left:
			// done, as runc's kill --all says.
			err = nil
		}
	} else {
		err = c.Signal(sig)
	}
	return fail(notRunning(pos[0], err))
}

// ownPIDNamespace tells whether container c has a pid namespace of its
// own, where a SIGKILL of the init ends every process.
func ownPIDNamespace(c *libct.Container) bool {
	cfg, err := c.Config()
	return err != nil || cfg.Namespaces.Has(libct.NewPID)
}

// parseSignal reads a signal by number or name, with or without "SIG",
// in any case: "9", "KILL", "SIGKILL", "sigterm", or 0.
func parseSignal(s string) (syscall.Signal, error) {
	if n, err := strconv.Atoi(s); err == nil {
		// Signal 0 is kill(2)'s: nothing is sent, the container is only
		// checked to be running.
		if n < 0 || n > 64 {
			return 0, usagef("signal %d: out of range 0..64", n)
		}
		return syscall.Signal(n), nil
	}
	name := strings.ToUpper(s)
	if !strings.HasPrefix(name, "SIG") {
		name = "SIG" + name
	}
	if sig := unix.SignalNum(name); sig != 0 {
		return sig, nil
	}
	return 0, usagef("unknown signal %s", quote.Value(s))
}

func runDelete(g *globals, args []string) (int, error) {
	f := newFlags(g, "delete", "[--force] CONTAINER_ID")
	var force bool
	f.BoolVar(&force, "force", false, "kill the container first when it is not stopped")
	f.BoolVar(&force, "f", false, "short for --force")
	id, err := f.parseID(args)
	if err != nil {
		return parseResult(err)
	}
	s, err := g.session()
	if err != nil {
		return fail(err)
	}
	defer s.Close()
	c, err := openContainer(s, id)
	if err != nil {
		if force {
			// Nothing to delete is what --force asks for.
			return 0, nil
		}
		return fail(err)
	}
	if !force {
		st, err := c.State()
		if err != nil {
			return fail(err)
		}
		if st != libct.Stopped {
			return fail(fmt.Errorf("container %s is %s: only a stopped container can be deleted (kill it first, or use --force)", quote.Value(id), st))
		}
	}
	err = c.Destroy()
	if errors.Is(err, libct.ErrNotExist) && force {
		err = nil
	}
	return fail(err)
}

// containerState is the OCI state of a container and what runc adds to
// it, which engines read too: the root, the creation time and the owner.
type containerState struct {
	specs.State
	Rootfs  string    `json:"rootfs,omitempty"`
	Created time.Time `json:"created"`
	Owner   string    `json:"owner"`
}

// stateOf reads the state of container c of session s.
func stateOf(s *libct.Session, c *libct.Container) (*containerState, error) {
	st, err := c.State()
	if err != nil {
		return nil, err
	}
	pid, err := c.Pid()
	if err != nil {
		return nil, err
	}
	cfg, err := c.Config()
	if err != nil {
		return nil, err
	}
	out := &containerState{State: *oci.State(c.Name(), st, pid, cfg), Rootfs: cfg.Root}
	out.Created, out.Owner = stateDirInfo(s.Root(), c.Name())
	return out, nil
}

// stateDirInfo derives when a container was created and who owns it from
// its state directory under the session root: its birth time (its
// modification time where the filesystem keeps no birth time) and its
// owner. libct keeps neither in its record.
func stateDirInfo(root, id string) (time.Time, string) {
	var stx unix.Statx_t
	err := unix.Statx(unix.AT_FDCWD, filepath.Join(root, id), unix.AT_SYMLINK_NOFOLLOW,
		unix.STATX_BTIME|unix.STATX_MTIME|unix.STATX_UID, &stx)
	if err != nil {
		return time.Time{}, ""
	}
	ts := stx.Mtime
	if stx.Mask&unix.STATX_BTIME != 0 {
		ts = stx.Btime
	}
	owner := strconv.FormatUint(uint64(stx.Uid), 10)
	if u, err := user.LookupId(owner); err == nil {
		owner = u.Username
	}
	return time.Unix(ts.Sec, int64(ts.Nsec)).UTC(), owner
}

func runState(g *globals, args []string) (int, error) {
	return withContainer(g, "state", args, func(s *libct.Session, c *libct.Container) error {
		st, err := stateOf(s, c)
		if err != nil {
			return err
		}
		return printJSON(st)
	})
}

// printJSON prints v indented on stdout.
func printJSON(v any) error {
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	_, err = os.Stdout.Write(append(data, '\n'))
	return err
}
