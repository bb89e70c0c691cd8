package libct

import (
	"debug/elf"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"
)

// initBinary returns the running binary, opened the way the init of every
// container runs it.
//
// The init stage runs the caller's binary inside the container. Were it
// executed from its file on the host, a process in the container could
// open /proc/<init>/exe and, once the init has exec'd, write through it
// into the host's binary (CVE-2019-5736). So the binary is opened through
// a read-only overlay mount that is attached nowhere: made with fsopen and
// fsmount, it exists only as a descriptor, no mount table shows it, and
// every write through it fails with EROFS. It costs a few system calls,
// not a copy. Without overlayfs, a sealed memfd copy takes its place.
//
// emptyDir is an empty directory: overlayfs wants two layers, and the
// second must not overlap the binary's directory.
func initBinary(emptyDir string) (*os.File, error) {
	exe, err := os.Readlink("/proc/self/exe")
	if err == nil && !strings.HasSuffix(exe, " (deleted)") {
		if f, err := overlayOf(exe, emptyDir); err == nil {
			return f, nil
		}
	}
	return sealedCopy()
}

// overlayOf opens exe through a detached read-only overlay of its
// directory.
func overlayOf(exe, emptyDir string) (*os.File, error) {
	dir, base := filepath.Dir(exe), filepath.Base(exe)
	if within(dir, emptyDir) || within(emptyDir, dir) {
		return nil, fmt.Errorf("%s and %s overlap", dir, emptyDir)
	}
	if err := os.MkdirAll(emptyDir, 0o700); err != nil {
		return nil, err
	}
	fs, err := unix.Fsopen("overlay", unix.FSOPEN_CLOEXEC)
	if err != nil {
		return nil, err
	}
	defer unix.Close(fs)
	for _, layer := range []string{dir, emptyDir} {
		if err := unix.FsconfigSetString(fs, "lowerdir+", layer); err != nil {
			return nil, err
		}
	}
	if err := unix.FsconfigCreate(fs); err != nil {
		return nil, err
	}
	mnt, err := unix.Fsmount(fs, unix.FSMOUNT_CLOEXEC, unix.MOUNT_ATTR_NODEV|unix.MOUNT_ATTR_NOSUID|unix.MOUNT_ATTR_RDONLY)
	if err != nil {
		return nil, err
	}
	defer unix.Close(mnt)
	fd, err := unix.Openat(mnt, base, unix.O_RDONLY|unix.O_CLOEXEC|unix.O_NOFOLLOW, 0)
	if err != nil {
		return nil, err
	}
	return os.NewFile(uintptr(fd), exe), nil
}

// within tells whether path is dir or below it.
func within(path, dir string) bool {
	return path == dir || strings.HasPrefix(path, strings.TrimSuffix(dir, "/")+"/")
}

// sealedCopy is a copy of the running binary in a memfd sealed against
// writes, growth and shrinking.
func sealedCopy() (*os.File, error) {
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

// selfDynamic tells whether the running binary is dynamically linked: it
// names a program interpreter, the loader that must be there to execute
// it.
func selfDynamic() bool {
	f, err := elf.Open("/proc/self/exe")
	if err != nil {
		return false
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			return true
		}
	}
	return false
}
