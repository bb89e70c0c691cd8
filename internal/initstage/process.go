package initstage

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/libct/libct/internal/quote"
	"github.com/libct/libct/internal/spec"
	"github.com/libct/libct/security"
)

// process is a spec.Process resolved against the container's own files:
// the user and groups from its /etc/passwd and /etc/group, the program
// from its PATH.
type process struct {
	spec *spec.Process
	path string
	fn   Func
	// self is an fd of this binary, to run fn in a new image of it.
	self int
	env  []string
	uid  int
	gid  int
	// groups is nil when setgroups must not be called.
	groups []int
	// filtered tells that the seccomp filter is installed already
	// (installSeccomp).
	filtered bool
}

// prepareProcess resolves what can fail for a reason the user can fix, so
// that the error reaches the parent before the container is reported
// created.
func prepareProcess(p *spec.Process, lookup Lookup) (*process, error) {
	r := &process{spec: p}
	cred, err := spec.ResolveUser(p, openInContainer)
	if err != nil {
		return nil, inStep("user", err)
	}
	r.uid, r.gid, r.groups = cred.UID, cred.GID, cred.Groups
	r.env = spec.Environ(p.Env, cred.Home)
	if err := checkCwd(p.Cwd); err != nil {
		return nil, inStep("cwd", err)
	}
	if p.Func != "" {
		fn, ok := lookup(p.Func)
		if !ok {
			return nil, inStep("func", fmt.Errorf("process.func %s: not registered in this binary", quote.Value(p.Func)))
		}
		r.fn = fn
		return r, nil
	}
	path, err := lookPath(p.Args[0], r.env, spec.ExecUserOf(p, cred))
	if err != nil {
		return nil, inStep("exec", err)
	}
	r.path = path
	return r, nil
}

// openInContainer opens a file of the container: the init's root is the
// container's by now.
func openInContainer(path string) (io.Reader, func()) {
	f, err := os.Open(path)
	if err != nil {
		return nil, func() {}
	}
	return f, func() { f.Close() }
}

// checkCwd makes sure the working directory exists, so that a missing one
// is reported before the container is reported created; whether the
// program's user may enter it is known only once it is that user.
func checkCwd(cwd string) error {
	if cwd == "" {
		return nil
	}
	var st unix.Stat_t
	if err := unix.Stat(cwd, &st); err != nil {
		return fmt.Errorf("process.cwd %s: %w", quote.Value(cwd), err)
	}
	if st.Mode&unix.S_IFMT != unix.S_IFDIR {
		return fmt.Errorf("process.cwd %s: %w", quote.Value(cwd), unix.ENOTDIR)
	}
	return nil
}

// lookPath finds file in the PATH of the container's environment, as
// execvp would as user, and checks that what it found can be executed.
func lookPath(file string, env []string, user *spec.ExecUser) (string, error) {
	if strings.Contains(file, "/") {
		return file, executable(file, user)
	}
	for _, dir := range filepath.SplitList(spec.SearchPath(env)) {
		if dir == "" {
			dir = "."
		}
		candidate := filepath.Join(dir, file)
		if executable(candidate, user) == nil {
			return candidate, nil
		}
	}
	return "", fmt.Errorf("exec %s: executable file not found in $PATH", quote.Value(file))
}

func executable(path string, user *spec.ExecUser) error {
	var st unix.Stat_t
	if err := unix.Stat(path, &st); err != nil {
		return fmt.Errorf("exec %s: %w", quote.Value(path), err)
	}
	if st.Mode&unix.S_IFMT == unix.S_IFDIR {
		return fmt.Errorf("exec %s: %w", quote.Value(path), unix.EISDIR)
	}
	if st.Mode&0o111 == 0 {
		return fmt.Errorf("exec %s: %w", quote.Value(path), unix.EACCES)
	}
	if err := execAccess(path, user); err != nil {
		return fmt.Errorf("exec %s: %w", quote.Value(path), err)
	}
	return nil
}

// become turns the init into the program: limits, umask, working
// directory, credentials, security, then exec (or the registered
// function). The order is package security's: the OOM score and the
// bounding set need privileges the final sets may lack, the working
// directory is entered as root before the uid changes (as runc does: one
// only root may enter serves; as the user when root was refused), the
// uid changes with the permitted set kept, the parent-death signal comes
// after the change of credentials that resets it, and the seccomp filter
// is the very last step unless the program keeps no right to install it
// (then it goes in before the uid changes, as runc does).
func (r *process) become(c *conn) error {
	p := r.spec
	for _, rl := range p.Rlimits {
		lim := syscall.Rlimit{Cur: rl.Soft, Max: rl.Hard}
		if err := syscall.Setrlimit(rl.Resource, &lim); err != nil {
			return inStep("rlimits", fmt.Errorf("setrlimit %d: %w", rl.Resource, err))
		}
	}
	if p.HasUmask {
		syscall.Umask(int(p.Umask))
	}
	if err := applyScheduling(p); err != nil {
		return inStep("scheduling", err)
	}
	if p.Terminal {
		if err := takeTerminal(r.uid); err != nil {
			return inStep("terminal", err)
		}
	}
	if p.OOMScoreAdj != nil {
		if err := security.SetOOMScoreAdj(*p.OOMScoreAdj); err != nil {
			return inStep("security", err)
		}
	}
	caps := p.Capabilities
	if caps != nil {
		if err := caps.PrepareForUserChange(); err != nil {
			return inStep("security", err)
		}
	}
	filterLast := p.Seccomp == nil || caps == nil || security.CanInstallLast(p.NoNewPrivs, caps)
	if !filterLast && !r.filtered {
		c.announceExec()
		if err := r.installSeccomp(c); err != nil {
			return err
		}
	}
	// An empty Cwd is "/": the program never inherits the frontend's
	// working directory, which may lie outside the container's root.
	cwd := p.Cwd
	if cwd == "" {
		cwd = "/"
	}
	chdirLater, err := enterCwd(cwd, true)
	if err != nil {
		return inStep("cwd", err)
	}
	if err := r.setCredentials(); err != nil {
		return inStep("user", err)
	}
	if chdirLater {
		if _, err := enterCwd(cwd, false); err != nil {
			return inStep("cwd", err)
		}
	}
	if caps != nil {
		if err := caps.Apply(); err != nil {
			return inStep("security", err)
		}
	}
	if err := p.Labels.Apply(); err != nil {
		return inStep("security", err)
	}
	if p.Pdeathsig != 0 {
		if err := unix.Prctl(unix.PR_SET_PDEATHSIG, uintptr(p.Pdeathsig), 0, 0, 0); err != nil {
			return inStep("pdeathsig", fmt.Errorf("prctl PR_SET_PDEATHSIG: %w", err))
		}
	}
	if p.NoNewPrivs {
		if err := security.SetNoNewPrivs(); err != nil {
			return inStep("security", err)
		}
	}
	if r.fn != nil {
		return r.execFunc(c, filterLast)
	}
	c.mark("credentials and security")
	c.sendTrace()
	c.announceExec()
	if filterLast && p.Seccomp != nil && !r.filtered {
		if err := r.installSeccomp(c); err != nil {
			return err
		}
	}
	err = unix.Exec(r.path, p.Args, r.env)
	return inStep("exec", fmt.Errorf("exec %s: %w", shownExecPath(r.path), err))
}

// shownExecPath shows the path of a program that execve refused (a
// missing interpreter, an unknown format) as runc does, bare ("exec
// /run.sh: no such file or directory"), and quoted when it would not read
// as one word. The C init's shown_path is the same.
func shownExecPath(path string) string {
	if len(path) > quote.MaxShown || path == "" {
		return quote.Value(path)
	}
	for i := 0; i < len(path); i++ {
		if c := path[i]; c <= ' ' || c >= 0x7f || c == '"' || c == '\\' {
			return quote.Value(path)
		}
	}
	return path
}

// installSeccomp loads the filter and hands a notify listener to the
// parent. A filter with a listener goes in before the wait for start
// (installEarly), while the parent that prepared the container still
// listens.
func (r *process) installSeccomp(c *conn) error {
	listener, err := r.spec.Seccomp.Install()
	if err != nil {
		return inStep("seccomp", err)
	}
	r.filtered = true
	if listener >= 0 && c.started >= 0 {
		unix.Close(listener)
		return inStep("seccomp", errors.New("a listener made after the start has nobody to go to"))
	}
	if listener >= 0 {
		msg, _ := json.Marshal(&spec.Message{Kind: spec.MsgListener})
		err := security.SendFd(c.fd, listener, msg)
		unix.Close(listener)
		if err != nil {
			return inStep("seccomp", fmt.Errorf("send listener: %w", err))
		}
	}
	return nil
}

// applyScheduling sets the personality, I/O priority, scheduling policy
// and cpu affinity of this thread, the one that execs: all of them belong
// to a thread and pass to the program. It comes before the change of
// credentials, which would take away the right to raise them.
func applyScheduling(p *spec.Process) error {
	if p.Personality != nil {
		if _, _, errno := unix.Syscall(unix.SYS_PERSONALITY, uintptr(*p.Personality), 0, 0); errno != 0 {
			return fmt.Errorf("process.personality %#x: %w", *p.Personality, errno)
		}
	}
	if p.IOPriority != 0 {
		const whoProcess = 1 // IOPRIO_WHO_PROCESS
		if _, _, errno := unix.Syscall(unix.SYS_IOPRIO_SET, whoProcess, 0, uintptr(p.IOPriority)); errno != 0 {
			return fmt.Errorf("process.ioPriority: ioprio_set: %w", errno)
		}
	}
	if p.Scheduler != nil {
		if err := unix.SchedSetAttr(0, p.Scheduler, 0); err != nil {
			return fmt.Errorf("process.scheduler: sched_setattr: %w", err)
		}
	}
	if p.CPUAffinity != nil {
		if err := unix.SchedSetaffinity(0, p.CPUAffinity); err != nil {
			return fmt.Errorf("process.cpuAffinity.final: %w", err)
		}
	}
	return nil
}

// takeTerminal makes fd 0 the controlling terminal, in a session of the
// process's own (a forked enter stage is not a session leader yet), and
// gives it to the program's user (uid), who could not use it otherwise.
// Its group stays the one devpts gave it (gid=5, tty, in the usual mount
// options). A terminal that cannot be given away (an owner or id this
// user namespace does not map, a read-only /dev) is left as it is.
func takeTerminal(uid int) error {
	if _, err := unix.Setsid(); err != nil && err != unix.EPERM {
		return fmt.Errorf("setsid: %w", err)
	}
	if err := unix.IoctlSetInt(0, unix.TIOCSCTTY, 0); err != nil {
		return fmt.Errorf("TIOCSCTTY: %w", err)
	}
	var st unix.Stat_t
	if err := unix.Fstat(0, &st); err != nil {
		return fmt.Errorf("fstat the terminal: %w", err)
	}
	if int(st.Uid) == uid {
		return nil
	}
	switch err := unix.Fchown(0, uid, -1); err {
	case nil, unix.EINVAL, unix.EPERM, unix.EROFS:
		return nil
	default:
		return fmt.Errorf("chown the terminal to uid %d: %w", uid, err)
	}
}

// enterCwd enters the working directory: first as root, before the
// credentials change (early), so that a directory only root may enter
// serves, then, when root was refused (a directory of a user's that root
// cannot search, on NFS say), as the program's user: later tells that
// the second try is due.
func enterCwd(cwd string, early bool) (later bool, err error) {
	err = unix.Chdir(cwd)
	if err == nil {
		return false, nil
	}
	if early && (err == unix.EACCES || err == unix.EPERM) {
		return true, nil
	}
	return false, fmt.Errorf("process.cwd %s: %w", quote.Value(cwd), err)
}

// setCredentials changes the groups and ids of this thread only, with
// bare system calls, as the C init does. The thread execs next, and
// execve gives its credentials to the whole new image. The syscall
// package's setters would instead, in a binary linked with cgo, have the
// C library signal every thread to change them all (setxid(7)): work for
// threads that are about to vanish, and one more way for the init to
// depend on the C library's state in the container.
func (r *process) setCredentials() error {
	if r.groups != nil {
		if err := rawSetgroups(r.groups); err != nil {
			return fmt.Errorf("setgroups %v: %w", r.groups, err)
		}
	}
	if _, _, errno := unix.RawSyscall(unix.SYS_SETRESGID, uintptr(r.gid), uintptr(r.gid), uintptr(r.gid)); errno != 0 {
		return fmt.Errorf("setgid %d: %w", r.gid, errno)
	}
	if _, _, errno := unix.RawSyscall(unix.SYS_SETRESUID, uintptr(r.uid), uintptr(r.uid), uintptr(r.uid)); errno != 0 {
		return fmt.Errorf("setuid %d: %w", r.uid, errno)
	}
	return nil
}

func rawSetgroups(groups []int) error {
	gids := make([]uint32, len(groups))
	for i, g := range groups {
		gids[i] = uint32(g)
	}
	var p unsafe.Pointer
	if len(gids) > 0 {
		p = unsafe.Pointer(&gids[0])
	}
	if _, _, errno := unix.RawSyscall(unix.SYS_SETGROUPS, uintptr(len(gids)), uintptr(p), 0); errno != 0 {
		return errno
	}
	return nil
}
