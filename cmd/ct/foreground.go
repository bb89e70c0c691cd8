package main

// What a foreground run or exec does around the container's process:
// forward ct's signals to it and connect ct's terminal to its own.

import (
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/containerd/console"
)

// forwardedSignals are the signals forwardSignals passes on: those users
// and engines send to a foreground program to end, reload, wake or poke
// it. Left out are those ct cannot catch (SIGKILL, SIGSTOP), those that
// are ct's own (SIGCHLD, SIGPIPE, SIGURG for the Go runtime, SIGWINCH for
// proxyConsole), the faults the kernel raises in the faulting program,
// job control (a stopped ct would not forward SIGCONT) and the real-time
// signals; send those with ct kill. The list is short on purpose:
// os/signal enables each signal with a round trip to a thread of its own,
// about 40 µs of CPU here, and all 64 cost more than the rest of ct run.
var forwardedSignals = []os.Signal{
	syscall.SIGHUP, syscall.SIGINT, syscall.SIGQUIT, syscall.SIGABRT, syscall.SIGUSR1,
	syscall.SIGUSR2, syscall.SIGALRM, syscall.SIGTERM, syscall.SIGPWR,
}

// forwardSignals sends the forwardedSignals ct receives to the process
// through send, until the returned stop is called. The signals stay caught
// after stop, until ct exits: a second Ctrl-C must not kill ct while it
// cleans up after the process ended.
func forwardSignals(send func(syscall.Signal) error) (stop func()) {
	ch := make(chan os.Signal, 32)
	signal.Notify(ch, forwardedSignals...)
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		for {
			select {
			case s := <-ch:
				if sig, ok := s.(syscall.Signal); ok {
					send(sig)
				}
			case <-done:
				return
			}
		}
	}()
	return func() {
		close(done)
		<-finished
	}
}

// proxyConsole connects ct's standard streams to the master of the
// process's terminal: ct's stdin, put in raw mode when it is a terminal,
// is typed into the container, what the container prints goes to ct's
// stdout, and ct's window size follows to the container's terminal. The
// returned end waits (briefly) for the last output and restores ct's
// terminal.
func proxyConsole(con console.Console) (end func()) {
	var restore func() error
	winch := make(chan os.Signal, 1)
	if cur, err := console.ConsoleFromFile(os.Stdin); err == nil {
		if ws, err := cur.Size(); err == nil {
			con.Resize(ws)
		}
		if err := cur.SetRaw(); err == nil {
			restore = cur.Reset
		}
		signal.Notify(winch, syscall.SIGWINCH)
		go func() {
			for range winch {
				if ws, err := cur.Size(); err == nil {
					con.Resize(ws)
				}
			}
		}()
	}
	go io.Copy(con, os.Stdin)
	out := make(chan struct{})
	go func() {
		// Ends with EIO once no process holds the terminal any more.
		io.Copy(os.Stdout, con)
		close(out)
	}()
	return func() {
		select {
		case <-out:
		case <-time.After(2 * time.Second):
		}
		signal.Stop(winch)
		close(winch)
		if restore != nil {
			restore()
		}
	}
}
