// Package initstage is the code that runs inside a new container: the
// frontend's own binary, re-executed by the parent with the container's
// namespaces, reads its spec.Init from the control socket, prepares the
// container and becomes the program.
//
// Everything here runs in a fresh process that will exec or exit; it never
// returns to the caller. The parent did all the checks it could, so the
// work left is what only the container can do.
package initstage

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strconv"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/libct/libct/internal/hooks"
	"github.com/libct/libct/internal/quote"
	"github.com/libct/libct/internal/spec"
	"github.com/libct/libct/rootfs"
)

// Arg0 marks a process as a libct init stage. It is argv[0] of the
// re-executed binary; argv[1] is the control socket's fd number and, after
// the re-exec into a time namespace, argv[2] is a memfd holding the spec.
const Arg0 = "libct-init"

// Func is a function registered with libct.Register.
type Func func(arg []byte) int

// Lookup finds a registered function by name.
type Lookup func(name string) (Func, bool)

// Run is the whole init stage. It does not return: it execs the program,
// or exits with the registered function's status, or reports an error to
// the parent and exits 1.
func Run(args []string, lookup Lookup) {
	var c *conn
	defer func() {
		// A panic must still reach the parent as a failed start, not as
		// a successful one whose program exits 2.
		if r := recover(); r != nil {
			if c != nil {
				c.fail(&stepError{"init", fmt.Errorf("panic: %v", r)})
			}
			fmt.Fprintf(os.Stderr, "libct init: panic: %v\n", r)
			os.Exit(1)
		}
	}()
	c, data, err := connect(args)
	if err != nil {
		fmt.Fprintf(os.Stderr, "libct init: %v\n", err)
		os.Exit(1)
	}
	closeInherited(c.fd)
	var s spec.Init
	if err := json.Unmarshal(data, &s); err != nil {
		c.fail(&stepError{"config", fmt.Errorf("decode spec: %w", err)})
	}
	if err := run(c, &s, data, len(args) > 2, lookup); err != nil {
		c.fail(err)
	}
	os.Exit(0) // not reached: run execs or exits
}

// stepError tags an error with the phase of the start it belongs to.
type stepError struct {
	step string
	err  error
}

// Error is the wrapped error's text: the step travels apart.
func (e *stepError) Error() string { return e.err.Error() }

// Unwrap returns the wrapped error.
func (e *stepError) Unwrap() error { return e.err }

func inStep(step string, err error) error {
	if err == nil {
		return nil
	}
	return &stepError{step, err}
}

func run(c *conn, s *spec.Init, data []byte, reexeced bool, lookup Lookup) error {
	if (s.NewTimeNS || s.Reexec) && !reexeced {
		return inStep("reexec", reexec(c, s, data))
	}
	c.hooks = s
	c.mark("runtime start, spec read")
	if s.UnshareCgroupNS {
		if err := unix.Unshare(unix.CLONE_NEWCGROUP); err != nil {
			return inStep("cgroup", fmt.Errorf("unshare cgroup namespace: %w", err))
		}
	}
	if s.LoopbackUp {
		if err := bringUpLoopback(); err != nil {
			return inStep("network", err)
		}
	}
	// Sysctls are written before the root is switched: the files under
	// /proc/sys act on the namespaces of the writer, so the host's /proc
	// serves even when the container gets no /proc of its own.
	if err := writeSysctls(s.Sysctl); err != nil {
		return inStep("sysctl", err)
	}
	if err := setUTS(s.Hostname, s.Domainname); err != nil {
		return inStep("uts", err)
	}
	// The exec fifo is reopened for writing through this process's fd
	// directory on the host's /proc, whose root is held open across the
	// root switch: the container may have no /proc of its own. The root,
	// not /proc/self/fd: once the root is switched, a descriptor of the
	// root of a mount the container cannot reach names no path of the
	// host.
	procFD := -1
	if s.ExecFifo != 0 {
		fd, err := unix.Open("/proc", unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
		if err != nil {
			return inStep("start", fmt.Errorf("open /proc: %w", err))
		}
		procFD = fd
	}
	// A registered function runs in a new image of this binary, reached
	// through a descriptor: the container's root has no path to it.
	self := -1
	if s.Process.Func != "" {
		fd, err := unix.Open("/proc/self/exe", unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			return inStep("func", fmt.Errorf("open own binary: %w", err))
		}
		self = fd
	}
	c.mark("namespaces, sysctls, hostname")
	if len(c.sources) != len(s.MountSources) {
		return inStep("rootfs", fmt.Errorf("mount sources: %d descriptors for %d mounts", len(c.sources), len(s.MountSources)))
	}
	for k, i := range s.MountSources {
		if s.Rootfs.SourcePaths == nil {
			s.Rootfs.SourcePaths = map[int]string{}
		}
		s.Rootfs.SourcePaths[i] = "/proc/self/fd/" + strconv.Itoa(c.sources[k])
	}
	if err := c.recvIDMapped(&s.Rootfs); err != nil {
		return inStep("rootfs", err)
	}
	if err := rootfs.Setup(&s.Rootfs, c); err != nil {
		return inStep("rootfs", err)
	}
	c.mark("root file system")
	p, err := prepareProcess(&s.Process, lookup)
	if err != nil {
		return err
	}
	c.mark("user and program lookup")
	if s.Process.TerminalInside {
		if err := openTerminal(c, &s.Process); err != nil {
			return inStep("terminal", err)
		}
	}
	p.self = self
	// Every descriptor past the program's own must be gone once it or a
	// startContainer hook runs, whatever the runtime or a library opened
	// without O_CLOEXEC. This comes before a seccomp filter, which may
	// deny close_range.
	if err := unix.CloseRange(uint(3+s.Process.ExtraFiles), ^uint(0), unix.CLOSE_RANGE_CLOEXEC); err != nil {
		return inStep("exec", fmt.Errorf("close_range: %w", err))
	}
	if p.installEarly(s, true) {
		if err := p.installSeccomp(c); err != nil {
			return err
		}
	}
	if s.ExecFifo != 0 {
		if err := waitForStart(c, procFD, s.ExecFifo); err != nil {
			return inStep("start", err)
		}
	}
	if p.installEarly(s, false) {
		if err := p.installSeccomp(c); err != nil {
			return err
		}
	}
	// In the process's working directory, with its environment unless
	// the hook sets one, as runc runs them (hooks written for it rely on
	// that).
	startHooks := hooks.Runner{Kind: "startContainer", Env: p.env, Dir: s.Process.Cwd}
	if err := startHooks.Run(s.StartContainer, s.HookState); err != nil {
		return inStep("hooks", err)
	}
	return p.become(c)
}

// installEarly tells whether the seccomp filter goes in before the wait
// for start (beforeStart) or right after it, rather than in become. A
// listener must reach the parent that prepares the container, which hands
// it to the agent: the one that starts it may be another process (ct
// create, then ct start). The startContainer hooks run in the container
// as its program would, under its filter. The filter then sees all the
// init does up to the exec, as when it cannot come last (see package
// security).
func (r *process) installEarly(s *spec.Init, beforeStart bool) bool {
	f := r.spec.Seccomp
	switch {
	case f == nil || r.filtered:
		return false
	case beforeStart:
		return f.Notifies() && s.ExecFifo != 0
	default:
		return len(s.StartContainer) > 0
	}
}

func writeSysctls(sysctl map[string]string) error {
	for key, value := range sysctl {
		path := "/proc/sys/" + spec.SysctlPath(key)
		if err := os.WriteFile(path, []byte(value), 0); err != nil {
			return fmt.Errorf("sysctl %s: %w", quote.Value(key), unwrapPath(err))
		}
	}
	return nil
}

func setUTS(hostname, domainname string) error {
	if hostname != "" {
		if err := unix.Sethostname([]byte(hostname)); err != nil {
			return fmt.Errorf("sethostname %s: %w", quote.Value(hostname), err)
		}
	}
	if domainname != "" {
		if err := unix.Setdomainname([]byte(domainname)); err != nil {
			return fmt.Errorf("setdomainname %s: %w", quote.Value(domainname), err)
		}
	}
	return nil
}

// waitForStart tells the parent the container is created, then blocks in
// the open of the exec fifo until Start opens its other end.
func waitForStart(c *conn, procFD, fifoFD int) error {
	// The parent stops listening once the container is created: the
	// phases so far go now (the rest belong to whoever starts it).
	c.sendTrace()
	if err := c.send(&spec.Message{Kind: spec.MsgReady}); err != nil {
		return err
	}
	releaseFilePages()
	fd, err := unix.Openat(procFD, "self/fd/"+strconv.Itoa(fifoFD), unix.O_WRONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("open exec fifo: %w", err)
	}
	if _, err := unix.Write(fd, []byte{0}); err != nil {
		return fmt.Errorf("write exec fifo: %w", err)
	}
	// The fifo stays open until the exec closes it: the starter waits for
	// that, and reads any failure of the steps left from it.
	c.started = fd
	unix.Close(fifoFD)
	unix.Close(procFD)
	return nil
}

// unwrapPath drops the *os.PathError layer when the caller names the path
// itself, so messages do not repeat it.
func unwrapPath(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// errnoOf is the errno behind err, or 0.
func errnoOf(err error) int {
	var errno syscall.Errno
	if errors.As(err, &errno) {
		return int(errno)
	}
	return 0
}

// closeInherited closes the descriptors past the control socket that this
// process inherited: none was handed to the container (the parent puts
// the binary's own descriptor there, which ran this image already), so
// they are what the caller left open across its exec, and the container
// must not hold them, not even while it waits for Start. The ones this
// image opened itself (the Go runtime's) are close-on-exec, and stay.
// Without a /proc to list them (a process entering a container that has
// none), they are left to the close-on-exec that precedes the exec.
func closeInherited(sock int) {
	dir, err := unix.Open("/proc/self/fd", unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return
	}
	defer unix.Close(dir)
	var inherited []int
	buf := make([]byte, 4096)
	for {
		n, err := unix.ReadDirent(dir, buf)
		if err != nil || n <= 0 {
			break
		}
		_, _, names := unix.ParseDirent(buf[:n], -1, nil)
		for _, name := range names {
			fd, err := strconv.Atoi(name)
			if err != nil || fd <= sock || fd == dir {
				continue
			}
			if flags, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0); err == nil && flags&unix.FD_CLOEXEC == 0 {
				inherited = append(inherited, fd)
			}
		}
	}
	// Closed once the listing is done: a descriptor closed while the
	// directory is read could shift what it lists.
	for _, fd := range inherited {
		unix.Close(fd)
	}
}
