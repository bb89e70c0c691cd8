package rootfs

import (
	"bufio"
	"os"
	"sort"
	"strings"

	"golang.org/x/sys/unix"
)

// UnmountUnder detaches every mount at root or below it in the caller's
// mount namespace, the deepest first: what Setup made with SharedMountNS,
// or BindPrivate. Nothing mounted there, or no root at all, is no error,
// so that a destroy can call it again. Use it only on a container's own
// root.
func UnmountUnder(root string) error {
	points, err := mountPointsUnder(root)
	if err != nil {
		return err
	}
	sort.Slice(points, func(i, j int) bool { return len(points[i]) > len(points[j]) })
	for _, p := range points {
		if err := unix.Unmount(p, unix.MNT_DETACH); err != nil && err != unix.EINVAL && err != unix.ENOENT {
			return &os.PathError{Op: "umount", Path: p, Err: err}
		}
	}
	return nil
}

// mountPointsUnder lists the mount points at root or below it, from
// /proc/self/mountinfo (field 5, with its octal escapes undone).
func mountPointsUnder(root string) ([]string, error) {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	root = strings.TrimSuffix(root, "/")
	var out []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 5 {
			continue
		}
		p := unescapeMountinfo(fields[4])
		if p == root || strings.HasPrefix(p, root+"/") {
			out = append(out, p)
		}
	}
	return out, sc.Err()
}

// unescapeMountinfo undoes the octal escapes of space, tab, newline and
// backslash in mountinfo paths.
func unescapeMountinfo(s string) string {
	return strings.NewReplacer(`\040`, " ", `\011`, "\t", `\012`, "\n", `\134`, `\`).Replace(s)
}
