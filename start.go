package libct

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"syscall"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/libct/libct/cgroups"
	"github.com/libct/libct/internal/cinit"
	"github.com/libct/libct/internal/faultpoint"
	"github.com/libct/libct/internal/initstage"
	"github.com/libct/libct/internal/nsenter"
	"github.com/libct/libct/internal/quote"
	"github.com/libct/libct/internal/spec"
	"github.com/libct/libct/rootfs"
	"github.com/libct/libct/security"
)

// Spawn starts the container's init and runs p in it (libct's
// spawn_execve, or spawn_cb when p.Func is set). It returns once the
// program runs; errors from inside the container are *StartError with the
// step that failed and the errno. A failed Spawn leaves nothing behind.
func (c *Container) Spawn(p *Process) error {
	return c.start("spawn", p, false)
}

// Prepare starts the container's init and lets it do everything but run
// p: the container is Created, and the program starts with Start, from
// this process or any other.
func (c *Container) Prepare(p *Process) error {
	return c.start("prepare", p, true)
}

// Start runs the program of a Created container.
func (c *Container) Start() error {
	return c.locked(func(rec *record, st State) error {
		if st == Stopped && rec.Pid != 0 && c.preparedNotStarted() {
			// Its init died while it waited for Start: say how.
			return c.diedBeforeStart(rec)
		}
		if st != Created {
			return &StateError{Container: c.name, Op: "start", State: st}
		}
		faultpoint.Hit("start: locked")
		if err := c.releaseInit(rec); err != nil {
			return err
		}
		faultpoint.Hit("start: released")
		hc, err := c.hookConfig()
		if err != nil {
			return nil // started; without a config there is no hook to run
		}
		if err := c.runPoststart(hc, rec.Pid); err != nil {
			if kerr := c.killAll(rec, unix.SIGKILL); kerr != nil {
				return errors.Join(err, kerr)
			}
			return err
		}
		return nil
	})
}

// releaseInit opens the exec fifo for reading, which lets the init's
// blocked open for writing through, and waits for its byte. The open
// does not block and the wait watches the init too, so an init that died
// in between cannot hang Start.
func (c *Container) releaseInit(rec *record) error {
	// The pidfd first: opening the fifo lets the init go on, and it may
	// fail and exit at once.
	pidfd, err := pidfdOf(rec.Pid, rec.StartTime)
	if errors.Is(err, os.ErrProcessDone) {
		return c.diedBeforeStart(rec)
	}
	if err != nil {
		return fmt.Errorf("container %q: init: %w", c.name, err)
	}
	defer unix.Close(pidfd)
	path := c.dir.File(execFifo)
	fifo, err := unix.Open(path, unix.O_RDONLY|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("container %q: open exec fifo: %w", c.name, err)
	}
	defer unix.Close(fifo)
	faultpoint.Hit("start: fifo opened")
	fds := []unix.PollFd{{Fd: int32(fifo), Events: unix.POLLIN}, {Fd: int32(pidfd), Events: unix.POLLIN}}
	for {
		if _, err := unix.Poll(fds, -1); err != nil && err != unix.EINTR {
			return fmt.Errorf("container %q: wait for init: %w", c.name, err)
		}
		if fds[0].Revents&unix.POLLIN != 0 {
			var b [1]byte
			if n, _ := unix.Read(fifo, b[:]); n == 1 {
				break
			}
		}
		if fds[1].Revents != 0 {
			return diedBeforeExec(c.name, "start", pidfd)
		}
	}
	if err := os.Remove(path); err != nil {
		return err
	}
	return c.awaitExec(fifo, pidfd)
}

// preparedNotStarted tells whether the container was prepared and not
// started since: its exec fifo, which Start removes, is still there.
func (c *Container) preparedNotStarted() bool {
	_, err := os.Lstat(c.dir.File(execFifo))
	return err == nil
}

// diedBeforeStart is the StartError of a created container whose init is
// gone. Its status is there to read when this process is its parent and
// has not reaped it yet (a zombie with the recorded start time).
func (c *Container) diedBeforeStart(rec *record) error {
	start, alive, err := processStart(rec.Pid)
	if err == nil && !alive && start == rec.StartTime {
		if fd, err := unix.PidfdOpen(rec.Pid, 0); err == nil {
			defer unix.Close(fd)
			return diedBeforeExec(c.name, "start", fd)
		}
	}
	return &StartError{Container: c.name, Step: "start", Text: "the init died before start"}
}

// awaitExec reads the fifo until the init's exec closes it: what comes
// before is its announcement of the exec, or the failure of a step after
// the start (a startContainer hook, the working directory, the exec
// itself). A fifo that closes with neither is the init's death.
func (c *Container) awaitExec(fifo, pidfd int) error {
	if err := unix.SetNonblock(fifo, false); err != nil {
		return err
	}
	var out []byte
	buf := make([]byte, 4096)
	for {
		n, err := unix.Read(fifo, buf)
		if err == unix.EINTR {
			continue
		}
		if n <= 0 {
			break
		}
		out = append(out, buf[:n]...)
	}
	execs := false
	dec := json.NewDecoder(bytes.NewReader(out))
	for dec.More() {
		var m spec.Message
		if err := dec.Decode(&m); err != nil {
			return fmt.Errorf("container %q: start: unexpected %s from init", c.name, quote.Value(string(out)))
		}
		switch m.Kind {
		case spec.MsgExec:
			execs = true
		case spec.MsgError:
			return &StartError{Container: c.name, Step: m.Step, Text: m.Text, Errno: syscall.Errno(m.Errno)}
		default:
			return fmt.Errorf("container %q: start: unexpected %s from init", c.name, quote.Value(string(out)))
		}
	}
	if !execs {
		return diedBeforeExec(c.name, "start", pidfd)
	}
	return nil
}

func (c *Container) start(op string, p *Process, wait bool) error {
	if p == nil {
		return invalid("process", "nil")
	}
	tr := newTracer(c.session.trace != nil)
	if err := p.validate(); err != nil {
		return err
	}
	if err := p.refuseEnterOnly(); err != nil {
		return err
	}
	return c.locked(func(rec *record, st State) error {
		tr.mark("lock and state")
		if st != Stopped {
			return &StateError{Container: c.name, Op: op, State: st}
		}
		c.reap()
		// What an earlier start left on the host goes before the new one.
		if err := c.undoStart(rec); err != nil {
			return err
		}
		cfg, data, err := c.storedConfig()
		if err != nil {
			return err
		}
		if err := cfg.validate(); err != nil {
			return err
		}
		if err := p.checkDeadlineCpus(cfg); err != nil {
			return err
		}
		// A launch only reads its config, so the hooks in it can serve
		// Start and Destroy for as long as the file does not change.
		c.rememberHooks(data, cfg.hookConfig())
		tr.mark("config")
		l := &launch{c: c, cfg: cfg, proc: p, wait: wait, trace: tr}
		defer l.undo.run()
		if err := l.run(); err != nil {
			return err
		}
		if !wait {
			// Before the release: a failure here undoes the start.
			if err := c.runPoststart(cfg.hookConfig(), l.pid); err != nil {
				return err
			}
		}
		l.undo.release()
		tr.report(c.session, c.name)
		return nil
	})
}

// launch is one start of a container, from the validated config to the
// recorded init. Everything it makes goes on undo first, so that a
// failure at any step leaves nothing behind.
type launch struct {
	c    *Container
	cfg  *Config
	proc *Process
	wait bool
	undo rollback
	// sock is the parent's end of the control socket.
	sock int
	pid  int
	// ids is how the maps of a new user namespace are written.
	ids *idMapping
	// listener is the seccomp notify listener the init handed over, when
	// the profile names no agent to forward it to (forwardListener).
	listener *os.File
	// entering tells that the process joins a running container
	// (Container.Enter) rather than starting it.
	entering bool
	// term is the process's pseudo-terminal, when it asked for one.
	term *terminal
	// cgroup is the container's cgroup, made for this start.
	cgroup cgroups.Manager
	// trace collects the phases of the start, when the session traces.
	trace *tracer
	// program is what the C init runs, or nil when the Go init starts
	// the container.
	program []byte
	// init is the init's process, once it is started.
	init *childProcess
	// intent is what the start last recorded it makes (intent.go).
	intent record
	// initInCgroup tells that the init gets into its cgroup without the
	// parent's Attach, whose writes of its pid each wait for an RCU
	// grace period.
	initInCgroup bool
	// clonedIntoCgroup is set when the init is cloned straight into the
	// container's cgroup, where Destroy finds it without a record of it.
	clonedIntoCgroup bool
}

func (l *launch) run() error {
	c, cfg := l.c, l.cfg
	rec := &record{PidNS: cfg.Namespaces.Has(NewPID)}
	hostMounts := !cfg.Namespaces.Has(NewMount) && (cfg.Private != "" || cfg.rootfsSpec().SharedMountNS)
	if _, joined := cfg.NamespacePaths[NewMount]; hostMounts && !joined {
		rec.HostMounts = cfg.Root
	}
	// What the start makes on the host is recorded before it is made, and
	// the record goes last when a failed start is undone.
	if err := l.planCgroup(rec); err != nil {
		return err
	}
	if recordsBeforeClone(rec) {
		if err := l.writeIntent(rec); err != nil {
			return err
		}
	}
	if hostMounts {
		// Mounts in the caller's mount namespace, under the root: made by
		// this start, undone by Destroy.
		root := cfg.Root
		l.undo.add(func() { rootfs.UnmountUnder(root) })
	}
	if cfg.Private != "" && !cfg.Namespaces.Has(NewMount) {
		if err := rootfs.BindPrivate(cfg.Private, cfg.Root); err != nil {
			return startError(c.name, "private", err)
		}
	}
	if cfg.Namespaces.Has(NewUser) {
		l.ids = newIDMapping(cfg)
	}
	if err := l.createCgroup(rec); err != nil {
		return err
	}
	l.trace.mark("cgroup")
	sp, err := l.spec()
	if err != nil {
		return err
	}
	sp.Trace = l.trace != nil
	l.trace.mark("spec")
	l.sock = -1
	proc, err := l.fork(sp)
	if l.sock >= 0 {
		defer unix.Close(l.sock)
	}
	if err != nil {
		return err
	}
	l.pid, l.init = proc.Pid, proc
	l.undo.add(func() {
		proc.Kill()
		proc.Wait()
	})
	if !l.clonedIntoCgroup {
		// Nothing else would lead a later Destroy to the init: its pid
		// goes on record before anything else happens with it.
		start, _, err := processStart(proc.Pid)
		if err != nil {
			return err
		}
		intent := *rec
		intent.Pid, intent.StartTime = proc.Pid, start
		if err := l.writeIntent(&intent); err != nil {
			return err
		}
	}
	l.trace.mark("clone")
	if l.cgroup != nil && !l.initInCgroup {
		if err := l.cgroup.Attach(proc.Pid); err != nil {
			return startError(c.name, "cgroup", err)
		}
	}
	// A move into a v1 cpuset by Attach sets the affinity on kernels
	// before 6.2: the start's own comes after it.
	if err := startAffinity(l.proc, proc.Pid); err != nil {
		return startError(c.name, "affinity", err)
	}
	if l.ids != nil {
		if err := l.ids.writeWithHelpers(proc.Pid); err != nil {
			return startError(c.name, "userns", err)
		}
	}
	if err := l.setupNetwork(rec); err != nil {
		return err
	}
	// The environment exists when the first hook runs: the container is
	// "created" as far as its hooks can tell. The document is made only
	// when a hook of the start will read it.
	if h := cfg.Hooks; len(h.Prestart)+len(h.CreateRuntime)+len(h.CreateContainer)+len(h.StartContainer) > 0 {
		sp.HookState = c.hookState(cfg.hookConfig(), specs.StateCreated, proc.Pid)
	}
	l.trace.mark("attach, id maps, network")
	sources, err := openMountSources(proc.Pid, sp)
	if err != nil {
		return startError(c.name, "rootfs", err)
	}
	err = l.converse(sp, sources)
	closeFiles(sources)
	if err != nil {
		if l.listener != nil {
			l.listener.Close()
		}
		return err
	}
	l.trace.mark("exec")
	start, alive, err := processStart(proc.Pid)
	if err != nil {
		return err
	}
	if !alive && l.wait {
		return &StartError{Container: c.name, Step: "prepare", Text: "init exited before start"}
	}
	rec.Pid, rec.StartTime = proc.Pid, start
	if err := c.dir.Write(stateFile, rec); err != nil {
		return err
	}
	l.trace.mark("state")
	ch := &child{proc: proc, listener: l.listener}
	if l.term != nil {
		if ch.console, err = l.term.handOver(l.proc); err != nil {
			return err
		}
	}
	c.mu.Lock()
	c.child = ch
	c.mu.Unlock()
	c.session.track(c)
	return nil
}

// spec builds the init's message from the config and the process.
func (l *launch) spec() (*spec.Init, error) {
	cfg, p := l.cfg, l.proc
	sp := &spec.Init{
		NewTimeNS:       cfg.Namespaces.Has(NewTime),
		MonotonicOffset: int64(cfg.TimeOffsets.Monotonic),
		BoottimeOffset:  int64(cfg.TimeOffsets.Boottime),
		LoopbackUp:      cfg.Namespaces.Has(NewNet),
		UnshareCgroupNS: cfg.Namespaces.Has(NewCgroup) && l.cgroup != nil,
		PreSwitchHooks:  len(cfg.Hooks.Prestart)+len(cfg.Hooks.CreateRuntime) > 0,
		CreateContainer: cfg.Hooks.CreateContainer,
		StartContainer:  cfg.Hooks.StartContainer,
		Reexec:          l.ids != nil && l.ids.reexecForCaps(),
		Rootfs:          *cfg.rootfsSpec(),
		Hostname:        cfg.Hostname,
		Domainname:      cfg.Domainname,
		Sysctl:          cfg.Sysctl,
		Process: spec.Process{
			Args:             p.Args,
			Func:             p.Func,
			FuncArg:          p.FuncArg,
			Env:              p.Env,
			Cwd:              p.Dir,
			User:             p.User,
			AdditionalGroups: p.AdditionalGroups,
			Pdeathsig:        int(p.Pdeathsig),
			ExtraFiles:       len(p.ExtraFiles),
			Terminal:         p.Terminal,
			Personality:      p.Personality,
			SetgroupsAllowed: l.setgroupsAllowed(),
		},
	}
	if p.Umask != nil {
		sp.Process.Umask, sp.Process.HasUmask = uint32(*p.Umask), true
	}
	if io := p.IOPriority; io != nil {
		sp.Process.IOPriority = io.Class<<13 | io.Level
	}
	if s := p.Scheduler; s != nil {
		sp.Process.Scheduler = &unix.SchedAttr{Policy: s.Policy, Flags: s.Flags, Nice: s.Nice, Priority: s.Priority,
			Runtime: s.Runtime, Deadline: s.Deadline, Period: s.Period}
	}
	if a := p.CPUAffinity; a != nil && a.Final != "" {
		set, err := parseCPUList(a.Final)
		if err != nil {
			return nil, invalid("process.cpuAffinity.final", "%v", err)
		}
		sp.Process.CPUAffinity = &set
	}
	if cfg.NotifySocket != "" {
		m, env, err := l.notifyMount(sp.Process.Env)
		if err != nil {
			return nil, err
		}
		sp.Rootfs.Mounts = append(slices.Clone(sp.Rootfs.Mounts), m)
		sp.Process.Env = env
	}
	if cfg.Options&CgroupSubmount != 0 && l.cgroup != nil {
		mounts := append([]Mount(nil), sp.Rootfs.Mounts...)
		sp.Rootfs.Mounts = append(mounts, cgroupSubmounts(l.cgroup, cfg.Namespaces.Has(NewCgroup))...)
	}
	planMountSources(sp)
	manageCaps := os.Geteuid() == 0 || cfg.hasNamespace(NewUser)
	if err := processSecurity(cfg, p, &sp.Process, manageCaps); err != nil {
		return nil, err
	}
	for _, rl := range p.Rlimits {
		res, _ := rlimitResource(rl.Type)
		sp.Process.Rlimits = append(sp.Process.Rlimits, spec.Rlimit{Resource: res, Soft: rl.Soft, Hard: rl.Hard})
	}
	return sp, nil
}

// namespaceRoot is the host uid and gid of root in the container's user
// namespace, new or joined, when it has one.
func (l *launch) namespaceRoot() (uid, gid int, ok bool) {
	if l.ids != nil {
		return hostIDOfRoot(l.ids.uids), hostIDOfRoot(l.ids.gids), true
	}
	path, joined := l.cfg.NamespacePaths[NewUser]
	if !joined {
		return 0, 0, false
	}
	var pid int
	if _, err := fmt.Sscanf(path, "/proc/%d/ns/user", &pid); err != nil {
		return 0, 0, false
	}
	uids, err1 := readIDMap(fmt.Sprintf("/proc/%d/uid_map", pid))
	gids, err2 := readIDMap(fmt.Sprintf("/proc/%d/gid_map", pid))
	if err1 != nil || err2 != nil {
		return 0, 0, false
	}
	return hostIDOfRoot(uids), hostIDOfRoot(gids), true
}

// setgroupsAllowed tells whether the init may call setgroups in its user
// namespace: a new one says so from its maps, a joined one in its
// owner's /proc/PID/setgroups.
func (l *launch) setgroupsAllowed() bool {
	if l.ids != nil {
		return l.ids.setgroupsAllowed()
	}
	path, joined := l.cfg.NamespacePaths[NewUser]
	if !joined {
		return true
	}
	var pid int
	if _, err := fmt.Sscanf(path, "/proc/%d/ns/user", &pid); err != nil {
		return true
	}
	return setgroupsAllowed(pid)
}

// rootfsSpec is the part of the config that package rootfs carries out.
func (c *Config) rootfsSpec() *rootfs.Spec {
	mountNS := c.Namespaces.Has(NewMount)
	shared := !mountNS && c.Root != "" && c.Options&SharedMounts != 0
	s := &rootfs.Spec{
		Root:          c.Root,
		Propagation:   c.RootPropagation,
		ReadOnly:      c.ReadOnlyRoot,
		Mounts:        c.Mounts,
		Devices:       c.Devices,
		MaskedPaths:   c.MaskedPaths,
		ReadonlyPaths: c.ReadonlyPaths,
		MountNS:       mountNS,
		NoPivot:       mountNS && c.Root != "" && c.Options&NoPivotRoot != 0,
		SharedMountNS: shared,
		UserNS:        c.hasNamespace(NewUser),
		MountProc:     (mountNS || shared) && c.hasNamespace(NewPID) && c.Options&NoAutoProc == 0,
		MinimalDev:    (mountNS || shared) && c.Root != "" && c.Options&NoMinimalDev == 0,
	}
	if mountNS {
		s.Private = c.Private
	}
	return s
}

// fork starts the init stage: the session's sealed binary, in the new
// namespaces, with the program's descriptors, then the control socket and
// the binary itself.
func (l *launch) fork(sp *spec.Init) (*childProcess, error) {
	c, cfg, p := l.c, l.cfg, l.proc
	self, err := c.session.sealedBinary()
	if err != nil {
		return nil, err
	}
	sock, childSock, err := controlSocket()
	if err != nil {
		return nil, err
	}
	l.sock = sock
	defer childSock.Close()

	files, closeNull, err := stdioFiles(p)
	if err != nil {
		return nil, err
	}
	defer closeNull()
	if l.wait {
		fifo, err := l.makeExecFifo()
		if err != nil {
			return nil, err
		}
		defer fifo.Close()
		sp.ExecFifo = len(files)
		files = append(files, fifo)
	}
	sockFD := len(files)
	files = append(files, childSock)
	// The binary is run through its descriptor in the child's own table,
	// which the descriptors above cannot shadow.
	selfFD := len(files)
	files = append(files, self)

	clone := cfg.Namespaces &^ NewTime
	if l.cgroup != nil {
		// A cgroup namespace made at clone would be rooted at the caller's
		// cgroup: the init makes it once it is in its own.
		clone &^= NewCgroup
	}
	attr := &syscall.SysProcAttr{
		Cloneflags: uintptr(clone),
		Setsid:     cfg.Options&NoSetsid == 0,
	}
	if l.cgroup != nil {
		dir, err := l.cgroup.OpenDir()
		if err != nil {
			return nil, startError(c.name, "cgroup", err)
		}
		if dir != nil {
			defer dir.Close()
			attr.UseCgroupFD, attr.CgroupFD = true, int(dir.Fd())
			l.clonedIntoCgroup = true
		}
	}
	if p.Terminal {
		if cfg.Options&NoSetsid != 0 {
			return nil, invalid("process.terminal", "a controlling terminal needs a new session, and the container has NoSetsid")
		}
		if cfg.insideTerminal() {
			l.term = &terminal{}
			sp.Process.TerminalInside, sp.Process.ConsoleBind = true, true
			sp.Rootfs.Console = sp.Rootfs.MinimalDev
			if p.ConsoleSize != nil {
				sp.Process.ConsoleRows, sp.Process.ConsoleCols = p.ConsoleSize.Rows, p.ConsoleSize.Cols
			}
			sp.Process.ConsoleRawOutput = p.ConsoleRawOutput
		} else {
			t, err := openTerminal(p)
			if err != nil {
				return nil, err
			}
			l.term = t
			t.attach(files, attr)
		}
		l.undo.add(l.term.close)
	}
	if l.ids != nil {
		l.ids.apply(attr)
	}
	stage := cfg.joinsInStage()
	// The C init moves itself into the v1 hierarchies (see cinit's
	// compile; the Go init ignores the list). In a new user namespace it
	// cannot: the host's cgroup files are not its namespace's to write,
	// and the parent attaches it.
	joinsItself := l.cgroup != nil && !stage && !cfg.Namespaces.Has(NewUser)
	if joinsItself {
		sp.CgroupJoin = l.cgroup.V1Dirs()
	}
	l.program, _ = l.compile(sp)
	if l.program == nil {
		if err := refuseFuncImage(&sp.Process, sp.Rootfs.Root != "", func() string { return l.refusal(sp) }); err != nil {
			return nil, err
		}
	}
	if stage {
		attr.Cloneflags = 0
		return l.forkThroughStage(files, selfFD, sockFD, clone, attr)
	}
	// The C init moves itself into the v1 cgroups, and the clone puts
	// it into the unified one (OpenDir): the parent has nothing to write.
	l.initInCgroup = l.program != nil && joinsItself
	arg0 := initstage.Arg0
	if l.program != nil {
		arg0 = cinit.Arg0
	}
	var proc *childProcess
	err = startInNamespaces(cfg.NamespacePaths, func() error {
		var err error
		proc, err = startProcess("/proc/self/fd/"+strconv.Itoa(selfFD),
			[]string{arg0, strconv.Itoa(sockFD)}, files, initEnv(), attr)
		return err
	})
	if err != nil {
		return nil, startError(c.name, "clone", err)
	}
	return proc, nil
}

// compile makes the program of the C init, when the start needs nothing
// only the Go init does.
func (l *launch) compile(sp *spec.Init) ([]byte, bool) {
	if goInitForced() {
		return nil, false
	}
	return cinit.Compile(sp)
}

// refusal says why compile made no program of sp.
func (l *launch) refusal(sp *spec.Init) string {
	if goInitForced() {
		return "LIBCT_INIT=go"
	}
	return cinit.Refusal(sp)
}

// refuseFuncImage refuses a registered function that the Go init would
// have to start in a container with a root, from a dynamically linked
// binary. The Go init runs a function in a new image of the binary,
// executed inside the container's root (so that every thread of it gets
// the container's credentials and filter), and that image's loader and
// libraries are the host's. The C init needs none: it sets the container
// up before the Go runtime starts and lets it run the function in the
// same image. why says what sent the start to the Go init.
func refuseFuncImage(p *spec.Process, hasRoot bool, why func() string) error {
	if p.Func == "" || !hasRoot || !selfDynamic() {
		return nil
	}
	return invalid("process.func", "function %s: this start needs the Go init (%s), which cannot run a function in a container's root from a dynamically linked binary: link the binary statically (see the README)", quote.Value(p.Func), why())
}

// goInitForced tells whether LIBCT_INIT=go in the caller's environment
// sends every start and every entered process through the Go init: to
// tell whether a problem is the C init's, and for the tests that compare
// the two.
func goInitForced() bool { return os.Getenv("LIBCT_INIT") == "go" }

// joinsInStage tells whether the init must start through the enter
// stage: it joins a user, mount or time namespace.
func (c *Config) joinsInStage() bool {
	for ns := range c.NamespacePaths {
		if joinableStage.Has(ns) {
			return true
		}
	}
	return false
}

// forkThroughStage starts the init through the enter stage: it joins every
// namespace of NamespacePaths (the user namespace after the others it can
// join, see package nsenter), then makes the new ones inside them, and
// forks into a new or joined pid namespace with the caller as parent.
func (l *launch) forkThroughStage(files []*os.File, selfFD, sockFD int, clone Namespaces, attr *syscall.SysProcAttr) (*childProcess, error) {
	c, cfg := l.c, l.cfg
	var list []string
	for _, n := range namespaceNames {
		path, ok := cfg.NamespacePaths[n.ns]
		if !ok {
			continue
		}
		f, err := os.Open(path)
		if err != nil {
			return nil, invalid(fmt.Sprintf("namespacePaths[%s]", n.name), "%s: %v", quote.Value(path), err)
		}
		defer f.Close()
		list = append(list, strconv.FormatUint(uint64(n.ns), 10)+":"+strconv.Itoa(len(files)))
		files = append(files, f)
	}
	_, joinsPID := cfg.NamespacePaths[NewPID]
	_, joinsTime := cfg.NamespacePaths[NewTime]
	fork := "nofork"
	if joinsPID || joinsTime || clone.Has(NewPID) {
		fork = "fork"
	}
	arg0 := nsenter.Arg0
	if l.program != nil {
		arg0 = nsenter.Arg0CInit
	}
	args := []string{arg0, strconv.Itoa(sockFD), strings.Join(list, ","), fork, strconv.FormatUint(uint64(clone), 10)}
	stage, err := startProcess("/proc/self/fd/"+strconv.Itoa(selfFD), args, files, initEnv(), attr)
	if err != nil {
		return nil, startError(c.name, "clone", err)
	}
	if fork == "nofork" {
		return stage, nil
	}
	pid, err := readForkedPid(l.sock, c.name)
	stage.Wait()
	if err != nil {
		return nil, err
	}
	return adoptProcess(pid)
}

// controlSocket makes the socket pair over which the parent and the init
// stage talk: the parent's end, and the child's as a file to hand over.
func controlSocket() (int, *os.File, error) {
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_SEQPACKET|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return -1, nil, fmt.Errorf("socketpair: %w", err)
	}
	return fds[0], os.NewFile(uintptr(fds[1]), "libct-init-socket"), nil
}

// makeExecFifo creates the fifo that holds a prepared init until Start,
// and opens it O_PATH for the init to reopen later.
func (l *launch) makeExecFifo() (*os.File, error) {
	path := l.c.dir.File(execFifo)
	if err := unix.Mkfifo(path, 0o600); err != nil {
		return nil, fmt.Errorf("container %q: exec fifo: %w", l.c.name, err)
	}
	l.undo.add(func() { os.Remove(path) })
	// The init reopens the fifo as the root of its user namespace, which
	// may be another user on the host.
	if uid, gid, ok := l.namespaceRoot(); ok {
		if err := os.Chown(path, uid, gid); err != nil {
			return nil, fmt.Errorf("container %q: exec fifo: %w", l.c.name, err)
		}
	}
	fd, err := unix.Open(path, unix.O_PATH|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("container %q: exec fifo: %w", l.c.name, err)
	}
	return os.NewFile(uintptr(fd), path), nil
}

// converse sends the spec in one write and serves the init until it
// execs (the socket closes), is ready to start, runs a function, or fails.
func (l *launch) converse(sp *spec.Init, sources []*os.File) error {
	data := l.program
	if data == nil {
		var err error
		if data, err = json.Marshal(sp); err != nil {
			return err
		}
	}
	idmapped, err := l.idmappedMounts(sp.Rootfs.Mounts)
	if err != nil {
		return err
	}
	defer closeIDMapped(idmapped)
	if err := sendSpec(l.sock, data, sources); err != nil {
		return fmt.Errorf("container %q: send spec of %d bytes: %w", l.c.name, len(data), err)
	}
	if err := l.sendIDMapped(idmapped); err != nil {
		return err
	}
	// The init's messages are small: its error texts are bounded (the C
	// init's vfail, the Go init's conn.fail).
	buf := make([]byte, 64<<10)
	oob := make([]byte, unix.CmsgSpace(4))
	execs := false
	for {
		n, oobn, _, _, err := unix.Recvmsg(l.sock, buf, oob, unix.MSG_CMSG_CLOEXEC|unix.MSG_TRUNC)
		if err == unix.EINTR {
			continue
		}
		if err == unix.ECONNRESET {
			return diedBeforeExec(l.c.name, "init", l.init.pidfd)
		}
		if err != nil {
			return fmt.Errorf("container %q: read init: %w", l.c.name, err)
		}
		if n == 0 {
			if !execs {
				return diedBeforeExec(l.c.name, "init", l.init.pidfd)
			}
			return nil // the socket closed on exec
		}
		fds := security.ReceivedFds(oob[:oobn])
		if n > len(buf) {
			closeFDs(fds)
			return fmt.Errorf("container %q: read init: a message of %d bytes, longer than the %d expected", l.c.name, n, len(buf))
		}
		m, err := spec.DecodeMessage(buf[:n])
		if err != nil {
			closeFDs(fds)
			return fmt.Errorf("container %q: read init: %w", l.c.name, err)
		}
		if err := l.adopt(m.Kind, fds); err != nil {
			return err
		}
		switch m.Kind {
		case spec.MsgError:
			return &StartError{Container: l.c.name, Step: m.Step, Text: m.Text, Errno: syscall.Errno(m.Errno)}
		case spec.MsgReady:
			return nil
		case spec.MsgExec:
			execs = true
		case spec.MsgFuncCalled, spec.MsgListener, spec.MsgConsole:
			// Wait for the close on exec (or a later failure).
		case spec.MsgPreMount, spec.MsgPostMount:
			if err := l.reply(l.runAction(m.Kind, m.Index)); err != nil {
				return err
			}
		case spec.MsgIDMapMount:
			f, err := l.idmapInRoot(sp.Rootfs.Mounts, m.Index)
			if err := l.replyIDMapped(f, err); err != nil {
				return err
			}
		case spec.MsgTrace:
			l.trace.initPhases(m.Points)
		case spec.MsgPreSwitch:
			if err := l.reply(l.runPreSwitchHooks(sp.HookState)); err != nil {
				return err
			}
		default:
			return fmt.Errorf("container %q: unexpected message %q from init", l.c.name, m.Kind)
		}
	}
}

// runPreSwitchHooks runs the hooks of the caller's namespaces that come
// before the container's root is switched: prestart, then createRuntime.
func (l *launch) runPreSwitchHooks(state []byte) error {
	if err := runtimeHooks("prestart", l.cfg.Bundle).Run(l.cfg.Hooks.Prestart, state); err != nil {
		return err
	}
	return runtimeHooks("createRuntime", l.cfg.Bundle).Run(l.cfg.Hooks.CreateRuntime, state)
}

func closeFDs(fds []int) {
	for _, fd := range fds {
		unix.Close(fd)
	}
}

// adopt keeps the descriptor a message of the init carried: the seccomp
// notify listener, or the master of the terminal it opened.
func (l *launch) adopt(kind string, fds []int) error {
	if len(fds) == 0 {
		return nil
	}
	defer closeFDs(fds[1:])
	switch {
	case kind == spec.MsgListener && l.listener == nil:
		// The init may already wait in a notified syscall: the agent
		// gets the listener now, not after the exec.
		return l.forwardListener(os.NewFile(uintptr(fds[0]), "seccomp-listener"))
	case kind == spec.MsgConsole && l.term != nil && l.term.master == nil:
		return l.term.takeMaster(fds[0])
	default:
		unix.Close(fds[0])
	}
	return nil
}

// maxReplyText bounds the error text of a reply to the init.
const maxReplyText = 4096

func (l *launch) reply(actionErr error) error {
	var r spec.Reply
	if actionErr != nil {
		// Bounded, as the init's own error texts are: it quotes the
		// action's output, which may be long, and a datagram is bounded.
		r.Error = quote.Text(actionErr.Error(), maxReplyText)
	}
	data, _ := json.Marshal(&r)
	if _, err := unix.Write(l.sock, data); err != nil {
		if err == unix.EPIPE || err == unix.ECONNRESET {
			return diedBeforeExec(l.c.name, "init", l.init.pidfd)
		}
		return fmt.Errorf("container %q: answer init: %w", l.c.name, err)
	}
	return nil
}

// runAction runs a mount's pre- or post-action on the host.
func (l *launch) runAction(kind string, i int) error {
	if i < 0 || i >= len(l.cfg.Mounts) {
		return fmt.Errorf("mounts[%d]: no such mount", i)
	}
	m := l.cfg.Mounts[i]
	argv := m.PreAction
	if kind == spec.MsgPostMount {
		argv = m.PostAction
	}
	if len(argv) == 0 {
		return nil
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = append(os.Environ(),
		"LIBCT_PID="+strconv.Itoa(l.pid),
		"LIBCT_ROOT="+l.cfg.Root,
		"LIBCT_MOUNT_SOURCE="+m.Source,
		"LIBCT_MOUNT_DESTINATION="+m.Destination)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s: %w: %s", quote.Values(argv), err, bytes.TrimSpace(out))
	}
	return nil
}

// rollback undoes, in reverse order, the steps of a start that failed.
type rollback struct {
	steps []func()
}

func (r *rollback) add(step func()) { r.steps = append(r.steps, step) }

// release keeps everything: the start succeeded.
func (r *rollback) release() { r.steps = nil }

func (r *rollback) run() {
	for i := len(r.steps) - 1; i >= 0; i-- {
		r.steps[i]()
	}
	r.steps = nil
}

// stdioFiles lists the descriptors a process gets from 0 up: its standard
// streams, /dev/null for those not given, and its extra files. The
// returned function closes the /dev/null it opened.
func stdioFiles(p *Process) ([]*os.File, func(), error) {
	files := []*os.File{p.Stdin, p.Stdout, p.Stderr}
	var null *os.File
	for i, f := range files {
		if f != nil {
			continue
		}
		if null == nil {
			var err error
			if null, err = os.OpenFile(os.DevNull, os.O_RDWR, 0); err != nil {
				return nil, nil, err
			}
		}
		files[i] = null
	}
	closeNull := func() {
		if null != nil {
			null.Close()
		}
	}
	return append(files, p.ExtraFiles...), closeNull, nil
}
