package initstage

import (
	"fmt"
	"io"
	"math"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/libct/libct/internal/quote"
	"github.com/libct/libct/internal/spec"
)

// FuncArg0 marks the process image that runs a registered function
// (argv[0]); argv[1] is the function's name and argv[2] the fd of a memfd
// holding its argument.
const FuncArg0 = "libct-func"

// execFunc starts a registered function in a fresh image of the binary.
//
// The init could call the function itself, but its other threads would
// keep the init's capabilities, which belong to each thread: a goroutine
// of the function running there would escape the container's profile.
// execve leaves one thread, the one whose credentials, capabilities and
// filter were set, and every thread of the new image inherits them.
func (r *process) execFunc(c *conn, filterLast bool) error {
	p := r.spec
	arg, err := unix.MemfdCreate("libct-func-arg", 0)
	if err != nil {
		return inStep("func", fmt.Errorf("memfd_create: %w", err))
	}
	if _, err := unix.Pwrite(arg, p.FuncArg, 0); err != nil {
		return inStep("func", fmt.Errorf("write argument: %w", err))
	}
	if c.started < 0 {
		if err := c.send(&spec.Message{Kind: spec.MsgFuncCalled}); err != nil {
			return inStep("func", err)
		}
	}
	c.announceExec()
	if filterLast && p.Seccomp != nil && !r.filtered {
		if err := r.installSeccomp(c); err != nil {
			return err
		}
	}
	args := []string{FuncArg0, p.Func, strconv.Itoa(arg)}
	err = execveat(r.self, args, r.env)
	if err == unix.ENOENT {
		return inStep("func", fmt.Errorf("exec the function's image: %w (a dynamically linked binary needs its loader and libraries inside the container's root: link it statically, see the README)", err))
	}
	return inStep("func", fmt.Errorf("exec the function's image: %w", err))
}

// execveat executes the file open at fd, as fexecve(3) does, without
// needing /proc in the container.
func execveat(fd int, args, env []string) error {
	argv, err := syscall.SlicePtrFromStrings(args)
	if err != nil {
		return err
	}
	envv, err := syscall.SlicePtrFromStrings(env)
	if err != nil {
		return err
	}
	empty := []byte{0}
	_, _, errno := unix.Syscall6(unix.SYS_EXECVEAT, uintptr(fd), uintptr(unsafe.Pointer(&empty[0])),
		uintptr(unsafe.Pointer(&argv[0])), uintptr(unsafe.Pointer(&envv[0])), unix.AT_EMPTY_PATH, 0)
	return errno
}

// RunFunc is the image started by execFunc: it reads the argument, calls
// the function and exits with its return value.
func RunFunc(args []string, lookup Lookup) {
	if len(args) < 3 {
		fmt.Fprintln(os.Stderr, "libct func: missing arguments")
		os.Exit(255)
	}
	fd, err := strconv.Atoi(args[2])
	if err != nil {
		fmt.Fprintf(os.Stderr, "libct func: argument fd %q: %v\n", args[2], err)
		os.Exit(255)
	}
	f := os.NewFile(uintptr(fd), "libct-func-arg")
	arg, err := io.ReadAll(f)
	f.Close()
	if err != nil {
		fmt.Fprintf(os.Stderr, "libct func: read argument: %v\n", err)
		os.Exit(255)
	}
	callFunc(args[1], arg, lookup)
}

// RunPendingFunc runs the function that the C init set the container up
// for (cinit.PendingFunc) in this same image: the C init ran before the
// Go runtime started, so every thread of the runtime has the process's
// credentials, capabilities and filter. The runtime started with the init
// stage's environment; the function gets its own, and the runtime's
// settings that come from the environment are applied again from it.
func RunPendingFunc(name string, arg []byte, env []string, lookup Lookup) {
	os.Clearenv()
	for _, kv := range env {
		if k, v, ok := strings.Cut(kv, "="); ok {
			os.Setenv(k, v)
		}
	}
	applyRuntimeEnv()
	callFunc(name, arg, lookup)
}

// applyRuntimeEnv sets what the runtime read from the init stage's
// environment at start (GOGC, GOMAXPROCS, GOMEMLIMIT) as the function's
// environment says, or to the runtime's defaults. GODEBUG needs nothing:
// the runtime follows os.Setenv of it.
func applyRuntimeEnv() {
	gcPercent := 100
	if v, ok := os.LookupEnv("GOGC"); ok {
		if v == "off" {
			gcPercent = -1
		} else if n, err := strconv.Atoi(v); err == nil {
			gcPercent = n
		}
	}
	debug.SetGCPercent(gcPercent)
	if n, err := strconv.Atoi(os.Getenv("GOMAXPROCS")); err == nil && n > 0 {
		runtime.GOMAXPROCS(n)
	} else {
		runtime.SetDefaultGOMAXPROCS()
	}
	if limit, ok := memoryLimit(os.Getenv("GOMEMLIMIT")); ok {
		debug.SetMemoryLimit(limit)
	}
}

// memoryLimit parses GOMEMLIMIT as the runtime does: a byte count with an
// optional B, KiB, MiB, GiB or TiB suffix, or "off".
func memoryLimit(v string) (int64, bool) {
	if v == "" {
		return 0, false
	}
	if v == "off" {
		return math.MaxInt64, true
	}
	unit := int64(1)
	for i, suffix := range []string{"TiB", "GiB", "MiB", "KiB", "B"} {
		if strings.HasSuffix(v, suffix) {
			unit = int64(1) << (10 * (4 - i))
			v = strings.TrimSuffix(v, suffix)
			break
		}
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 || n > math.MaxInt64/unit {
		return 0, false
	}
	return n * unit, true
}

// callFunc calls the registered function and exits with its return value.
func callFunc(name string, arg []byte, lookup Lookup) {
	fn, ok := lookup(name)
	if !ok {
		fmt.Fprintf(os.Stderr, "libct func: %s is not registered\n", quote.Value(name))
		os.Exit(255)
	}
	os.Exit(fn(arg))
}
