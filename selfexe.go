package libct

import (
	"encoding/binary"
	"fmt"
	"io"
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
// overlayfs wants two layers when there is no upper one. The second is
// the root of a tmpfs that is attached nowhere either: it is empty by
// construction, cannot overlap the binary's directory, and leaves nothing
// behind in the state root or anywhere else when the caller exits.
func initBinary() (*os.File, error) {
	exe, err := os.Readlink("/proc/self/exe")
	if err == nil && !strings.HasSuffix(exe, " (deleted)") {
		if f, err := overlayOf(exe); err == nil {
			return f, nil
		}
	}
	return sealedCopy()
}

// overlayOf opens exe through a detached read-only overlay of its
// directory over a detached empty tmpfs.
func overlayOf(exe string) (*os.File, error) {
	empty, err := detachedMount("tmpfs", unix.MOUNT_ATTR_RDONLY, "mode", "0500")
	if err != nil {
		return nil, err
	}
	defer unix.Close(empty)
	// Layers are named by path; the magic link of a descriptor of a
	// detached mount resolves to that mount's root.
	mnt, err := detachedMount("overlay", unix.MOUNT_ATTR_NODEV|unix.MOUNT_ATTR_NOSUID|unix.MOUNT_ATTR_RDONLY,
		"lowerdir+", filepath.Dir(exe), "lowerdir+", fmt.Sprintf("/proc/self/fd/%d", empty))
	if err != nil {
		return nil, err
	}
	defer unix.Close(mnt)
	fd, err := unix.Openat(mnt, filepath.Base(exe), unix.O_RDONLY|unix.O_CLOEXEC|unix.O_NOFOLLOW, 0)
	if err != nil {
		return nil, err
	}
	return os.NewFile(uintptr(fd), exe), nil
}

// detachedMount makes a mount of fstype that is attached nowhere, with
// the string options given as key, value pairs, and returns its
// descriptor.
func detachedMount(fstype string, attrs int, options ...string) (int, error) {
	fs, err := unix.Fsopen(fstype, unix.FSOPEN_CLOEXEC)
	if err != nil {
		return -1, err
	}
	defer unix.Close(fs)
	for i := 0; i+1 < len(options); i += 2 {
		if err := unix.FsconfigSetString(fs, options[i], options[i+1]); err != nil {
			return -1, err
		}
	}
	if err := unix.FsconfigCreate(fs); err != nil {
		return -1, err
	}
	return unix.Fsmount(fs, unix.FSMOUNT_CLOEXEC, attrs)
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
// names a program interpreter (a PT_INTERP program header), the loader
// that must be there to execute it.
//
// It reads the headers itself rather than with debug/elf: that package
// brings compress/flate, zlib, zstd and debug/dwarf, whose package
// initializers build tables in every process that links them, on every
// start of ct and of its init.
func selfDynamic() bool {
	f, err := os.Open("/proc/self/exe")
	if err != nil {
		return false
	}
	defer f.Close()
	return hasInterpreter(f)
}

// The fields of a 64-bit little-endian ELF file's header and program
// headers that hasInterpreter reads (elf(5)).
const (
	elfHeaderSize  = 64
	elfPhoff       = 0x20 // e_phoff, 8 bytes
	elfPhentsize   = 0x36 // e_phentsize, 2 bytes
	elfPhnum       = 0x38 // e_phnum, 2 bytes
	elfProgHdrSize = 56
	elfPTInterp    = 3
)

// hasInterpreter tells whether f, a 64-bit little-endian ELF executable
// (what Linux runs ct as on every architecture this module builds for
// but s390x), has a PT_INTERP program header. Anything else reads as
// static.
func hasInterpreter(f io.ReaderAt) bool {
	var hdr [elfHeaderSize]byte
	if _, err := f.ReadAt(hdr[:], 0); err != nil {
		return false
	}
	if string(hdr[:4]) != "\x7fELF" || hdr[4] != 2 /* ELFCLASS64 */ || hdr[5] != 1 /* ELFDATA2LSB */ {
		return false
	}
	phoff := binary.LittleEndian.Uint64(hdr[elfPhoff:])
	phentsize := int64(binary.LittleEndian.Uint16(hdr[elfPhentsize:]))
	phnum := int64(binary.LittleEndian.Uint16(hdr[elfPhnum:]))
	if phentsize < elfProgHdrSize || phnum > 1<<12 {
		return false
	}
	var ph [elfProgHdrSize]byte
	for i := range phnum {
		if _, err := f.ReadAt(ph[:], int64(phoff)+i*phentsize); err != nil {
			return false
		}
		if binary.LittleEndian.Uint32(ph[:4]) == elfPTInterp {
			return true
		}
	}
	return false
}
