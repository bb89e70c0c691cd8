package rootfs

import (
	"errors"
	"os"
	"strings"

	"golang.org/x/sys/unix"
)

// resolveIn resolves rel, a clean path relative to the directory rootfd,
// the way a process chrooted there would see it: a symlink is followed
// inside the root, an absolute one from the root itself, and ".." stops
// at the root. Past the first component that does not exist the rest is
// taken as it is (the caller creates it), so a dangling symlink leads to
// where its target would be. Images rely on this: Debian's /var/run is
// "/run", and a mount on /var/run/x belongs in /run/x.
//
// Every component is opened with openat2's RESOLVE_IN_ROOT, so a symlink
// swapped in meanwhile cannot lead out of the root either. The result is
// clean and relative, "." for the root itself.
func resolveIn(rootfd int, rel string) (string, error) {
	var done []string
	todo := strings.Split(rel, "/")
	links, missing := 0, false
	for len(todo) > 0 {
		c := todo[0]
		todo = todo[1:]
		switch c {
		case "", ".":
			continue
		case "..":
			if len(done) > 0 {
				done = done[:len(done)-1]
			}
			continue
		}
		if missing {
			done = append(done, c)
			continue
		}
		next := strings.Join(append(done[:len(done):len(done)], c), "/")
		target, isLink, err := readLinkIn(rootfd, next)
		switch {
		case errors.Is(err, unix.ENOENT):
			missing = true
		case err != nil:
			return "", &os.PathError{Op: "resolve", Path: "/" + next, Err: err}
		case isLink:
			if links++; links > maxLinks {
				return "", &os.PathError{Op: "resolve", Path: "/" + rel, Err: unix.ELOOP}
			}
			if strings.HasPrefix(target, "/") {
				done = done[:0]
			}
			todo = append(strings.Split(target, "/"), todo...)
			continue
		}
		done = append(done, c)
	}
	if len(done) == 0 {
		return ".", nil
	}
	return strings.Join(done, "/"), nil
}

// readLinkIn opens rel inside rootfd without following its last component
// and returns the symlink's target when it is one.
func readLinkIn(rootfd int, rel string) (target string, isLink bool, err error) {
	fd, err := unix.Openat2(rootfd, rel, &unix.OpenHow{
		Flags:   unix.O_PATH | unix.O_NOFOLLOW | unix.O_CLOEXEC,
		Resolve: unix.RESOLVE_IN_ROOT | unix.RESOLVE_NO_MAGICLINKS,
	})
	if err != nil {
		return "", false, err
	}
	defer unix.Close(fd)
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return "", false, err
	}
	if st.Mode&unix.S_IFMT != unix.S_IFLNK {
		return "", false, nil
	}
	buf := make([]byte, unix.PathMax)
	n, err := unix.Readlinkat(fd, "", buf)
	if err != nil {
		return "", false, err
	}
	return string(buf[:n]), true, nil
}

// resolveDest is resolveIn for a destination in the root of st.
func (st *state) resolveDest(rel string) (string, error) {
	var resolved string
	var err error
	if e := withFD(st.rootDir, func(fd int) { resolved, err = resolveIn(fd, rel) }); e != nil {
		return "", e
	}
	return resolved, err
}
