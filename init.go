package libct

import (
	"os"
	"runtime"

	"github.com/libct/libct/internal/cinit"
	"github.com/libct/libct/internal/initstage"
	"github.com/libct/libct/internal/nsenter"
)

func init() {
	if isInitStage() {
		// The init stage creates namespaces and sets credentials that
		// belong to a thread (time namespace for children, capabilities)
		// and then execs from that same thread: keep the main goroutine
		// on the main thread for the whole stage.
		runtime.LockOSThread()
	}
}

// initEnv is the environment of the init stage. It lives a few
// milliseconds on one thread doing system calls: one P, no garbage
// collection, so that the runtime starts no helper threads to spin up and
// no collection runs. The runtime must not keep its cgroup's CPU limit
// files open to follow the limit (Go 1.25's containermaxprocs): the
// container would hold descriptors of the host's cgroup files while it
// waits for Start. (The program gets the environment of its Process.)
func initEnv() []string {
	return []string{"GOMAXPROCS=1", "GOGC=off", "GODEBUG=containermaxprocs=0"}
}

func isInitStage() bool {
	return len(os.Args) > 0 && (os.Args[0] == initstage.Arg0 || os.Args[0] == nsenter.Arg0)
}

// Init must be the first thing main calls in every program that starts
// containers:
//
//	func main() {
//		libct.Init()
//		...
//	}
//
// libct starts a container by running the program's own binary again
// inside the container's namespaces; in that run, Init takes over, prepares
// the container and replaces the process with the container's program (or
// runs the function registered with Register), so it never returns. In
// every other run it returns at once and costs nothing.
//
// Functions given to Register must be registered before Init is called.
// Tests that start containers call Init from TestMain.
func Init() {
	// Only a C init (started as one, or by the enter stage) can have
	// left a function to run: other processes make no cgo call here.
	if len(os.Args) > 0 && (os.Args[0] == cinit.Arg0 || os.Args[0] == nsenter.Arg0CInit) {
		if name, arg, env, ok := cinit.PendingFunc(); ok {
			initstage.RunPendingFunc(name, arg, env, lookupFunc)
		}
	}
	if len(os.Args) > 0 && os.Args[0] == usernsHolderArg0 {
		holdUserNS()
	}
	if len(os.Args) > 0 && os.Args[0] == initstage.FuncArg0 {
		initstage.RunFunc(os.Args, lookupFunc)
	}
	if !isInitStage() {
		return
	}
	args := os.Args
	if args[0] == nsenter.Arg0 {
		// The enter stage joined the namespaces in C before the runtime
		// started; what is left is the init stage's work with an empty
		// root spec, and only the control socket matters of its
		// arguments.
		args = args[:2]
	}
	initstage.Run(args, lookupFunc)
}
