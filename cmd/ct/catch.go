package main

import (
	"fmt"
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

// catchSignals makes ct catch sigs from now until it exits, and returns
// the end of a datagram socket from which each caught signal reads as one
// byte, its number. Once that end is closed, the signals are still caught
// and go nowhere: a second Ctrl-C must not end ct while it cleans up after
// a container.
//
// With cgo, a C handler sends the byte (catch_cgo.go). os/signal does the
// same job at a cost that matters to a command living a few milliseconds:
// it enables each signal with a round trip to a goroutine locked to a
// thread of its own, and keeps another thread waiting for signals; for
// the signals of forwardedSignals that was more CPU per ct run than the
// rest of its signal handling by far (bench/results.md). Without cgo, it
// is os/signal (catch_nocgo.go).
func catchSignals(sigs []syscall.Signal) (*os.File, error) {
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("catch signals: socketpair: %w", err)
	}
	err = unix.SetNonblock(fds[0], true)
	if err == nil {
		// The sending end stays open until ct exits: a handler may use
		// it at any time.
		err = sendCaughtSignals(sigs, fds[1])
	}
	if err != nil {
		unix.Close(fds[0])
		unix.Close(fds[1])
		return nil, fmt.Errorf("catch signals: %w", err)
	}
	return os.NewFile(uintptr(fds[0]), "caught signals"), nil
}
