package libct

import (
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// sealedSelf returns a sealed in-memory copy of the running binary.
//
// The init stage runs the caller's binary inside the container. Were it
// executed from its file on the host, a process in the container could
// open /proc/<init>/exe and, once the init has exec'd, write through it
// into the host's binary (CVE-2019-5736). The init is executed from a
// memfd sealed against writes, growth and shrinking instead: through
// /proc/<pid>/exe the container reaches only this copy, and cannot change
// it. The copy is made once per session and shared by all its starts.
func sealedSelf() (*os.File, error) {
	src, err := os.Open("/proc/self/exe")
	if err != nil {
		return nil, fmt.Errorf("open own binary: %w", err)
	}
	defer src.Close()
	fd, err := unix.MemfdCreate("libct-init", unix.MFD_CLOEXEC|unix.MFD_ALLOW_SEALING)
	if err != nil {
		return nil, fmt.Errorf("memfd_create: %w", err)
	}
	mem := os.NewFile(uintptr(fd), "libct-init")
	if err := copyInKernel(mem, src); err != nil {
		mem.Close()
		return nil, fmt.Errorf("copy own binary: %w", err)
	}
	seals := unix.F_SEAL_SEAL | unix.F_SEAL_SHRINK | unix.F_SEAL_GROW | unix.F_SEAL_WRITE
	if _, err := unix.FcntlInt(mem.Fd(), unix.F_ADD_SEALS, seals); err != nil {
		mem.Close()
		return nil, fmt.Errorf("seal own binary: %w", err)
	}
	return mem, nil
}

// copyInKernel copies all of src to dst with sendfile(2): a few calls in
// all instead of a read and a write per 32 KiB through user space.
func copyInKernel(dst, src *os.File) error {
	st, err := src.Stat()
	if err != nil {
		return err
	}
	for remaining := st.Size(); remaining > 0; {
		n, err := unix.Sendfile(int(dst.Fd()), int(src.Fd()), nil, int(remaining))
		if err == unix.EINTR || err == unix.EAGAIN {
			continue
		}
		if err != nil {
			return err
		}
		if n == 0 {
			return fmt.Errorf("%s shrank while being copied", src.Name())
		}
		remaining -= int64(n)
	}
	return nil
}
