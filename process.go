package libct

import (
	"fmt"
	"os"
	"syscall"
)

// Process describes the program a container runs: what its init becomes.
type Process struct {
	// Args is the program and its arguments; Args[0] is looked up in the
	// PATH of Env inside the container when it has no slash.
	Args []string
	// Func names a function registered with Register, run as the
	// container's init with FuncArg instead of Args (libct's spawn_cb);
	// its return value is the exit status.
	Func    string
	FuncArg []byte
	// Env is the environment, "KEY=value". Empty: PATH only. HOME is
	// added from the user's passwd entry when Env lacks it.
	Env []string
	// Dir is the working directory inside the container; "/" when empty.
	Dir string
	// User is "uid", "uid:gid", "name" or "name:group"; names are resolved
	// in the container's own /etc/passwd and /etc/group. Empty: root.
	User string
	// AdditionalGroups are supplementary groups, by gid or name.
	AdditionalGroups []string
	// Rlimits are set before the program runs.
	Rlimits []Rlimit
	// Umask, when not nil, is the program's file mode creation mask.
	Umask *os.FileMode
	// Pdeathsig is sent to the init when the thread that started it dies.
	// Go threads come and go: use it only from a goroutine locked to its
	// thread for the container's whole life.
	Pdeathsig syscall.Signal
	// Stdin, Stdout and Stderr are the program's fds 0, 1 and 2; nil means
	// /dev/null.
	Stdin, Stdout, Stderr *os.File
	// ExtraFiles become fds 3, 4, ... of the program.
	ExtraFiles []*os.File
	// Security, when not nil, replaces the container's profile for this
	// process.
	Security *Security
	// Terminal gives the process a new pseudo-terminal: the slave is its
	// stdin, stdout, stderr and controlling terminal (and the container's
	// /dev/console), and the master goes to the caller (Container.Console,
	// Task.Console) or, with ConsoleSocket, to the unix socket at that path
	// (OCI's --console-socket). Stdin, Stdout and Stderr must be nil.
	Terminal      bool
	ConsoleSize   *ConsoleSize
	ConsoleSocket string
	// ConsoleRawOutput clears the terminal's ONLCR output flag before the
	// program runs, so that a "\n" it writes leaves the master as is, not
	// as "\r\n": for a caller that passes the output on to something
	// other than a terminal (a pipe, a file, a terminal in raw mode).
	ConsoleRawOutput bool
	// Personality, when set, is the execution domain (personality(2);
	// 0x0008, PER_LINUX32, for a 32-bit uname).
	Personality *uint32
	// IOPriority, Scheduler and CPUAffinity set the process's I/O
	// priority, CPU scheduling and the cpus it may run on.
	IOPriority  *IOPriority
	Scheduler   *Scheduler
	CPUAffinity *CPUAffinity

	// SubCgroups puts a process that Enter starts into sub-cgroups of the
	// container's cgroup rather than the cgroup itself (runc's exec
	// --cgroup): keyed by controller ("memory", "cpu"), or "" for every
	// hierarchy no key names, each a path relative to the container's
	// cgroup that must exist already. Only for Enter.
	SubCgroups map[string]string
	// EnterPaused lets Enter start the process in a paused container,
	// where it stays frozen with the others until Resume (runc's exec
	// --ignore-paused). Only for Enter.
	EnterPaused bool
}

// Rlimit is a resource limit, by the name getrlimit(2) gives it
// ("RLIMIT_NOFILE", or just "nofile").
type Rlimit struct {
	Type string
	Soft uint64
	Hard uint64
}

// ExitStatus is how a container's init ended.
type ExitStatus struct {
	// Code is the exit code when the init exited, -1 when killed.
	Code int
	// Signal is the signal that killed the init, 0 when it exited.
	Signal syscall.Signal
}

// ExitCode folds the status into a shell's exit code: the code, or 128
// plus the number of the signal that killed the init.
func (s ExitStatus) ExitCode() int {
	if s.Signal != 0 {
		return 128 + int(s.Signal)
	}
	return s.Code
}

// String reads as os/exec says it: "exit status 1", "signal: killed".
func (s ExitStatus) String() string {
	if s.Signal != 0 {
		return "signal: " + s.Signal.String()
	}
	return fmt.Sprintf("exit status %d", s.Code)
}

func exitStatusOf(ws syscall.WaitStatus) ExitStatus {
	if ws.Signaled() {
		return ExitStatus{Code: -1, Signal: ws.Signal()}
	}
	return ExitStatus{Code: ws.ExitStatus()}
}
