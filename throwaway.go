package libct

import (
	"runtime"

	"golang.org/x/sys/unix"
)

// onThrowawayThread runs fn on a thread of its own that is never given
// back (the runtime ends it with its goroutine), for fn to change what
// belongs to the thread, such as its mount namespace. Never the main
// thread: the runtime cannot end that one, and /proc/self shows its
// namespaces to the whole process.
func onThrowawayThread(fn func() error) error {
	done := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		if unix.Gettid() != unix.Getpid() {
			done <- fn()
			return
		}
		// Held here, the main thread cannot take the goroutine below,
		// and is given back once it is done.
		inner := make(chan error, 1)
		go func() {
			runtime.LockOSThread()
			inner <- fn()
		}()
		err := <-inner
		runtime.UnlockOSThread()
		done <- err
	}()
	return <-done
}
