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
// signals; send those with ct kill.
var forwardedSignals = []syscall.Signal{
	syscall.SIGHUP, syscall.SIGINT, syscall.SIGQUIT, syscall.SIGABRT, syscall.SIGUSR1,
	syscall.SIGUSR2, syscall.SIGALRM, syscall.SIGTERM, syscall.SIGPWR,
}

// signalForwarder passes the forwardedSignals ct receives on to a
// process. It catches them from its making until ct exits, forwards from
// forward to stop, and drops them after stop: a second Ctrl-C must not
// kill ct while it cleans up after the process ended. Signals caught
// before forward wait for it.
type signalForwarder struct {
	caught *os.File
	// finished is closed when forwarding ended; nil before forward.
	finished chan struct{}
}

func catchForwardedSignals() (*signalForwarder, error) {
	caught, err := catchSignals(forwardedSignals)
	if err != nil {
		return nil, err
	}
	return &signalForwarder{caught: caught}, nil
}

// forward starts sending the signals to the process through send.
func (f *signalForwarder) forward(send func(syscall.Signal) error) {
	f.finished = make(chan struct{})
	go func() {
		defer close(f.finished)
		buf := make([]byte, 1)
		for {
			// Each datagram is one signal; stop's Close ends the read.
			if _, err := f.caught.Read(buf); err != nil {
				return
			}
			send(syscall.Signal(buf[0]))
		}
	}()
}

// stop ends the forwarding, once a signal being sent is. It does nothing
// on a nil forwarder (a command that forwards no signals) and when called
// again.
func (f *signalForwarder) stop() {
	if f == nil {
		return
	}
	f.caught.Close()
	if f.finished != nil {
		<-f.finished
	}
}

// proxyConsole connects ct's standard streams to the master of the
// process's terminal, made with ConsoleRawOutput as runc makes the one it
// relays: ct's stdout may be a pipe or a file, where the "\r" of each
// "\r\n" would stay. ct's stdin, put in raw mode when it is a terminal,
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
