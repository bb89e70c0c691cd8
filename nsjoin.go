package libct

import (
	"fmt"
	"runtime"

	"golang.org/x/sys/unix"

	"github.com/libct/libct/internal/quote"
)

// startInNamespaces runs start on an OS thread that has joined the
// namespaces in paths, so that the process start clones inherits them.
//
// setns(2) into net, ipc, uts and cgroup namespaces changes only the
// calling thread, and into a pid namespace only the namespace of the
// thread's future children: all of it is allowed in a multi-threaded Go
// program, on a thread locked for the purpose. The thread joins back its
// own namespaces afterwards; if that fails it is left locked, and the Go
// runtime ends it with its goroutine rather than reuse it.
func startInNamespaces(paths map[Namespaces]string, start func() error) error {
	if len(paths) == 0 {
		return start()
	}
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		restore, err := joinNamespaces(paths)
		if err == nil {
			err = start()
		}
		if restore() == nil {
			runtime.UnlockOSThread()
		}
		errc <- err
	}()
	return <-errc
}

// joinNamespaces moves the current thread into the namespaces of paths, in
// a fixed order, and returns how to move it back.
func joinNamespaces(paths map[Namespaces]string) (restore func() error, err error) {
	type saved struct {
		ns Namespaces
		fd int
	}
	var undo []saved
	restore = func() error {
		var first error
		for i := len(undo) - 1; i >= 0; i-- {
			if err := unix.Setns(undo[i].fd, int(undo[i].ns)); err != nil && first == nil {
				first = err
			}
			unix.Close(undo[i].fd)
		}
		undo = nil
		return first
	}
	for _, n := range namespaceNames {
		path, ok := paths[n.ns]
		if !ok {
			continue
		}
		own, err := unix.Open("/proc/thread-self/ns/"+n.name, unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			return restore, fmt.Errorf("open own %s namespace: %w", n.name, err)
		}
		if n.ns == NewPID {
			// The thread's own pid namespace is where it lives; the one
			// for children is what setns changes and what must come back.
			unix.Close(own)
			if own, err = unix.Open("/proc/thread-self/ns/pid_for_children", unix.O_RDONLY|unix.O_CLOEXEC, 0); err != nil {
				return restore, fmt.Errorf("open own pid namespace: %w", err)
			}
		}
		target, err := unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			unix.Close(own)
			return restore, fmt.Errorf("namespacePaths[%s] %s: %w", n.name, quote.Value(path), err)
		}
		err = unix.Setns(target, int(n.ns))
		unix.Close(target)
		if err != nil {
			unix.Close(own)
			return restore, fmt.Errorf("setns namespacePaths[%s] %s: %w", n.name, quote.Value(path), err)
		}
		undo = append(undo, saved{n.ns, own})
	}
	return restore, nil
}
