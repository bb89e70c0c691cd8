package security

import (
	"fmt"
	"os"
	"strconv"

	"golang.org/x/sys/unix"
)

// SetNoNewPrivs sets no_new_privs on the calling thread: from then on no
// exec can grant privileges (set-user-ID bits and file capabilities are
// ignored), and seccomp filters can be installed without CAP_SYS_ADMIN.
// The flag belongs to the thread, is inherited by its children and kept
// across exec, so the init stage calls it on the thread that execs, after
// the capabilities are applied and before the seccomp filter.
func SetNoNewPrivs() error {
	if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
		return fmt.Errorf("noNewPrivileges: prctl PR_SET_NO_NEW_PRIVS: %w", err)
	}
	return nil
}

// NoNewPrivs reports whether no_new_privs is set on the calling thread.
func NoNewPrivs() (bool, error) {
	v, err := unix.PrctlRetInt(unix.PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0)
	if err != nil {
		return false, fmt.Errorf("prctl PR_GET_NO_NEW_PRIVS: %w", err)
	}
	return v == 1, nil
}

// OOM score adjustments range from -1000 (never kill) to 1000 (kill
// first).
const (
	OOMScoreAdjMin = -1000
	OOMScoreAdjMax = 1000
)

// ValidateOOMScoreAdj checks that v is in -1000..1000.
func ValidateOOMScoreAdj(v int) error {
	if v < OOMScoreAdjMin || v > OOMScoreAdjMax {
		return fmt.Errorf("oomScoreAdj %d: out of range %d..%d", v, OOMScoreAdjMin, OOMScoreAdjMax)
	}
	return nil
}

// SetOOMScoreAdj writes v to /proc/self/oom_score_adj. The value belongs
// to the whole process and is inherited across fork and exec. Lowering it
// below its current value needs CAP_SYS_RESOURCE, so the init stage calls
// it before the capabilities are dropped (or the parent writes
// /proc/<pid>/oom_score_adj of the init).
func SetOOMScoreAdj(v int) error {
	if err := ValidateOOMScoreAdj(v); err != nil {
		return err
	}
	f, err := os.OpenFile("/proc/self/oom_score_adj", os.O_WRONLY, 0)
	if err != nil {
		return fmt.Errorf("oomScoreAdj: %w", err)
	}
	_, err = f.WriteString(strconv.Itoa(v))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("oomScoreAdj %d: %w", v, err)
	}
	return nil
}
