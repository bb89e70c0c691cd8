package main

import (
	"os"
	"runtime"
)

// ct runs with one processor unless GOMAXPROCS says otherwise. A command
// lives a few milliseconds, most of them in system calls, and one
// goroutine at a time has work; but with a processor idle, the runtime
// wakes a thread to look for work each time a goroutine becomes runnable
// (a pipe's reader, a timer, a signal's forwarder), and makes a new
// thread when none is idle: a thread created, run and torn down, with its
// stack, for nothing. A goroutine in a long system call still hands the
// processor over to the others, so that none waits for it.
//
// Threads the runtime makes before this runs (sysmon, cgo's template
// thread, one for the collector's first goroutines) are not saved.
func init() {
	if _, set := os.LookupEnv("GOMAXPROCS"); !set {
		runtime.GOMAXPROCS(1)
	}
}
