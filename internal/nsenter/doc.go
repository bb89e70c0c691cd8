package nsenter

// Arg0 marks a process started as the enter stage (argv[0]).
const Arg0 = "libct-enter"

// MsgPID is the kind of the message the stage sends with the pid of the
// child it forked (in the message's index field).
const MsgPID = "pid"
