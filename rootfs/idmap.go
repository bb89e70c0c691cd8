package rootfs

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/libct/libct/internal/quote"
)

// IDMap maps Size ids from ContainerID inside a user namespace to HostID
// outside it.
type IDMap struct {
	ContainerID uint32 `json:"containerID"`
	HostID      uint32 `json:"hostID"`
	Size        uint32 `json:"size"`
}

// MountIDMap makes a bind mount or a tmpfs idmapped (mount_setattr(2)'s
// MOUNT_ATTR_IDMAP): a file owned by id N on disk is seen through the
// mount as owned by whatever N is mapped to, as if N were an id of a user
// namespace with these mappings, and files created through it are written
// with the reverse mapping.
type MountIDMap struct {
	// UIDMappings and GIDMappings are the mappings, in the form of a user
	// namespace's uid_map and gid_map: ContainerID is the id on disk,
	// HostID what it is seen as from the host. Both empty: those of the
	// container's user namespace, which it must have (new or joined).
	UIDMappings []IDMap `json:"uidMappings,omitempty"`
	GIDMappings []IDMap `json:"gidMappings,omitempty"`
	// Recursive idmaps every submount of a recursive bind too (OCI's
	// ridmap); without it only the top mount is idmapped and the
	// submounts show their files as they are.
	Recursive bool `json:"recursive,omitempty"`
}

// maxID bounds the ids of a mapping: (uid_t)-1 is no id.
const maxID = 1<<32 - 1

// IDMapped tells whether m is an idmapped mount.
func (m *Mount) IDMapped() bool { return m.IDMap != nil }

// IDMapsInRoot tells whether m is idmapped from a source inside root,
// which an earlier mount may make: its caller cannot make it before Setup
// runs, and makes it when Setup asks (IDMapper), in the mount namespace
// Setup works in.
func (m *Mount) IDMapsInRoot(root string) bool {
	return m.IDMapped() && m.Flags&Bind != 0 && within(root, m.Source)
}

// IDMapper is what Actions also implement when Spec.Mounts has idmapped
// mounts with a source in the root (IDMapsInRoot): IDMappedMount makes
// the detached idmapped mount of Mounts[i] once the mounts before it are
// made.
type IDMapper interface {
	IDMappedMount(i int) (*os.File, error)
}

// ContainerMappings tells whether m takes the mappings of the container's
// user namespace.
func (im *MountIDMap) ContainerMappings() bool {
	return len(im.UIDMappings) == 0 && len(im.GIDMappings) == 0
}

// checkIDMap checks the IDMap of Mounts[i]; userNS tells whether the
// container has a user namespace.
func (m *Mount) checkIDMap(i int, userNS bool) error {
	im := m.IDMap
	if im == nil {
		return nil
	}
	field := fmt.Sprintf("mounts[%d].idmap", i)
	switch {
	case m.Flags&Bind == 0 && m.Type != "tmpfs":
		return fmt.Errorf("%s: only a bind mount or a tmpfs can be idmapped, not a %s mount", field, quote.Value(m.Type))
	case len(im.UIDMappings) == 0 && len(im.GIDMappings) > 0:
		return fmt.Errorf("%s.uidMappings: empty while gidMappings is not: give both or neither", field)
	case len(im.GIDMappings) == 0 && len(im.UIDMappings) > 0:
		return fmt.Errorf("%s.gidMappings: empty while uidMappings is not: give both or neither", field)
	case im.ContainerMappings() && !userNS:
		return fmt.Errorf("%s: no mappings, and the container has no user namespace to take them from", field)
	}
	for _, f := range []struct {
		name string
		maps []IDMap
	}{{"uidMappings", im.UIDMappings}, {"gidMappings", im.GIDMappings}} {
		for j, r := range f.maps {
			switch {
			case r.Size == 0:
				return fmt.Errorf("%s.%s[%d].size: must not be 0", field, f.name, j)
			case uint64(r.ContainerID)+uint64(r.Size) > maxID:
				return fmt.Errorf("%s.%s[%d]: container ids %d+%d exceed the largest id %d", field, f.name, j, r.ContainerID, r.Size, maxID-1)
			case uint64(r.HostID)+uint64(r.Size) > maxID:
				return fmt.Errorf("%s.%s[%d]: host ids %d+%d exceed the largest id %d", field, f.name, j, r.HostID, r.Size, maxID-1)
			}
		}
	}
	return nil
}

// OpenIDMapped makes the idmapped mount of m, detached: a clone of its
// Source (with the submounts for a recursive bind), or a new tmpfs,
// idmapped through the user namespace userns. The caller hands it to
// Setup in Spec.IDMapped, to be moved where the mount goes. It runs where
// Source is reachable and the caller is privileged over the file system,
// so on the host, once the user namespace has its maps.
func OpenIDMapped(m *Mount, userns *os.File) (*os.File, error) {
	var fd int
	var err error
	if m.Flags&Bind != 0 {
		flags := uint(unix.OPEN_TREE_CLONE | unix.OPEN_TREE_CLOEXEC)
		if m.Flags&Recursive != 0 {
			flags |= unix.AT_RECURSIVE
		}
		if fd, err = unix.OpenTree(unix.AT_FDCWD, m.Source, flags); err != nil {
			return nil, &os.PathError{Op: "open_tree", Path: m.Source, Err: err}
		}
	} else if fd, err = newTmpfs(m); err != nil {
		return nil, err
	}
	at := unix.AT_EMPTY_PATH
	if m.IDMap.Recursive {
		at |= unix.AT_RECURSIVE
	}
	attr := &unix.MountAttr{Attr_set: unix.MOUNT_ATTR_IDMAP, Userns_fd: uint64(userns.Fd())}
	if err := unix.MountSetattr(fd, "", uint(at), attr); err != nil {
		unix.Close(fd)
		what, why := m.Source, "the file system does not support idmapped mounts"
		if m.Flags&Bind == 0 {
			what, why = m.Type, "a tmpfs can be idmapped from Linux 6.3 on"
		}
		if errors.Is(err, unix.EINVAL) {
			err = fmt.Errorf("%w (%s)", err, why)
		}
		return nil, &os.PathError{Op: "mount_setattr idmap", Path: what, Err: err}
	}
	return os.NewFile(uintptr(fd), m.Source), nil
}

// newTmpfs makes the tmpfs of m, detached (fsopen(2), fsmount(2)), with
// its options and flags: an idmapping needs a mount that was never
// attached.
func newTmpfs(m *Mount) (int, error) {
	fs, err := unix.Fsopen(m.Type, unix.FSOPEN_CLOEXEC)
	if err != nil {
		return -1, &os.PathError{Op: "fsopen", Path: m.Type, Err: err}
	}
	defer unix.Close(fs)
	source := m.Source
	if source == "" {
		source = m.Type
	}
	if err := unix.FsconfigSetString(fs, "source", source); err != nil {
		return -1, &os.PathError{Op: "fsconfig source", Path: m.Type, Err: err}
	}
	for _, p := range [...]struct {
		f    MountFlag
		name string
	}{{Sync, "sync"}, {DirSync, "dirsync"}, {LazyTime, "lazytime"}} {
		if m.Flags&p.f != 0 {
			if err := unix.FsconfigSetFlag(fs, p.name); err != nil {
				return -1, &os.PathError{Op: "fsconfig " + p.name, Path: m.Type, Err: err}
			}
		}
	}
	for _, o := range strings.Split(m.Data, ",") {
		if o == "" {
			continue
		}
		if k, v, ok := strings.Cut(o, "="); ok {
			err = unix.FsconfigSetString(fs, k, v)
		} else {
			err = unix.FsconfigSetFlag(fs, k)
		}
		if err != nil {
			return -1, &os.PathError{Op: "fsconfig " + quote.Value(o), Path: m.Type, Err: err}
		}
	}
	if err := unix.FsconfigCreate(fs); err != nil {
		return -1, &os.PathError{Op: "fsconfig create", Path: m.Type, Err: err}
	}
	a := m.Flags.MountAttr()
	fd, err := unix.Fsmount(fs, unix.FSMOUNT_CLOEXEC, int(a.Attr_set))
	if err != nil {
		return -1, &os.PathError{Op: "fsmount", Path: m.Type, Err: err}
	}
	return fd, nil
}

// IDMapSupported tells whether this process can make idmapped mounts of
// host file systems: the kernel has mount_setattr(2) and the process is
// root, whom an idmapping of a host file system needs.
func IDMapSupported() bool {
	if os.Geteuid() != 0 {
		return false
	}
	// A bad descriptor is refused with EBADF by a kernel that has the
	// call, ENOSYS by one that has not.
	err := unix.MountSetattr(-1, "", unix.AT_EMPTY_PATH, &unix.MountAttr{})
	return err != unix.ENOSYS
}

// moveIDMapped moves the detached idmapped mount of Mounts[i] onto target.
func (st *state) moveIDMapped(i int, target *os.File, shown string) error {
	f := st.spec.IDMapped[i]
	if im, ok := st.actions.(IDMapper); ok && f == nil && st.spec.Mounts[i].IDMapsInRoot(st.spec.Root) {
		var err error
		if f, err = im.IDMappedMount(i); err != nil {
			return err
		}
	}
	if f == nil {
		return errors.New("idmap: the idmapped mount was not handed to the init")
	}
	defer f.Close()
	var err error
	e := withFD(target, func(to int) {
		if e := withFD(f, func(from int) {
			err = unix.MoveMount(from, "", to, "", unix.MOVE_MOUNT_F_EMPTY_PATH|unix.MOVE_MOUNT_T_EMPTY_PATH)
		}); e != nil {
			err = e
		}
	})
	if e != nil {
		err = e
	}
	if err != nil {
		return &os.PathError{Op: "move idmapped mount of " + st.spec.Mounts[i].Source + " to", Path: shown, Err: err}
	}
	return nil
}
