package libct_test

import (
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/libct/libct"
)

// registerTestFuncs registers the functions tests start as a container's
// init. TestMain calls it before libct.Init, as a frontend's main would.
func registerTestFuncs() {
	registerCgroupFuncs()
	// exit-with returns its argument, a decimal number, as exit status.
	libct.Register("exit-with", func(arg []byte) int {
		n, err := strconv.Atoi(string(arg))
		if err != nil {
			return 255
		}
		return n
	})
	// observe writes what the function sees inside the container to fd 3.
	libct.Register("observe", func(arg []byte) int {
		f := os.NewFile(3, "report")
		host, _ := os.Hostname()
		var sig int32
		unix.Prctl(unix.PR_GET_PDEATHSIG, uintptr(unsafe.Pointer(&sig)), 0, 0, 0)
		sid, _ := unix.Getsid(0)
		gogc := debug.SetGCPercent(100)
		debug.SetGCPercent(gogc)
		fds, _ := os.ReadDir("/proc/self/fd")
		fmt.Fprintf(f, "pid=%d ppid=%d host=%s uid=%d gid=%d pdeathsig=%d setsid=%t gogc=%d procs=%d fds=%d env=%s arg=%s\n",
			os.Getpid(), os.Getppid(), host, os.Getuid(), os.Getgid(), sig, sid == os.Getpid(),
			gogc, runtime.GOMAXPROCS(0), len(fds), strings.Join(os.Environ(), ","), arg)
		f.Close()
		return 0
	})
}

// registerCgroupFuncs registers the functions the cgroup tests run.
func registerCgroupFuncs() {
	// hog allocates and touches the number of MiB in its argument.
	libct.Register("hog", func(arg []byte) int {
		mib, _ := strconv.Atoi(string(arg))
		var keep [][]byte
		for i := 0; i < mib; i++ {
			b := make([]byte, 1<<20)
			for j := range b {
				if j%4096 == 0 {
					b[j] = 1
				}
			}
			keep = append(keep, b)
		}
		return len(keep) % 1
	})
}
