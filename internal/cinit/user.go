package cinit

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"slices"
	"strings"

	"github.com/libct/libct/internal/spec"
	"github.com/libct/libct/rootfs"
)

// errUnsafe is why the user is left to the Go init.
var errUnsafe = errors.New("the container's /etc/passwd and /etc/group may differ from the host's view of its root")

// resolveUser resolves the program's user from the root's /etc/passwd and
// /etc/group, read by the parent through the host's view of the root. The
// Go init reads them inside the container once its mounts are made, so
// this is done only when nothing the init does can change them (see
// mayCover). Otherwise, and for any error, the start goes through the Go
// init, which reports errors with the container's view.
func resolveUser(s *spec.Init) (*spec.Credentials, error) {
	root, err := os.OpenRoot(s.Rootfs.Root)
	if err != nil {
		return nil, err
	}
	defer root.Close()
	if mayCover(root, &s.Rootfs) {
		return nil, errUnsafe
	}
	return userIn(root, &s.Process)
}

// userFiles are what the user is resolved from, and the directory that
// holds them, as paths inside the root.
var userFiles = []string{"etc", "etc/passwd", "etc/group"}

// mayCover tells whether the init's work on the root file system may
// change what /etc/passwd or /etc/group hold: a mount, a mask or a device
// node at /etc or at either file, a symbolic link among those three (a
// mount elsewhere could land on them through it), a symbolic link in the
// root on the way to a mount point or a device (it could lead there), or
// a mount point below a bind mount (the host directory's links could).
// Below the other file systems (proc, sysfs, tmpfs...) nothing leads out:
// their links stay inside them.
func mayCover(root *os.Root, r *rootfs.Spec) bool {
	for _, name := range userFiles {
		fi, err := root.Lstat(name)
		if err != nil && !errors.Is(err, fs.ErrNotExist) || err == nil && fi.Mode()&fs.ModeSymlink != 0 {
			return true
		}
	}
	var mounts, binds []string
	touches := func(p string) bool {
		rel, err := rootfs.InRoot(p)
		if err != nil || slices.Contains(userFiles, rel) {
			return true
		}
		for _, b := range binds {
			if strings.HasPrefix(rel, b+"/") {
				return true
			}
		}
		// The components in the root itself, up to the first that a
		// mount made before covers or that does not exist yet.
		for i := 0; i <= len(rel); i++ {
			if i < len(rel) && rel[i] != '/' {
				continue
			}
			part := rel[:i]
			if slices.Contains(mounts, part) {
				return false
			}
			fi, err := root.Lstat(part)
			if errors.Is(err, fs.ErrNotExist) {
				return false
			}
			if err != nil || fi.Mode()&fs.ModeSymlink != 0 {
				return true
			}
		}
		return false
	}
	for _, m := range r.Mounts {
		if touches(m.Destination) {
			return true
		}
		rel, _ := rootfs.InRoot(m.Destination)
		mounts = append(mounts, rel)
		if m.Flags&rootfs.Bind != 0 {
			binds = append(binds, rel)
		}
	}
	for _, d := range r.Devices {
		if touches(d.Path) {
			return true
		}
	}
	for _, p := range r.MaskedPaths {
		if touches(p) {
			return true
		}
	}
	return false
}

// userIn resolves the user of p from the /etc/passwd and /etc/group of
// root, as the Go init does from the container's.
func userIn(root *os.Root, p *spec.Process) (*spec.Credentials, error) {
	return spec.ResolveUser(p, func(path string) (io.Reader, func()) {
		f, err := root.Open(strings.TrimPrefix(path, "/"))
		if err != nil {
			return nil, func() {}
		}
		return f, func() { f.Close() }
	})
}
