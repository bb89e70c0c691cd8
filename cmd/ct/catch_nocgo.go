//go:build !cgo

package main

import (
	"os"
	"os/signal"
	"syscall"
)

// sendCaughtSignals has os/signal catch sigs and a goroutine send each
// one's number to fd.
func sendCaughtSignals(sigs []syscall.Signal, fd int) error {
	ch := make(chan os.Signal, 32)
	list := make([]os.Signal, len(sigs))
	for i, s := range sigs {
		list[i] = s
	}
	signal.Notify(ch, list...)
	go func() {
		for s := range ch {
			syscall.Sendto(fd, []byte{byte(s.(syscall.Signal))}, syscall.MSG_DONTWAIT|syscall.MSG_NOSIGNAL, nil)
		}
	}()
	return nil
}
