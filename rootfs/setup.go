package rootfs

import (
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// state is what the steps of one Setup share.
type state struct {
	spec    *Spec
	actions Actions
	// root is the container's root seen from the init process before the
	// switch: Spec.Root, or the whole tree when there is none. rootDir is
	// the same directory, for the walks os.Root does not do (resolveIn).
	root    *os.Root
	rootDir *os.File
}

// Setup prepares the root file system from inside the container's init
// process and switches the process's root to it. It never returns to the
// old root: on success the process sees only the container's tree; on
// failure it is in an unknown state and should report the error and exit.
//
// The steps, in order:
//
//  1. with a mount namespace, the whole tree is made rprivate (or rslave),
//     so nothing below leaks to the host;
//  2. the private area is bound onto Root (with a mount namespace; without
//     one the caller binds it on the host with BindPrivate), or else Root is
//     bound onto itself so that pivot_root can use it;
//  3. /proc, when MountProc and no mount of Spec.Mounts is at /proc;
//  4. /dev, when MinimalDev (see below);
//  5. Spec.Mounts in order, with their actions;
//  6. Spec.Devices, the read-only remount of the mounts that were made
//     read-write to be filled (see Mount.LaterReadOnly), then
//     Spec.ReadonlyPaths and Spec.MaskedPaths, last so that nothing
//     mounted later uncovers them;
//  7. pivot_root with a mount namespace, chroot without, then the read-only
//     remount of "/" when ReadOnly.
//
// /proc and /dev come before Spec.Mounts so that a mount under them (a
// mask over /proc/kcore, an mqueue at /dev/mqueue) lands on top and is not
// hidden. When Spec.Mounts has its own /dev, the minimal /dev is populated
// in it right after it is mounted instead of on a tmpfs of its own, and the
// devpts at /dev/pts and the tmpfs at /dev/shm are left out when
// Spec.Mounts has them.
//
// The minimal /dev holds null, zero, full, random, urandom and tty (mknod,
// or with UserNS a bind mount of the host's node), a private devpts
// instance at /dev/pts with /dev/ptmx linked into it, a tmpfs at /dev/shm,
// and the fd, stdin, stdout and stderr links into /proc/self/fd. The console
// comes with a terminal: /dev/console exists only when the process's
// standard input is a terminal at Setup, and is that terminal bind-mounted.
//
// A mount destination is resolved inside the root as chroot(2) would
// resolve it (see resolveIn): absolute symlinks start from the root, ".."
// stops there, and a dangling symlink leads to where its target would be
// made. Device paths are resolved with os.Root, which refuses absolute
// symlinks and symlinks that climb out of the root. Either way the mount
// itself goes through the opened descriptor. Errors name
// the field ("mounts[2].destination ...") and the operation ("mount tmpfs
// on /tmp: permission denied") and wrap the errno.
//
// Setup needs the host's /proc mounted at /proc in the caller's view (it
// mounts through /proc/self/fd), and the spec validated by Validate on the
// host; it repeats only the checks that need no file system.
func Setup(s *Spec, actions Actions) error {
	if err := s.check(false); err != nil {
		return err
	}
	st := &state{spec: s, actions: actions}
	switch {
	case s.MountNS:
		if err := st.prepareRoot(); err != nil {
			return err
		}
		if err := st.populate(); err != nil {
			st.close()
			return err
		}
		st.close()
	case s.SharedMountNS:
		// The mounts go under the root in a mount namespace the container
		// shares: no change of propagation, no bind of the root onto
		// itself (chroot needs none).
		if s.ReadOnly {
			// The read-only remount must hit a mount of the root's own,
			// not the one that holds it.
			if err := bind(s.Root, s.Root); err != nil {
				return fmt.Errorf("root: %w", err)
			}
		}
		if err := st.openRoot(s.Root); err != nil {
			return err
		}
		if err := st.populate(); err != nil {
			st.close()
			return err
		}
		st.close()
	}
	if actions != nil {
		if err := actions.BeforeSwitch(); err != nil {
			return err
		}
	}
	return st.switchRoot()
}

// openRoot opens dir as the root the steps work in.
func (st *state) openRoot(dir string) error {
	r, err := os.OpenRoot(dir)
	if err != nil {
		return fmt.Errorf("root: %w", err)
	}
	d, err := r.OpenFile(".", unix.O_PATH|unix.O_DIRECTORY, 0)
	if err != nil {
		r.Close()
		return fmt.Errorf("root: %w", err)
	}
	st.root, st.rootDir = r, d
	return nil
}

func (st *state) close() {
	if st.root != nil {
		st.root.Close()
		st.rootDir.Close()
		st.root, st.rootDir = nil, nil
	}
}

// prepareRoot does the steps up to the opening of the root: propagation,
// the private area, the bind of Root onto itself.
func (st *state) prepareRoot() error {
	s := st.spec
	// A shared root is made slave until the switch, which pivot_root
	// needs (see finishPropagation); an unbindable one private.
	prop, name := uintptr(unix.MS_PRIVATE), "make-rprivate"
	if s.Propagation == PropagationSlave || s.Propagation == PropagationShared {
		prop, name = unix.MS_SLAVE, "make-rslave"
	}
	if err := unix.Mount("", "/", "", prop|unix.MS_REC, ""); err != nil {
		return fmt.Errorf("propagation: %w", &os.PathError{Op: name, Path: "/", Err: err})
	}
	dir := "/"
	switch {
	case s.Private != "":
		// The private bind makes Root a mount point already.
		if err := bind(s.Private, s.Root); err != nil {
			return fmt.Errorf("private: %w", err)
		}
		dir = s.Root
	case s.Root != "":
		if err := bind(s.Root, s.Root); err != nil {
			return fmt.Errorf("root: %w", err)
		}
		dir = s.Root
	}
	return st.openRoot(dir)
}

func bind(source, target string) error {
	if err := unix.Mount(source, target, "", unix.MS_BIND|unix.MS_REC, ""); err != nil {
		return &os.PathError{Op: "bind " + source + " on", Path: target, Err: err}
	}
	return nil
}

// populate makes /proc, /dev, Spec.Mounts and Spec.Devices.
func (st *state) populate() error {
	s := st.spec
	if s.MountProc && !s.HasMountAt("proc") {
		if err := st.mountProc(); err != nil {
			return fmt.Errorf("mountProc: %w", err)
		}
	}
	ownDev := s.HasMountAt("dev")
	if s.MinimalDev && !ownDev {
		if err := st.minimalDev(true); err != nil {
			return fmt.Errorf("minimalDev: %w", err)
		}
	}
	for i := range s.Mounts {
		if err := st.mount(i, s.Mounts[i].LaterReadOnly()); err != nil {
			return err
		}
		if s.MinimalDev && ownDev && s.Mounts[i].isAt("dev") {
			if err := st.minimalDev(false); err != nil {
				return fmt.Errorf("minimalDev: %w", err)
			}
		}
	}
	if err := st.devices(); err != nil {
		return err
	}
	for i := range s.Mounts {
		if s.Mounts[i].LaterReadOnly() {
			if err := st.remountFS(i); err != nil {
				return err
			}
		}
	}
	if err := st.readonlyPaths(); err != nil {
		return err
	}
	return st.maskPaths()
}

// LaterReadOnly tells whether m is a read-only tmpfs (or any file system
// at /dev), which is mounted read-write and made read-only once the mount
// points, the minimal /dev and the devices that go into it are made. An
// idmapped tmpfs is not: its caller made it read-only already, and its
// superblock is not the container's to remount.
func (m *Mount) LaterReadOnly() bool {
	return m.Flags&(Bind|ReadOnly) == ReadOnly && (m.Type == "tmpfs" || m.isAt("dev")) && !m.IDMapped()
}

// HasMountAt tells whether Mounts has a mount at rel, a path relative to
// the root ("dev/pts"): Setup then leaves out what it would make there
// itself (/proc, the minimal /dev, its devpts and shm).
func (s *Spec) HasMountAt(rel string) bool {
	for i := range s.Mounts {
		if s.Mounts[i].isAt(rel) {
			return true
		}
	}
	return false
}

// isAt tells whether m's destination is the root-relative rel.
func (m *Mount) isAt(rel string) bool {
	d, err := InRoot(m.Destination)
	return err == nil && d == rel
}

func (st *state) mountProc() error {
	rel, err := st.resolveMountPoint("proc", "proc")
	if err != nil {
		return err
	}
	target, err := makeTarget(st.root, rel, true)
	if err != nil {
		return err
	}
	defer target.Close()
	return mountOn(target, "mount proc on", "/proc", "proc", "proc", unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, "")
}
