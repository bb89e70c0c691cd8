package libct

import (
	"fmt"
	"sync"

	"github.com/libct/libct/internal/initstage"
)

// registry holds the functions that can be started as a container's init.
// It is the package's one piece of mutable global state: the re-executed
// binary must find a function by name before main runs anything else.
var registry struct {
	sync.RWMutex
	funcs map[string]initstage.Func
}

// Register makes fn startable as a container's init under name (libct's
// spawn_cb): a Process with Func set to name runs fn(FuncArg) inside the
// container, and fn's return value becomes the container's exit status.
//
// The container runs a fresh copy of the binary, so fn must be registered
// in every run of the program before Init is called: from an init function
// or at the top of main. Register panics if name is empty or taken.
func Register(name string, fn func(arg []byte) int) {
	if name == "" || fn == nil {
		panic("libct: Register with an empty name or a nil function")
	}
	registry.Lock()
	defer registry.Unlock()
	if registry.funcs == nil {
		registry.funcs = make(map[string]initstage.Func)
	}
	if _, dup := registry.funcs[name]; dup {
		panic(fmt.Sprintf("libct: Register called twice for %q", name))
	}
	registry.funcs[name] = fn
}

func lookupFunc(name string) (initstage.Func, bool) {
	registry.RLock()
	defer registry.RUnlock()
	fn, ok := registry.funcs[name]
	return fn, ok
}
