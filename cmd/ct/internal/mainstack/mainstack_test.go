package mainstack

import (
	"testing"
	"unsafe"
)

// stackMoved reports whether the calling goroutine's stack was copied
// elsewhere while f ran: the address of a local changes when it is.
//
//go:noinline
func stackMoved(f func()) bool {
	var local byte
	before := uintptr(unsafe.Pointer(&local))
	f()
	return uintptr(unsafe.Pointer(&local)) != before
}

// frame8K needs a frame of 8 KB, the most ct's start path needs.
//
//go:noinline
func frame8K(i int) byte {
	var frame [8 << 10]byte
	frame[i] = byte(i)
	return frame[i-1]
}

func TestGrowReservesTheStack(t *testing.T) {
	type result struct{ grown, movedAfter bool }
	done := make(chan result)
	go func() {
		var r result
		r.grown = stackMoved(func() { grow(depth) })
		r.movedAfter = stackMoved(func() { frame8K(depth) })
		done <- r
	}()
	r := <-done
	if !r.grown {
		t.Error("grow did not grow a new goroutine's stack: its frame was optimized away")
	}
	if r.movedAfter {
		t.Error("the stack grew again for an 8 KB frame after grow")
	}
}

func TestNoGrowthWithoutGrow(t *testing.T) {
	// The test above means something only if an 8 KB frame does grow a
	// fresh goroutine's stack.
	done := make(chan bool)
	go func() { done <- stackMoved(func() { frame8K(depth) }) }()
	if !<-done {
		t.Error("an 8 KB frame did not grow a fresh goroutine's stack")
	}
}
