package libct

import (
	"fmt"
	"os"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/libct/libct/internal/quote"
	"github.com/libct/libct/internal/spec"
)

// planMountSources fills sp.MountSources: in a user namespace, the init
// looks up a bind mount's source with the ids of its namespace, which the
// host's permissions may shut out (a directory only its owner may enter),
// so the parent opens the sources outside the root for it. A source in
// the root is left to the init: an earlier mount may make it. A start
// that re-executes its init keeps no descriptor across, and opens none.
func planMountSources(sp *spec.Init) {
	r := &sp.Rootfs
	if !r.UserNS || !r.MountNS || r.Root == "" || sp.NewTimeNS || sp.Reexec {
		return
	}
	for i := range r.Mounts {
		m := &r.Mounts[i]
		if m.Flags&MountBind == 0 || strings.HasPrefix(m.Source, r.Root+"/") || m.Source == r.Root {
			continue
		}
		if len(sp.MountSources) == spec.MaxMountSources {
			return
		}
		sp.MountSources = append(sp.MountSources, i)
	}
}

// openMountSources opens the sources sp.MountSources names, as O_PATH
// descriptors, from inside the mount namespace of the init pid but with
// the caller's credentials: a descriptor of the host's mount would not
// do, as bind mounts take their source from the caller's own namespace,
// and the copy in the container's keeps the flags the kernel locked there.
func openMountSources(pid int, sp *spec.Init) ([]*os.File, error) {
	if len(sp.MountSources) == 0 {
		return nil, nil
	}
	// The thread joins another mount namespace (onThrowawayThread).
	var files []*os.File
	err := onThrowawayThread(func() error {
		var err error
		files, err = openInMountNS(pid, sp)
		return err
	})
	return files, err
}

func openInMountNS(pid int, sp *spec.Init) ([]*os.File, error) {
	// setns into a mount namespace needs a file system context of the
	// thread's own; Go's threads share one.
	if err := unix.Unshare(unix.CLONE_FS); err != nil {
		return nil, fmt.Errorf("mount sources: unshare CLONE_FS: %w", err)
	}
	ns, err := unix.Open(fmt.Sprintf("/proc/%d/ns/mnt", pid), unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("mount sources: open the init's mount namespace: %w", err)
	}
	err = unix.Setns(ns, unix.CLONE_NEWNS)
	unix.Close(ns)
	if err != nil {
		return nil, fmt.Errorf("mount sources: join the init's mount namespace: %w", err)
	}
	var files []*os.File
	for _, i := range sp.MountSources {
		src := sp.Rootfs.Mounts[i].Source
		fd, err := unix.Open(src, unix.O_PATH|unix.O_CLOEXEC, 0)
		if err != nil {
			closeFiles(files)
			return nil, invalid(fmt.Sprintf("mounts[%d].source", i), "%s: %v", quote.Value(src), err)
		}
		files = append(files, os.NewFile(uintptr(fd), src))
	}
	return files, nil
}

func closeFiles(files []*os.File) {
	for _, f := range files {
		f.Close()
	}
}
