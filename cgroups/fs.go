package cgroups

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/libct/libct/internal/sysfile"
)

// write is one value for one file of a controller's directory.
type write struct {
	ctl, file, value string
}

// writeFile writes value to dir/file in one write(2), as cgroup files
// want. It returns the bare errno.
func writeFile(dir, file, value string) error {
	fd, err := unix.Open(filepath.Join(dir, file), unix.O_WRONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	for {
		_, err = unix.Write(fd, []byte(value))
		if err != unix.EINTR {
			return err
		}
	}
}

// readFile returns the content of dir/file without its trailing newline,
// and the bare errno on failure.
func readFile(dir, file string) (string, error) {
	data, err := sysfile.ReadPseudo(filepath.Join(dir, file))
	if err != nil {
		return "", bare(err)
	}
	return strings.TrimSuffix(string(data), "\n"), nil
}

func exists(dir, file string) bool {
	return unix.Access(filepath.Join(dir, file), unix.F_OK) == nil
}

// bare strips the *os.PathError around an errno: errors of this package
// name controller, parameter and value instead.
func bare(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// fileErr wraps the failure of a write or read of a controller's file: a
// missing file is an unknown parameter.
func fileErr(ctl, file, value string, err error) error {
	err = bare(err)
	if errors.Is(err, unix.ENOENT) {
		err = fmt.Errorf("%w (%w)", ErrUnknownParam, err)
	}
	return paramErr(ctl, file, value, err)
}
