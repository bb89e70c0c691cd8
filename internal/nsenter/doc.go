package nsenter

// Arg0 marks a process started as the enter stage (argv[0]).
const Arg0 = "libct-enter"

// Arg0CInit marks an enter stage that runs the C init (internal/cinit)
// once it joined the namespaces, instead of returning to the Go runtime.
const Arg0CInit = "libct-enter-cinit"

// MsgPID is the kind of the message the stage sends with the pid of the
// child it forked (in the message's index field).
const MsgPID = "pid"
