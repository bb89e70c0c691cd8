package libct

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"

	"github.com/containerd/console"
	"golang.org/x/sys/unix"

	"github.com/libct/libct/cgroups"
	"github.com/libct/libct/internal/cinit"
	"github.com/libct/libct/internal/faultpoint"
	"github.com/libct/libct/internal/nsenter"
	"github.com/libct/libct/internal/spec"
	"github.com/libct/libct/internal/sysfile"
	"github.com/libct/libct/rootfs"
)

// Task is a process started in a live container by Enter (libct's
// enter_execve and enter_cb).
type Task struct {
	proc     *childProcess
	listener *os.File
	console  console.Console
	once     sync.Once
	st       ExitStatus
	err      error
}

// Pid is the task's pid as the caller sees it.
func (t *Task) Pid() int { return t.proc.Pid }

// Wait blocks until the task exits and returns how.
func (t *Task) Wait() (ExitStatus, error) {
	t.once.Do(func() {
		ws, err := t.proc.Wait()
		if err != nil {
			t.err = err
			return
		}
		t.st = exitStatusOf(ws)
	})
	return t.st, t.err
}

// SeccompListener hands over the task's seccomp notify listener, as
// Container.SeccompListener does.
func (t *Task) SeccompListener() *os.File {
	l := t.listener
	t.listener = nil
	return l
}

// Console is the master of the task's terminal (Process.Terminal).
func (t *Task) Console() console.Console { return t.console }

// Signal sends sig to the task.
func (t *Task) Signal(sig syscall.Signal) error { return t.proc.Signal(sig) }

// Enter starts p inside the container, which must be running or created:
// the process joins every namespace the container has (the user namespace
// after the others, but for those only its privileges reach), its root
// and working directory, and becomes the program, or runs p.Func. In a
// pid namespace it is forked there with the caller as its parent, so the
// caller reaps it (Task.Wait).
//
// Joining user, mount and time namespaces needs a single-threaded process:
// the enter stage does it in C before the Go runtime starts (package
// internal/nsenter), which needs a cgo build. Without cgo, Enter works for
// containers whose namespaces are only of the other kinds, and refuses the
// others with an error that errors.Is(err, ErrNoEnterStage), before it
// starts anything.
func (c *Container) Enter(p *Process) (*Task, error) {
	return c.enter(p, true)
}

// EnterDetached is Enter for a caller that leaves the process to be
// reaped by someone else (its subreaper, once the caller exits, as an OCI
// runtime's exec --detach does): the returned task is never waited for
// here, so its exit status stays for that reaper.
func (c *Container) EnterDetached(p *Process) (*Task, error) {
	return c.enter(p, false)
}

func (c *Container) enter(p *Process, reap bool) (*Task, error) {
	if p == nil {
		return nil, invalid("process", "nil")
	}
	if err := p.validate(); err != nil {
		return nil, err
	}
	var (
		task   *Task
		paused *record
	)
	err := c.locked(func(rec *record, st State) error {
		if st == Paused && p.EnterPaused {
			// The process stays frozen until Resume, which needs this
			// lock: it is started without it.
			paused = rec
			return nil
		}
		if st != Running && st != Created {
			return &StateError{Container: c.name, Op: "enter", State: st}
		}
		var err error
		task, err = c.enterWith(rec, p, reap)
		return err
	})
	if err == nil && paused != nil {
		task, err = c.enterWith(paused, p, reap)
	}
	return task, err
}

// enterWith starts p in the container whose record is rec.
func (c *Container) enterWith(rec *record, p *Process, reap bool) (*Task, error) {
	cfg, err := c.Config()
	if err != nil {
		return nil, err
	}
	if err := p.checkDeadlineCpus(cfg); err != nil {
		return nil, err
	}
	faultpoint.Hit("exec: locked")
	e := &entry{c: c, cfg: cfg, rec: rec, proc: p}
	defer e.undo.run()
	task, err := e.run(reap)
	if err != nil {
		return nil, err
	}
	faultpoint.Hit("exec: started")
	e.undo.release()
	return task, nil
}

// entry is one Enter: like a launch, but into namespaces that exist.
type entry struct {
	c    *Container
	cfg  *Config
	rec  *record
	proc *Process
	undo rollback
}

// nsJoin is one namespace to join: its clone flag and an open fd of it.
type nsJoin struct {
	ns Namespaces
	fd *os.File
}

// namespacesToJoin opens the init's namespaces that differ from the
// caller's, in the order they must be joined.
func (e *entry) namespacesToJoin() ([]nsJoin, error) {
	var joins []nsJoin
	for _, n := range namespaceNames {
		if _, held := e.rec.HeldNamespaces[n.name]; !held && len(e.rec.HeldNamespaces) > 0 {
			continue // taskless: only what it holds is its own
		}
		theirs, err := e.c.namespacePath(e.rec, Running, n.name)
		if err != nil {
			return nil, err
		}
		ours := "/proc/self/ns/" + n.name
		if n.ns == NewPID || n.ns == NewTime {
			// What the caller's children would get is what counts.
			ours += "_for_children"
		}
		same, err := sameNamespace(theirs, ours)
		if err != nil {
			return nil, err
		}
		if same {
			continue
		}
		f, err := os.Open(theirs)
		if err != nil {
			return nil, fmt.Errorf("container %q: open %s namespace: %w", e.c.name, n.name, err)
		}
		e.undo.add(func() { f.Close() })
		joins = append(joins, nsJoin{n.ns, f})
	}
	return joins, nil
}

// sameNamespace reports whether the namespace files a and b are one
// namespace. /proc/PID/ns links are compared by their text
// ("net:[4026531840]": type and inode in the one nsfs file system) rather
// than stat(2)ed, which makes the kernel an inode for each one it follows;
// a namespace file bound elsewhere (a taskless container's) is no link,
// and is stat(2)ed.
func sameNamespace(a, b string) (bool, error) {
	la, errA := os.Readlink(a)
	lb, errB := os.Readlink(b)
	if errA == nil && errB == nil {
		return la == lb, nil
	}
	return sameFile(a, b)
}

func sameFile(a, b string) (bool, error) {
	var sa, sb unix.Stat_t
	if err := unix.Stat(a, &sa); err != nil {
		return false, fmt.Errorf("%s: %w", a, err)
	}
	if err := unix.Stat(b, &sb); err != nil {
		return false, fmt.Errorf("%s: %w", b, err)
	}
	return sa.Dev == sb.Dev && sa.Ino == sb.Ino, nil
}

func (e *entry) run(reap bool) (_ *Task, err error) {
	c, p := e.c, e.proc
	joins, err := e.namespacesToJoin()
	if err != nil {
		return nil, err
	}
	needsStage, fork := false, false
	for _, j := range joins {
		switch j.ns {
		case NewUser, NewMount, NewTime:
			needsStage = true
		}
		if j.ns == NewPID || j.ns == NewTime {
			fork = true
		}
	}
	if needsStage && !nsenter.Available {
		return nil, fmt.Errorf("container %q: enter: %w", c.name, ErrNoEnterStage)
	}
	self, err := c.session.sealedBinary()
	if err != nil {
		return nil, err
	}
	sock, childSock, err := controlSocket()
	if err != nil {
		return nil, err
	}
	defer func() {
		// A failed process is killed before it sees its socket close,
		// which it would report on the caller's stderr.
		if err != nil {
			e.undo.run()
		}
		unix.Close(sock)
	}()
	// Closed as soon as the stage has it: the parent must see the socket
	// close when the program execs.
	defer childSock.Close()

	files, closeNull, err := stdioFiles(p)
	if err != nil {
		return nil, err
	}
	defer closeNull()
	attr := &syscall.SysProcAttr{Setsid: e.cfg.Options&NoSetsid == 0}
	var term *terminal
	inside := p.Terminal && e.cfg.insideTerminal()
	if p.Terminal && !inside {
		if term, err = openTerminal(p); err != nil {
			return nil, err
		}
		e.undo.add(term.close)
		term.attach(files, attr)
	}
	if inside {
		term = &terminal{}
		e.undo.add(term.close)
	}
	sockFD := len(files)
	files = append(files, childSock)
	var list []string
	m, err := c.cgroupOf(e.rec)
	if err != nil {
		return nil, err
	}
	// With the stage, the process gets into the container's cgroup
	// without the parent's Attach, whose writes of its pid to
	// cgroup.procs each wait for an RCU grace period: the clone puts the
	// stage into the unified cgroup, and the stage, one thread, moves
	// itself into the v1 ones ("0" to each tasks file, opened here)
	// before it joins any namespace. Its fork inherits them.
	// A process bound for sub-cgroups is moved there by the parent,
	// whose writes name the directory that refused it.
	var subDirs []string
	if m != nil && len(p.SubCgroups) > 0 {
		if subDirs, err = subCgroupDirs(m.State(), p.SubCgroups); err != nil {
			return nil, err
		}
	}
	staged := m != nil && nsenter.Available && subDirs == nil
	if staged {
		dir, err := m.OpenDir()
		if err != nil {
			return nil, startError(c.name, "cgroup", err)
		}
		if dir != nil {
			defer dir.Close()
			attr.UseCgroupFD, attr.CgroupFD = true, int(dir.Fd())
		}
		for _, d := range m.V1Dirs() {
			f, err := os.OpenFile(filepath.Join(d, "tasks"), os.O_WRONLY, 0)
			if err != nil {
				return nil, startError(c.name, "cgroup", err)
			}
			defer f.Close()
			list = append(list, nsenter.CgroupTasks+":"+strconv.Itoa(len(files)))
			files = append(files, f)
		}
	}
	if nsenter.Available {
		for _, j := range joins {
			list = append(list, strconv.FormatUint(uint64(j.ns), 10)+":"+strconv.Itoa(len(files)))
			files = append(files, j.fd)
		}
	}
	selfFD := len(files)
	files = append(files, self)
	ps, err := e.processSpec()
	if err != nil {
		return nil, err
	}
	if inside {
		ps.TerminalInside = true
		if p.ConsoleSize != nil {
			ps.ConsoleRows, ps.ConsoleCols = p.ConsoleSize.Rows, p.ConsoleSize.Cols
		}
		ps.ConsoleRawOutput = p.ConsoleRawOutput
	}
	sp := &spec.Init{Process: ps}
	if !e.cfg.Namespaces.Has(NewMount) && e.cfg.Root != "" {
		// Without a mount namespace there is no root to inherit by setns.
		sp.Rootfs = rootfs.Spec{Root: e.cfg.Root}
	}
	arg0 := nsenter.Arg0
	program, ok := e.compile(sp)
	if ok {
		arg0 = nsenter.Arg0CInit
	} else if err := refuseFuncImage(&ps, e.cfg.Root != "", func() string { return e.refusal(sp) }); err != nil {
		return nil, err
	}
	args := []string{arg0, strconv.Itoa(sockFD), strings.Join(list, ",")}
	if fork && nsenter.Available {
		args = append(args, "fork")
	}
	var stageProc *childProcess
	start := func() error {
		proc, err := startProcess("/proc/self/fd/"+strconv.Itoa(selfFD), args, files, initEnv(), attr)
		if err != nil {
			return err
		}
		e.undo.add(func() { proc.Kill(); proc.Wait() })
		stageProc = proc
		return nil
	}
	if !nsenter.Available {
		// Without the stage, the parent joins on a locked thread what a
		// multi-threaded process may join.
		paths := map[Namespaces]string{}
		for _, j := range joins {
			paths[j.ns] = j.fd.Name()
		}
		err = startInNamespaces(paths, start)
	} else {
		err = start()
		if errors.Is(err, unix.EBUSY) && attr.UseCgroupFD {
			var dir *os.File
			if dir, err = e.initCgroupDir(m); dir != nil {
				defer dir.Close()
				attr.CgroupFD = int(dir.Fd())
				err = start()
			}
		}
	}
	childSock.Close()
	if err != nil {
		return nil, startError(c.name, "clone", err)
	}
	proc := stageProc
	if fork && nsenter.Available {
		if proc, err = e.awaitForked(sock, stageProc); err != nil {
			return nil, err
		}
	}
	switch {
	case subDirs != nil:
		if err := attachToDirs(proc.Pid, subDirs); err != nil {
			return nil, startError(c.name, "cgroup", err)
		}
	case m != nil && !staged:
		if err := m.Attach(proc.Pid); err != nil {
			if !errors.Is(err, unix.EBUSY) {
				return nil, startError(c.name, "cgroup", err)
			}
			dir, ierr := initUnifiedCgroup(m.State(), e.rec.Pid)
			if dir == "" || ierr != nil {
				return nil, startError(c.name, "cgroup", err)
			}
			if err := attachToDirs(proc.Pid, append([]string{dir}, m.V1Dirs()...)); err != nil {
				return nil, startError(c.name, "cgroup", err)
			}
		}
	}
	// The process waits for its spec, sent below, before it runs
	// anything of its own: its affinity is set in time.
	if err := startAffinity(p, proc.Pid); err != nil {
		return nil, startError(c.name, "affinity", err)
	}
	l := &launch{c: c, cfg: e.cfg, proc: p, sock: sock, pid: proc.Pid, init: proc, term: term, program: program, entering: true}
	if err := l.converse(sp, nil); err != nil {
		if l.listener != nil {
			l.listener.Close()
		}
		return nil, err
	}
	task := &Task{proc: proc, listener: l.listener}
	if term != nil {
		if task.console, err = term.handOver(p); err != nil {
			return nil, err
		}
	}
	// Reap the task as soon as it exits, whether or not the caller ever
	// waits: in a pid namespace the container's dying init waits until
	// every process of the namespace is reaped, this one included, so a
	// zombie task would hang the container's own end (and Wait on it).
	if reap {
		go task.Wait()
	}
	return task, nil
}

// initCgroupDir opens the init's unified cgroup for a clone that the
// container's own refused with EBUSY (see initUnifiedCgroup); with no
// such cgroup it returns nil and the clone's EBUSY.
func (e *entry) initCgroupDir(m cgroups.Manager) (*os.File, error) {
	dir, err := initUnifiedCgroup(m.State(), e.rec.Pid)
	if err != nil {
		return nil, err
	}
	if dir == "" {
		return nil, unix.EBUSY
	}
	fd, err := unix.Open(dir, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", dir, err)
	}
	return os.NewFile(uintptr(fd), dir), nil
}

// compile makes the program of the C init for the entered process, when
// the enter stage is there to run it and the process needs nothing only
// the Go init does (see launch.compile).
func (e *entry) compile(sp *spec.Init) ([]byte, bool) {
	if !nsenter.Available || e.rec.Pid == 0 || goInitForced() {
		return nil, false
	}
	return cinit.CompileEnter(sp, "/proc/"+strconv.Itoa(e.rec.Pid)+"/root")
}

// refusal says why compile made no program of sp.
func (e *entry) refusal(sp *spec.Init) string {
	switch {
	case !nsenter.Available:
		return "the enter stage is not linked in (a build without cgo)"
	case e.rec.Pid == 0:
		return "the container has no init to enter through"
	case goInitForced():
		return "LIBCT_INIT=go"
	}
	return cinit.EnterRefusal(sp, "/proc/"+strconv.Itoa(e.rec.Pid)+"/root")
}

// awaitForked reads the pid of the process the enter stage forked into the
// pid namespace, reaps the stage, and adopts the child.
func (e *entry) awaitForked(sock int, stage *childProcess) (*childProcess, error) {
	pid, err := readForkedPid(sock, e.c.name)
	stage.Wait()
	if err != nil {
		return nil, err
	}
	proc, err := adoptProcess(pid)
	if err != nil {
		return nil, err
	}
	e.undo.add(func() { proc.Kill(); proc.Wait() })
	return proc, nil
}

// readForkedPid reads the enter stage's report of the pid of the child it
// forked, or of its failure.
func readForkedPid(sock int, name string) (int, error) {
	buf := make([]byte, 512)
	n, err := unix.Read(sock, buf)
	if err != nil || n == 0 {
		return 0, fmt.Errorf("container %q: enter stage: no pid: %v", name, err)
	}
	m, err := spec.DecodeMessage(buf[:n])
	if err != nil {
		return 0, fmt.Errorf("container %q: enter stage: %w", name, err)
	}
	if m.Kind == spec.MsgError {
		return 0, &StartError{Container: name, Step: m.Step, Text: m.Text, Errno: syscall.Errno(m.Errno)}
	}
	if m.Kind != nsenter.MsgPID || m.Index <= 0 {
		return 0, fmt.Errorf("container %q: enter stage: unexpected %q", name, m.Kind)
	}
	return m.Index, nil
}

// processSpec is the spec of the entered process.
func (e *entry) processSpec() (spec.Process, error) {
	l := &launch{c: e.c, cfg: e.cfg, proc: e.proc}
	sp, err := l.spec()
	if err != nil {
		return spec.Process{}, err
	}
	sp.Process.SetgroupsAllowed = e.rec.Pid == 0 || setgroupsAllowed(e.rec.Pid)
	return sp.Process, nil
}

// setgroupsAllowed reads whether the user namespace of pid lets its
// processes call setgroups.
func setgroupsAllowed(pid int) bool {
	data, err := sysfile.ReadPseudo("/proc/" + strconv.Itoa(pid) + "/setgroups")
	return err != nil || strings.TrimSpace(string(data)) == "allow"
}
