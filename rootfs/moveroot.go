package rootfs

import (
	"bufio"
	"os"
	"sort"
	"strings"

	"golang.org/x/sys/unix"
)

// moveRoot switches to root without pivot_root (Spec.NoPivot), for a root
// pivot_root refuses, such as one on the initramfs: root is moved onto
// "/" and entered by chroot. The old root's mounts stay in the mount
// namespace, under the new root; the proc and sysfs among them are
// detached first, because the kernel lets a user namespace mount a new
// proc or sysfs only while one is fully visible in its mount namespace,
// and the host's would be.
func moveRoot(root string) error {
	if err := detachProcSysOutside(root); err != nil {
		return err
	}
	if err := unix.Chdir(root); err != nil {
		return &os.PathError{Op: "chdir", Path: root, Err: err}
	}
	if err := unix.Mount(root, "/", "", unix.MS_MOVE, ""); err != nil {
		return &os.PathError{Op: "move", Path: root, Err: err}
	}
	if err := unix.Chroot("."); err != nil {
		return &os.PathError{Op: "chroot", Path: root, Err: err}
	}
	if err := unix.Chdir("/"); err != nil {
		return &os.PathError{Op: "chdir", Path: "/", Err: err}
	}
	return nil
}

// detachProcSysOutside detaches every proc and sysfs mount of the
// caller's mount namespace that is not at root or below it, the deepest
// first. One the kernel will not detach is covered by an empty read-only
// tmpfs instead.
func detachProcSysOutside(root string) error {
	points, err := procSysMounts()
	if err != nil {
		return err
	}
	sort.Slice(points, func(i, j int) bool { return len(points[i]) > len(points[j]) })
	for _, p := range points {
		if p == root || strings.HasPrefix(p, root+"/") {
			continue
		}
		err := unix.Unmount(p, unix.MNT_DETACH)
		switch err {
		case nil, unix.EINVAL, unix.ENOENT:
			// Gone, or gone with a mount above it.
			continue
		}
		if err := unix.Mount("tmpfs", p, "tmpfs", unix.MS_RDONLY|unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, "size=0,mode=0"); err != nil {
			return &os.PathError{Op: "mask", Path: p, Err: err}
		}
	}
	return nil
}

// procSysMounts lists the mount points of proc and sysfs mounts, from
// /proc/self/mountinfo (the file system type follows the " - ").
func procSysMounts() ([]string, error) {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		_, after, ok := strings.Cut(line, " - ")
		fields := strings.Fields(line)
		if !ok || len(fields) < 5 {
			continue
		}
		if fstype, _, _ := strings.Cut(after, " "); fstype == "proc" || fstype == "sysfs" {
			out = append(out, unescapeMountinfo(fields[4]))
		}
	}
	return out, sc.Err()
}
