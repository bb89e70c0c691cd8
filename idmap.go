package libct

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strconv"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/libct/libct/internal/spec"
	"github.com/libct/libct/rootfs"
)

// usernsHolderArg0 is the name this binary runs under as the holder of a
// user namespace with a mount's own mappings: it lives until its standard
// input closes, long enough for the parent to open the namespace.
const usernsHolderArg0 = "libct-userns"

// holdUserNS is the holder's whole life.
func holdUserNS() {
	io.Copy(io.Discard, os.Stdin)
	os.Exit(0)
}

// maxFDsPerMessage bounds the descriptors one message to the init carries;
// the inits receive as many messages as it takes.
const maxFDsPerMessage = 64

// idmappedMounts makes the detached idmapped mounts of mounts, in their
// order (see rootfs.OpenIDMapped), once the init's user namespace has its
// maps: a mount without mappings of its own takes that namespace, the
// others a namespace made for their mappings, one per distinct mapping.
func (l *launch) idmappedMounts(mounts []Mount) (files []*os.File, err error) {
	defer func() {
		if err != nil {
			closeIDMapped(files)
			files = nil
		}
	}()
	namespaces := map[string]*os.File{}
	defer func() {
		for _, f := range namespaces {
			f.Close()
		}
	}()
	for i := range mounts {
		m := &mounts[i]
		if !m.IDMapped() || m.IDMapsInRoot(l.cfg.Root) {
			continue
		}
		key := ""
		if !m.IDMap.ContainerMappings() {
			key = idMapKey(m.IDMap)
		}
		userns := namespaces[key]
		if userns == nil {
			if key == "" {
				userns, err = os.Open("/proc/" + strconv.Itoa(l.pid) + "/ns/user")
			} else {
				userns, err = l.mappedUserNS(m.IDMap)
			}
			if err != nil {
				return files, startError(l.c.name, "idmap", fmt.Errorf("mounts[%d].idmap: user namespace: %w", i, err))
			}
			namespaces[key] = userns
		}
		f, err := rootfs.OpenIDMapped(m, userns)
		if err != nil {
			return files, startError(l.c.name, "idmap", fmt.Errorf("mounts[%d].idmap: %w", i, err))
		}
		files = append(files, f)
	}
	return files, nil
}

func idMapKey(im *MountIDMap) string {
	return fmt.Sprint(im.UIDMappings, im.GIDMappings)
}

// mappedUserNS makes a user namespace with the mappings of im and opens
// it: a holder process is cloned into it, the Go runtime writes its maps
// before the holder runs, and the holder exits once the namespace is
// open, which keeps it alive.
func (l *launch) mappedUserNS(im *MountIDMap) (*os.File, error) {
	self, err := l.c.session.sealedBinary()
	if err != nil {
		return nil, err
	}
	r, w, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	defer w.Close()
	null, err := os.OpenFile(os.DevNull, os.O_RDWR, 0)
	if err != nil {
		r.Close()
		return nil, err
	}
	defer null.Close()
	attr := &syscall.SysProcAttr{
		Cloneflags:  unix.CLONE_NEWUSER,
		UidMappings: sysIDMaps(im.UIDMappings),
		GidMappings: sysIDMaps(im.GIDMappings),
		Pdeathsig:   syscall.SIGKILL,
	}
	proc, err := startProcess("/proc/self/fd/3", []string{usernsHolderArg0}, []*os.File{r, null, null, self}, initEnv(), attr)
	r.Close()
	if err != nil {
		return nil, err
	}
	defer func() {
		w.Close()
		proc.Wait()
	}()
	return os.Open("/proc/" + strconv.Itoa(proc.Pid) + "/ns/user")
}

// sendIDMapped hands the init the idmapped mounts, right after its spec,
// in messages of their own: the inits take them before anything else of
// the root file system.
func (l *launch) sendIDMapped(files []*os.File) error {
	for len(files) > 0 {
		n := min(len(files), maxFDsPerMessage)
		fds := make([]int, n)
		for i, f := range files[:n] {
			fds[i] = int(f.Fd())
		}
		if err := unix.Sendmsg(l.sock, []byte("idmapped-mounts"), unix.UnixRights(fds...), nil, 0); err != nil {
			return fmt.Errorf("container %q: send idmapped mounts: %w", l.c.name, err)
		}
		files = files[n:]
	}
	return nil
}

func closeIDMapped(files []*os.File) {
	for _, f := range files {
		f.Close()
	}
}

// checkMountIDMaps checks the mappings of the idmapped mounts as those of
// the user namespaces they become.
func (c *Config) checkMountIDMaps() error {
	for i, m := range c.Mounts {
		if m.IDMap == nil {
			continue
		}
		field := fmt.Sprintf("mounts[%d].idmap", i)
		if err := checkIDMaps(field+".uidMappings", m.IDMap.UIDMappings); err != nil {
			return err
		}
		if err := checkIDMaps(field+".gidMappings", m.IDMap.GIDMappings); err != nil {
			return err
		}
	}
	return nil
}

// idmapInRoot makes the idmapped mount of mounts[i], whose source is in
// the root, for the init that reached it: the source is looked up in the
// init's mount namespace, where the mounts before it are made.
func (l *launch) idmapInRoot(mounts []Mount, i int) (*os.File, error) {
	if i < 0 || i >= len(mounts) || !mounts[i].IDMapsInRoot(l.cfg.Root) {
		return nil, fmt.Errorf("mounts[%d]: no idmapped mount of a source in the root", i)
	}
	m := &mounts[i]
	var userns *os.File
	var err error
	if m.IDMap.ContainerMappings() {
		userns, err = os.Open("/proc/" + strconv.Itoa(l.pid) + "/ns/user")
	} else {
		userns, err = l.mappedUserNS(m.IDMap)
	}
	if err != nil {
		return nil, fmt.Errorf("mounts[%d].idmap: user namespace: %w", i, err)
	}
	defer userns.Close()
	var f *os.File
	err = onThrowawayThread(func() error {
		var err error
		f, err = openIDMappedIn(l.pid, m, userns)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("mounts[%d].idmap: %w", i, err)
	}
	return f, nil
}

// openIDMappedIn is rootfs.OpenIDMapped in the mount namespace of pid,
// on a locked thread it leaves there.
func openIDMappedIn(pid int, m *Mount, userns *os.File) (*os.File, error) {
	// setns into a mount namespace needs a file system context of the
	// thread's own; Go's threads share one.
	if err := unix.Unshare(unix.CLONE_FS); err != nil {
		return nil, fmt.Errorf("unshare CLONE_FS: %w", err)
	}
	ns, err := unix.Open("/proc/"+strconv.Itoa(pid)+"/ns/mnt", unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("open the init's mount namespace: %w", err)
	}
	err = unix.Setns(ns, unix.CLONE_NEWNS)
	unix.Close(ns)
	if err != nil {
		return nil, fmt.Errorf("join the init's mount namespace: %w", err)
	}
	return rootfs.OpenIDMapped(m, userns)
}

// replyIDMapped answers the init's request for an idmapped mount: the
// mount, or why there is none.
func (l *launch) replyIDMapped(f *os.File, mkErr error) error {
	if mkErr != nil {
		return l.reply(mkErr)
	}
	defer f.Close()
	data, _ := json.Marshal(&spec.Reply{})
	if err := unix.Sendmsg(l.sock, data, unix.UnixRights(int(f.Fd())), nil, 0); err != nil {
		if err == unix.EPIPE || err == unix.ECONNRESET {
			return diedBeforeExec(l.c.name, "init", l.init.pidfd)
		}
		return fmt.Errorf("container %q: answer init: %w", l.c.name, err)
	}
	return nil
}
