//go:build libct_faultinject

package faultpoint

import (
	"os"

	"golang.org/x/sys/unix"
)

// Enabled tells whether this build has the fault points.
const Enabled = true

// Hit kills the process with SIGKILL, the one signal nothing can catch,
// when LIBCT_TEST_KILL_AT names point: the process dies there as a
// killed engine or shim would, without running a deferred rollback.
func Hit(point string) {
	if os.Getenv(EnvVar) != point {
		return
	}
	unix.Kill(os.Getpid(), unix.SIGKILL)
	select {} // the signal is on its way; nothing more may happen
}
