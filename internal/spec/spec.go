// Package spec is the message the parent sends to the init stage of a
// container: everything the init needs, resolved and validated by the
// parent, so that the init does as little work as possible.
//
// It is internal because its shape follows the init stage's needs, not a
// user's; the public description of a container is libct.Config.
//
// It also holds the rules that read a spec the same way for both inits
// (rules.go): the user and groups, the environment, the PATH and the
// sysctl paths.
package spec

import (
	"encoding/json"

	"github.com/mailru/easyjson/jlexer"

	"golang.org/x/sys/unix"

	"github.com/libct/libct/internal/hooks"
	"github.com/libct/libct/rootfs"
	"github.com/libct/libct/security"
)

// Init is sent in one write over the init's control socket.
type Init struct {
	// TimeOffsets are the time namespace offsets in nanoseconds; the init
	// creates the time namespace itself when NewTimeNS is set.
	NewTimeNS       bool  `json:"newTimeNS,omitempty"`
	MonotonicOffset int64 `json:"monotonicOffset,omitempty"`
	BoottimeOffset  int64 `json:"boottimeOffset,omitempty"`
	// Reexec makes the init execute itself once more before anything
	// else: its user namespace got its maps only after the first exec,
	// which therefore dropped the capabilities of the namespace's root.
	Reexec bool `json:"reexec,omitempty"`
	// UnshareCgroupNS makes the init's cgroup namespace: it is attached
	// to its cgroup by then, which becomes the namespace's root.
	UnshareCgroupNS bool `json:"unshareCgroupNS,omitempty"`
	// LoopbackUp brings lo up: the init has a new network namespace.
	LoopbackUp bool `json:"loopbackUp,omitempty"`
	Rootfs     rootfs.Spec
	Hostname   string            `json:"hostname,omitempty"`
	Domainname string            `json:"domainname,omitempty"`
	Sysctl     map[string]string `json:"sysctl,omitempty"`
	Process    Process           `json:"process"`
	// PreSwitchHooks asks the parent to run its hooks (prestart,
	// createRuntime) before the root is switched; CreateContainer and
	// StartContainer are run by the init itself, with HookState on their
	// stdin.
	PreSwitchHooks  bool            `json:"preSwitchHooks,omitempty"`
	CreateContainer []hooks.Hook    `json:"createContainer,omitempty"`
	StartContainer  []hooks.Hook    `json:"startContainer,omitempty"`
	HookState       json.RawMessage `json:"hookState,omitempty"`
	// Trace asks the init to report when each of its phases ended.
	Trace bool `json:"trace,omitempty"`
	// ExecFifo, when set, is the fd number of an O_PATH descriptor of the
	// container's exec fifo: the init stops right before exec and opens
	// it for writing, which blocks until Start opens it for reading.
	ExecFifo int `json:"execFifo,omitempty"`
	// MountSources are the indices of the Rootfs.Mounts whose sources come
	// with the spec as O_PATH descriptors, in that order (after the spec's
	// memfd): bind sources the parent opened from inside the container's
	// mount namespace but as the host's user, which the init, in its user
	// namespace, may have no right to reach. At most MaxMountSources.
	MountSources []int `json:"mountSources,omitempty"`
	// CgroupJoin lists the container's cgroup directories in the v1
	// hierarchies, which the C init moves itself into before anything
	// else (internal/cinit). The Go init never reads it: the parent
	// attaches the Go init's process.
	CgroupJoin []string `json:"-"`
}

// Process is the program the init becomes.
type Process struct {
	Args []string `json:"args,omitempty"`
	// Func names a function registered with libct.Register; when set the
	// init calls it with FuncArg instead of executing Args.
	Func    string   `json:"func,omitempty"`
	FuncArg []byte   `json:"funcArg,omitempty"`
	Env     []string `json:"env,omitempty"`
	Cwd     string   `json:"cwd,omitempty"`
	// User is "uid[:gid]" or "name[:group]", resolved in the container's
	// own /etc/passwd and /etc/group. Empty means root.
	User             string   `json:"user,omitempty"`
	AdditionalGroups []string `json:"additionalGroups,omitempty"`
	// SetgroupsAllowed is false in a user namespace whose setgroups file
	// says deny.
	SetgroupsAllowed bool     `json:"setgroupsAllowed,omitempty"`
	Rlimits          []Rlimit `json:"rlimits,omitempty"`
	// Umask is applied when HasUmask is set.
	Umask     uint32 `json:"umask,omitempty"`
	HasUmask  bool   `json:"hasUmask,omitempty"`
	Pdeathsig int    `json:"pdeathsig,omitempty"`
	// ExtraFiles is how many descriptors from 3 up belong to the program.
	ExtraFiles int `json:"extraFiles,omitempty"`
	// Terminal: fd 0 is a terminal to make the controlling one.
	Terminal bool `json:"terminal,omitempty"`
	// TerminalInside: the init opens the terminal itself from the
	// container's own /dev/ptmx, makes it its standard streams and
	// /dev/console, and sends the master to the parent (MsgConsole).
	TerminalInside bool `json:"terminalInside,omitempty"`
	// ConsoleBind makes the terminal /dev/console too: the init's, not
	// an entered process's.
	ConsoleBind bool   `json:"consoleBind,omitempty"`
	ConsoleRows uint16 `json:"consoleRows,omitempty"`
	ConsoleCols uint16 `json:"consoleCols,omitempty"`
	// ConsoleRawOutput clears the terminal's ONLCR flag.
	ConsoleRawOutput bool `json:"consoleRawOutput,omitempty"`
	// Scheduling, applied to the thread that execs.
	Personality *uint32         `json:"personality,omitempty"`
	IOPriority  int             `json:"ioPriority,omitempty"` // ioprio_set value, 0: unchanged
	Scheduler   *unix.SchedAttr `json:"scheduler,omitempty"`
	CPUAffinity *unix.CPUSet    `json:"cpuAffinity,omitempty"`

	// The security profile, applied in the order package security
	// documents. Capabilities is nil when the init has none to manage
	// (an unprivileged caller without a user namespace).
	Capabilities *security.Capabilities `json:"capabilities,omitempty"`
	NoNewPrivs   bool                   `json:"noNewPrivs,omitempty"`
	Seccomp      *security.Filter       `json:"seccomp,omitempty"`
	Labels       security.Labels        `json:"labels,omitzero"`
	OOMScoreAdj  *int                   `json:"oomScoreAdj,omitempty"`
}

// Rlimit is one resource limit, by its RLIMIT_* number.
type Rlimit struct {
	Resource int    `json:"resource"`
	Soft     uint64 `json:"soft"`
	Hard     uint64 `json:"hard"`
}

// Message kinds sent by the init to the parent.
const (
	MsgError      = "error"            // the start failed; see Error
	MsgPreMount   = "pre-mount"        // run Mounts[Index].PreAction, then reply
	MsgPostMount  = "post-mount"       // run Mounts[Index].PostAction, then reply
	MsgReady      = "ready"            // waiting on the exec fifo (create)
	MsgFuncCalled = "func-called"      // a registered function is about to run
	MsgExec       = "exec"             // execve (or the function) comes next: a close without it is the init's death
	MsgListener   = "seccomp-listener" // carries the seccomp notify fd
	MsgPreSwitch  = "pre-switch"       // run prestart and createRuntime hooks, then reply
	MsgTrace      = "trace"            // when the init's phases ended, in Points
	MsgConsole    = "console"          // carries the master of the terminal
	MsgIDMapMount = "idmap-mount"      // make Mounts[Index]'s idmapped mount, reply with it
)

// The parent reads a Message on every start (at least the announcement
// of exec), so it decodes it with a generated decoder (DecodeMessage):
// encoding/json's reflection would cost each start its first-use set-up
// in CPU and in the binary's pages it touches. As in package libct, the
// generated file's use of package easyjson goes.
//go:generate go tool easyjson -no_std_marshalers -pkg .
//go:generate sed -i -e /mailru.easyjson.$/d -e /easyjson.Marshaler$/d spec_easyjson.go

// Message is one message from the init to the parent.
//
//easyjson:json
type Message struct {
	Kind  string `json:"kind"`
	Index int    `json:"index,omitempty"`
	// Error fields: Step is the phase that failed ("rootfs", "exec", ...),
	// Text the whole message, Errno the errno when there was one.
	Step  string `json:"step,omitempty"`
	Text  string `json:"text,omitempty"`
	Errno int    `json:"errno,omitempty"`
	// Points are the ends of the init's phases (MsgTrace).
	Points []TracePoint `json:"points,omitempty"`
}

// DecodeMessage decodes one message of the init.
func DecodeMessage(data []byte) (Message, error) {
	var m Message
	l := jlexer.Lexer{Data: data}
	m.UnmarshalEasyJSON(&l)
	return m, l.Error()
}

// TracePoint is the end of a phase of the init, in Unix nanoseconds.
type TracePoint struct {
	Name string `json:"name"`
	At   int64  `json:"at"`
}

// Reply is the parent's answer to an action request.
type Reply struct {
	Error string `json:"error,omitempty"`
}

// MaxMountSources bounds the descriptors of Init.MountSources; the C init
// has room for as many (cinit.c's MAX_SOURCES).
const MaxMountSources = 64
