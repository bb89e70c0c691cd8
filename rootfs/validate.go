package rootfs

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"syscall"

	"github.com/libct/libct/internal/quote"
)

// Validate checks the spec on the host, before anything is created. Every
// error names the offending field and its cause; causes that come from the
// file system wrap the errno, so errors.Is(err, fs.ErrNotExist) works.
func (s *Spec) Validate() error {
	return s.check(true)
}

// check does the structural checks and, when host is set, looks the host
// paths up too. Setup runs it without host: by then the parent already did,
// and the init stage should not pay for the stat calls twice.
func (s *Spec) check(host bool) error {
	if s.Root != "" {
		if err := checkDir("root", s.Root, host); err != nil {
			return err
		}
	}
	if s.Private != "" {
		if s.Root == "" {
			return errors.New("private: needs a root")
		}
		if err := checkDir("private", s.Private, host); err != nil {
			return err
		}
	}
	switch s.Propagation {
	case PropagationPrivate, PropagationSlave, PropagationShared, PropagationUnbindable:
	default:
		return fmt.Errorf("propagation %d: unknown propagation", s.Propagation)
	}
	if s.NoPivot && (!s.MountNS || s.Root == "") {
		return errors.New("noPivot: needs a root and a mount namespace of its own")
	}
	if s.SharedMountNS && (s.MountNS || s.Root == "") {
		return errors.New("sharedMountNS: needs a root and no mount namespace of its own")
	}
	if !s.MountNS && !s.SharedMountNS {
		// Without a mount namespace every mount would land on the host.
		switch {
		case len(s.Mounts) > 0:
			return errors.New("mounts: need a mount namespace")
		case len(s.Devices) > 0:
			return errors.New("devices: need a mount namespace")
		case s.MountProc:
			return errors.New("mountProc: needs a mount namespace")
		case s.MinimalDev:
			return errors.New("minimalDev: needs a mount namespace")
		case s.ReadOnly:
			// The remount would hit the host mount that holds the root.
			return errors.New("readOnly: needs a mount namespace")
		case len(s.MaskedPaths) > 0:
			return errors.New("maskedPaths: need a mount namespace")
		case len(s.ReadonlyPaths) > 0:
			return errors.New("readonlyPaths: need a mount namespace")
		}
	}
	if s.MinimalDev && s.Root == "" {
		// A tmpfs over the host's /dev would hide its devices from the
		// container for no gain.
		return errors.New("minimalDev: needs a root")
	}
	for i := range s.Mounts {
		if err := s.Mounts[i].check(i, host, s.Root); err != nil {
			return err
		}
		if err := s.Mounts[i].checkIDMap(i, s.UserNS); err != nil {
			return err
		}
	}
	for i := range s.Devices {
		if err := s.Devices[i].check(i); err != nil {
			return err
		}
	}
	for field, paths := range map[string][]string{"maskedPaths": s.MaskedPaths, "readonlyPaths": s.ReadonlyPaths} {
		for i, p := range paths {
			if _, err := InRootNotRoot(p); err != nil {
				return fmt.Errorf("%s[%d] %s: %w", field, i, quote.Value(p), err)
			}
		}
	}
	return nil
}

func checkDir(field, p string, host bool) error {
	if _, err := InRoot(p); err != nil {
		return fmt.Errorf("%s %s: %w", field, quote.Value(p), err)
	}
	if !host {
		return nil
	}
	fi, err := os.Stat(p)
	if err != nil {
		return fmt.Errorf("%s %s: %w", field, quote.Value(p), cause(err))
	}
	if !fi.IsDir() {
		return fmt.Errorf("%s %s: %w", field, quote.Value(p), syscall.ENOTDIR)
	}
	return nil
}

const (
	propagationFlags = Private | Slave | Shared | Unbindable
	fsOnlyFlags      = Sync | DirSync | LazyTime
	knownFlags       = ReadOnly | Bind | Recursive | NoSuid | NoDev | NoExec | propagationFlags |
		RecursivePropagation | RecursiveAttrs | attrFlags | fsOnlyFlags | CopyUp | clearFlags
)

func (m *Mount) check(i int, host bool, root string) error {
	if _, err := InRootNotRoot(m.Destination); err != nil {
		return fmt.Errorf("mounts[%d].destination %s: %w", i, quote.Value(m.Destination), err)
	}
	f := m.Flags
	switch {
	case f&^knownFlags != 0:
		return fmt.Errorf("mounts[%d].flags %#x: unknown flags", i, uint32(f&^knownFlags))
	case f&propagationFlags&(f&propagationFlags-1) != 0:
		return fmt.Errorf("mounts[%d].flags: Private, Slave, Shared and Unbindable are exclusive", i)
	case f&atimeFlags&(f&atimeFlags-1) != 0:
		return fmt.Errorf("mounts[%d].flags: StrictAtime, NoAtime and RelAtime are exclusive", i)
	case f&RecursivePropagation != 0 && f&propagationFlags == 0:
		return fmt.Errorf("mounts[%d].flags: RecursivePropagation needs a propagation flag", i)
	case f&RecursiveAttrs != 0 && f&Bind == 0:
		return fmt.Errorf("mounts[%d].flags: RecursiveAttrs needs Bind", i)
	case f&Bind != 0 && f&fsOnlyFlags != 0:
		return fmt.Errorf("mounts[%d].flags: Sync, DirSync and LazyTime belong to a file system, not to a bind mount", i)
	case f&CopyUp != 0 && m.Type != "tmpfs":
		return fmt.Errorf("mounts[%d].flags: CopyUp needs a tmpfs", i)
	case f.MSFlags()&f.ClearedMSFlags() != 0:
		return fmt.Errorf("mounts[%d].flags: a flag is both set and cleared", i)
	case m.Type != "" && f&Bind != 0:
		return fmt.Errorf("mounts[%d]: type and Bind flag are exclusive", i)
	case m.Type == "" && f&Bind == 0:
		return fmt.Errorf("mounts[%d]: neither a type nor the Bind flag", i)
	case f&Recursive != 0 && f&Bind == 0:
		return fmt.Errorf("mounts[%d].flags: Recursive needs Bind", i)
	}
	if f&Bind == 0 {
		return nil
	}
	if m.Data != "" {
		return fmt.Errorf("mounts[%d].data: a bind mount takes no data", i)
	}
	if _, err := InRoot(m.Source); err != nil {
		return fmt.Errorf("mounts[%d].source %s: %w", i, quote.Value(m.Source), err)
	}
	// A source in the root may be made by an earlier mount, which only
	// the container's mount namespace has: the init looks it up.
	if host && !within(root, m.Source) {
		if _, err := os.Stat(m.Source); err != nil {
			return fmt.Errorf("mounts[%d].source %s: %w", i, quote.Value(m.Source), cause(err))
		}
	}
	return nil
}

// within tells whether the clean absolute path p is under dir, a root
// other than the host's.
func within(dir, p string) bool {
	return dir != "" && dir != "/" && strings.HasPrefix(p, dir+"/")
}

func (d *Device) check(i int) error {
	if _, err := InRootNotRoot(d.Path); err != nil {
		return fmt.Errorf("devices[%d].path %s: %w", i, quote.Value(d.Path), err)
	}
	switch d.Type {
	case CharDevice, BlockDevice, FifoDevice:
	default:
		return fmt.Errorf("devices[%d].type %q: unknown device type", i, rune(d.Type))
	}
	if d.Mode&^os.ModePerm != 0 {
		return fmt.Errorf("devices[%d].mode %v: only permission bits are allowed", i, d.Mode)
	}
	return nil
}

// cause strips the *os.PathError that repeats the path the caller already
// names, and keeps the errno for errors.Is.
func cause(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
