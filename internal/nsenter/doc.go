package nsenter

import "errors"

// ErrMissing is the one refusal of everything that needs the enter stage
// in a binary built without it (Available false): libct, its OCI
// converter and ct all return it, wrapped with their context, so that a
// caller tests it with errors.Is and a user reads the same words
// wherever the limit is hit.
var ErrMissing = errors.New("joining a user, mount or time namespace needs libct's enter stage, " +
	"C code built only with cgo (CGO_ENABLED=1); this binary was built without it")

// Arg0 marks a process started as the enter stage (argv[0]).
const Arg0 = "libct-enter"

// Arg0CInit marks an enter stage that runs the C init (internal/cinit)
// once it joined the namespaces, instead of returning to the Go runtime.
const Arg0CInit = "libct-enter-cinit"

// CgroupTasks is the TYPE of an item of the stage's list (argv[2]) whose
// FD is a v1 cgroup's tasks file, open for writing: the stage moves
// itself into that cgroup before it joins any namespace.
const CgroupTasks = "0"

// MsgPID is the kind of the message the stage sends with the pid of the
// child it forked (in the message's index field).
const MsgPID = "pid"
