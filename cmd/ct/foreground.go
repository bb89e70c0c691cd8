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

// forwardSignals sends every signal ct receives to the process through
// send, until the returned stop is called. SIGCHLD, SIGURG (the Go
// runtime's own), SIGWINCH (a resize, see proxyConsole) and SIGPIPE are
// ct's and not forwarded.
func forwardSignals(send func(syscall.Signal) error) (stop func()) {
	ch := make(chan os.Signal, 32)
	signal.Notify(ch)
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		for {
			select {
			case s := <-ch:
				sig, ok := s.(syscall.Signal)
				if !ok {
					continue
				}
				switch sig {
				case syscall.SIGCHLD, syscall.SIGURG, syscall.SIGWINCH, syscall.SIGPIPE:
					continue
				}
				send(sig)
			case <-done:
				return
			}
		}
	}()
	return func() {
		signal.Stop(ch)
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
