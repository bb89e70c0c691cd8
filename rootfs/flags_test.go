package rootfs

import (
	"path/filepath"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

// TestMountAttr: the mount_setattr(2) form of recursive bind flags, the
// clear flags included.
func TestMountAttr(t *testing.T) {
	tests := []struct {
		name     string
		f        MountFlag
		set, clr uint64
	}{
		{"read-only", ReadOnly, unix.MOUNT_ATTR_RDONLY, 0},
		{"read-write", ReadWrite, 0, unix.MOUNT_ATTR_RDONLY},
		{"noatime", NoAtime, unix.MOUNT_ATTR_NOATIME, unix.MOUNT_ATTR__ATIME},
		{"atime cleared: relatime", Atime, unix.MOUNT_ATTR_RELATIME, unix.MOUNT_ATTR__ATIME},
		{"norelatime: relatime all the same", NoRelAtime, unix.MOUNT_ATTR_RELATIME, unix.MOUNT_ATTR__ATIME},
		{"nostrictatime with noatime", NoStrictAtime | NoAtime, unix.MOUNT_ATTR_NOATIME, unix.MOUNT_ATTR__ATIME},
		{"dev, suid, exec, diratime, symfollow", Dev | Suid | Exec | Diratime | SymFollow, 0,
			unix.MOUNT_ATTR_NODEV | unix.MOUNT_ATTR_NOSUID | unix.MOUNT_ATTR_NOEXEC | unix.MOUNT_ATTR_NODIRATIME | unix.MOUNT_ATTR_NOSYMFOLLOW},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := tt.f.MountAttr()
			if a.Attr_set != tt.set || a.Attr_clr != tt.clr {
				t.Errorf("set %#x clear %#x, want set %#x clear %#x", a.Attr_set, a.Attr_clr, tt.set, tt.clr)
			}
		})
	}
}

// TestClearedMSFlags: the flags a config asks to be off.
func TestClearedMSFlags(t *testing.T) {
	tests := []struct {
		name string
		f    MountFlag
		want uintptr
	}{
		{"none", ReadOnly | NoSuid, 0},
		{"rw and dev", ReadWrite | Dev, unix.MS_RDONLY | unix.MS_NODEV},
		{"atime ones", Atime | Diratime | NoRelAtime | NoStrictAtime, unix.MS_NOATIME | unix.MS_NODIRATIME | unix.MS_RELATIME | unix.MS_STRICTATIME},
		{"symfollow", SymFollow, unix.MS_NOSYMFOLLOW},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.f.ClearedMSFlags(); got != tt.want {
				t.Errorf("%#x, want %#x", got, tt.want)
			}
			if !tt.f.BindAttrs() {
				t.Error("BindAttrs false: a bind with these flags would not be remounted")
			}
		})
	}
}

// TestLockedFlagCleared: in a user namespace, a bind mount that asks for a
// flag the kernel locked on its source to be off fails, rather than
// quietly keeping it.
func TestLockedFlagCleared(t *testing.T) {
	requireRoot(t)
	dir, root := testRoot(t)
	locked := filepath.Join(dir, "locked")
	mustMkdir(t, locked)
	out := runHelper(t, helperInput{
		Scenario: "fails",
		Spec: Spec{Root: root, MountNS: true, UserNS: true, Mounts: []Mount{
			{Source: locked, Destination: "/locked", Flags: Bind | ReadOnly | Dev},
		}},
		LockedTmpfs: locked,
	}, 0, nil)
	if want := "mounts[0]: remount /locked: operation not permitted"; out.SetupErr != want || syscall.Errno(out.Errno) != syscall.EPERM {
		t.Errorf("Setup: %q (errno %d), want %q (EPERM)", out.SetupErr, out.Errno, want)
	}
}
