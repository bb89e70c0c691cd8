// Package sysfile reads and writes whole small files with bare system
// calls: open, read or write, close.
//
// os.ReadFile and os.OpenFile hand every descriptor to the runtime's
// poller first: F_GETFL, F_SETFL O_NONBLOCK and epoll_ctl, then the same
// undone for a regular file the poller refuses, or an epoll_ctl delete
// at close for a /proc or cgroup file it accepts. Those four or five
// system calls cost more than reading a container's state document or a
// /proc file, and a container's start reads and writes a dozen of them.
//
// Use it for regular files and the files of /proc, /sys and cgroup file
// systems, which never block. Do not use it for pipes, FIFOs, sockets or
// terminals: a read of those can block, and only the poller lets it block
// without holding an OS thread.
package sysfile

import (
	"os"

	"golang.org/x/sys/unix"
)

// minSize is the smallest read buffer, and the first one for a file that
// reports no size, as /proc files do.
const minSize = 512

// Read returns the content of path, as os.ReadFile does, with its errors
// (an *os.PathError, which errors.Is matches against os.ErrNotExist and
// the other fs errors). A regular file gets a buffer of its size and one
// byte more, for the read that meets end of file.
func Read(path string) ([]byte, error) {
	return read(path, true)
}

// ReadPseudo is Read for the files of /proc, /sys and cgroup file
// systems, which report a size of 0: it asks for no size (one fstat less)
// and starts with a buffer of 512 bytes.
func ReadPseudo(path string) ([]byte, error) {
	return read(path, false)
}

func read(path string, sized bool) ([]byte, error) {
	fd, err := open(path, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: path, Err: err}
	}
	defer unix.Close(fd)
	size := minSize
	var st unix.Stat_t
	if sized && unix.Fstat(fd, &st) == nil && st.Mode&unix.S_IFMT == unix.S_IFREG && st.Size >= minSize && st.Size < 1<<30 {
		size = int(st.Size) + 1
	}
	buf := make([]byte, 0, size)
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := unix.Read(fd, buf[len(buf):cap(buf)])
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return nil, &os.PathError{Op: "read", Path: path, Err: err}
		}
		if n == 0 {
			return buf, nil
		}
		buf = buf[:len(buf)+n]
	}
}

// Create makes path with mode perm, opened O_WRONLY|O_CREAT|flag (flag
// adds O_EXCL or O_TRUNC), writes data and closes it. Errors are
// *os.PathError, as from os.OpenFile and (*os.File).Write.
func Create(path string, data []byte, flag int, perm uint32) error {
	fd, err := open(path, unix.O_WRONLY|unix.O_CREAT|unix.O_CLOEXEC|flag, perm)
	if err != nil {
		return &os.PathError{Op: "open", Path: path, Err: err}
	}
	for len(data) > 0 {
		n, err := unix.Write(fd, data)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			unix.Close(fd)
			return &os.PathError{Op: "write", Path: path, Err: err}
		}
		data = data[n:]
	}
	if err := unix.Close(fd); err != nil {
		return &os.PathError{Op: "close", Path: path, Err: err}
	}
	return nil
}

func open(path string, flags int, perm uint32) (int, error) {
	for {
		fd, err := unix.Open(path, flags, perm)
		if err != unix.EINTR {
			return fd, err
		}
	}
}
