package rootfs

import (
	"errors"
	"fmt"
	"io/fs"
	"os"

	"golang.org/x/sys/unix"

	"github.com/libct/libct/internal/quote"
)

// DefaultMaskedPaths are the paths the OCI runtime defaults (runc's
// `spec`) hide: kernel interfaces that leak host data or reach the host's
// hardware.
func DefaultMaskedPaths() []string {
	return []string{
		"/proc/acpi", "/proc/asound", "/proc/interrupts", "/proc/kcore", "/proc/keys",
		"/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug",
		"/proc/scsi", "/sys/firmware", "/sys/devices/virtual/powercap",
	}
}

// DefaultReadonlyPaths are the /proc parts the OCI runtime defaults make
// read-only.
func DefaultReadonlyPaths() []string {
	return []string{"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"}
}

// maskPaths hides every existing Spec.MaskedPaths entry.
// The directories share one empty tmpfs: the first gets it, the others a
// bind of it, which costs the kernel no superblock each. It is read-only
// and listable (0555), so that root of a container without
// CAP_DAC_OVERRIDE (runc's default set) may look into it, as with runc.
func (st *state) maskPaths() error {
	var empty *os.File
	defer func() {
		if empty != nil {
			empty.Close()
		}
	}()
	for i, p := range st.spec.MaskedPaths {
		f, shown, err := st.openExisting(p)
		if err != nil {
			return fmt.Errorf("maskedPaths[%d] %s: %w", i, quote.Value(p), err)
		}
		if f == nil {
			continue
		}
		fi, err := f.Stat()
		switch {
		case err != nil:
		case fi.IsDir() && empty != nil:
			var merr error
			if err = withFD(empty, func(fd int) { merr = mountOn(f, "mask", shown, fdPath(fd), "", unix.MS_BIND, "") }); err == nil {
				err = merr
			}
		case fi.IsDir():
			err = mountOn(f, "mask", shown, "tmpfs", "tmpfs",
				unix.MS_RDONLY|unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, "size=0,mode=0555")
			if err == nil {
				rel, _ := InRootNotRoot(p)
				empty, err = openPath(st.root, rel, true)
			}
		default:
			err = mountOn(f, "mask", shown, "/dev/null", "", unix.MS_BIND, "")
		}
		f.Close()
		if err != nil {
			return fmt.Errorf("maskedPaths[%d]: %w", i, err)
		}
	}
	return nil
}

// readonlyPaths binds every existing Spec.ReadonlyPaths entry onto itself
// and makes the bind, submounts included, read-only.
func (st *state) readonlyPaths() error {
	for i, p := range st.spec.ReadonlyPaths {
		f, shown, err := st.openExisting(p)
		if err != nil {
			return fmt.Errorf("readonlyPaths[%d] %s: %w", i, quote.Value(p), err)
		}
		if f == nil {
			continue
		}
		var dir bool
		if fi, err := f.Stat(); err == nil {
			dir = fi.IsDir()
		}
		err = withFD(f, func(fd int) {
			err = mountFD(fd, "bind", shown, fdPath(fd), "", unix.MS_BIND|unix.MS_REC, "")
		})
		f.Close()
		if err == nil {
			err = st.setReadOnly(p, dir, shown)
		}
		if err != nil {
			return fmt.Errorf("readonlyPaths[%d]: %w", i, err)
		}
	}
	return nil
}

// setReadOnly opens the new bind at p again (the earlier descriptor names
// what lies under it) and makes it read-only.
func (st *state) setReadOnly(p string, dir bool, shown string) error {
	rel, err := InRootNotRoot(p)
	if err != nil {
		return err
	}
	top, err := openPath(st.root, rel, dir)
	if err != nil {
		return err
	}
	defer top.Close()
	return setBindFlags(top, shown, ReadOnly|RecursiveAttrs)
}

// openExisting opens the container path p inside the root, or returns a
// nil file when it does not exist.
func (st *state) openExisting(p string) (*os.File, string, error) {
	rel, err := InRootNotRoot(p)
	if err != nil {
		return nil, "", err
	}
	f, err := openPath(st.root, rel, false)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, "", nil
	}
	return f, "/" + rel, err
}
