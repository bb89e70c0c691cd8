package main

import (
	"os"
	"syscall"
	"testing"
	"time"
)

// A caught signal reads as its number; once the reading end is closed,
// the signal is still caught and dropped, and ct lives on.
func TestCatchSignals(t *testing.T) {
	sigs := []syscall.Signal{syscall.SIGUSR1, syscall.SIGUSR2}
	caught, err := catchSignals(sigs)
	if err != nil {
		t.Fatal(err)
	}
	for _, sig := range sigs {
		if err := syscall.Kill(os.Getpid(), sig); err != nil {
			t.Fatal(err)
		}
		caught.SetReadDeadline(time.Now().Add(10 * time.Second))
		buf := make([]byte, 8)
		n, err := caught.Read(buf)
		if err != nil || n != 1 || syscall.Signal(buf[0]) != sig {
			t.Fatalf("after %v: read %v, %v; want one byte, %d", sig, buf[:n], err, sig)
		}
	}
	caught.Close()
	if err := syscall.Kill(os.Getpid(), syscall.SIGUSR1); err != nil {
		t.Fatal(err)
	}
	// The test binary dies here if the signal were not caught any more.
	time.Sleep(50 * time.Millisecond)
}
