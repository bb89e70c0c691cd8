// Package cinit is the C init: a container's init stage without a Go
// runtime, for the starts that need nothing only the Go init
// (internal/initstage) does.
//
// The parent compiles the init's spec.Init into a program of operations
// (Compile): the mounts, devices and masks of the root file system in the
// order rootfs.Setup makes them, the switch of the root, the credentials,
// capabilities and seccomp filter in the order package security
// documents, and the exec. The re-executed binary runs it from an ELF
// constructor (cinit.c) before its Go runtime starts. A start through it
// saves the second Go runtime of every start: its start, its heap, its
// threads and its exit, and the resident pages a waiting init keeps.
//
// A program for a registered function ends in OP_FUNC instead of the
// exec: the constructor returns, and the Go runtime that then starts in
// the container runs the function (PendingFunc), with every thread
// holding the credentials and filter the single C thread set. The image
// is the one the host's loader already loaded, so a dynamically linked
// binary runs functions in any root.
//
// Do not use it for what Compile refuses (Refusal says what): the
// features it leaves to the Go init are time namespaces, the re-exec of
// a new user namespace, hooks run by the init, mount actions, a terminal
// made inside the container, LSM labels, scheduling attributes, seccomp
// listeners, a private area, no root, no mount namespace of the
// container's own, and a user the parent cannot resolve from files the
// init's work cannot change. Those starts go through the Go init, which
// stays the reference. A start that joins a user namespace runs the C
// init from the enter stage (internal/nsenter), once it joined; so does
// a process entering a running container (CompileEnter).
//
// Without cgo the constructor is missing and Available is false.
package cinit

// Arg0 marks a process started as the C init (argv[0]); argv[1] is the
// control socket's fd number, on which the program is the first message.
const Arg0 = "libct-cinit"
