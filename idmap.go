package libct

import (
	"fmt"
	"io"
	"os"
	"strconv"
	"syscall"

	"golang.org/x/sys/unix"

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
		if !m.IDMapped() {
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
