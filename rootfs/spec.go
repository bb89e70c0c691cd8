// Package rootfs prepares a container's root filesystem from inside the
// container's mount namespace: the private area, bind and filesystem mounts,
// a minimal /dev, /proc, and the final pivot_root or chroot.
//
// It is a leaf package: it knows nothing of sessions or containers, and its
// Setup must run in the process that becomes the container (the init stage),
// after that process entered its new mount namespace. Do not call Setup from
// a process whose mounts you care about: it changes the root of the calling
// process for good.
package rootfs

import "os"

// MountFlag is a set of mount options. The zero value mounts read-write with
// the kernel's defaults.
type MountFlag uint32

const (
	ReadOnly    MountFlag = 1 << iota // MS_RDONLY; for a bind mount, applied by a remount
	Bind                              // MS_BIND: Source is a host path
	Recursive                         // MS_REC: with Bind, also bind the submounts (rbind)
	NoSuid                            // MS_NOSUID
	NoDev                             // MS_NODEV
	NoExec                            // MS_NOEXEC
	StrictAtime                       // MS_STRICTATIME
	Private                           // make the mount MS_PRIVATE after it is made
	Slave                             // make the mount MS_SLAVE after it is made
	Shared                            // make the mount MS_SHARED after it is made
	Unbindable                        // make the mount MS_UNBINDABLE after it is made
	// RecursivePropagation applies the propagation flag to every submount
	// (rprivate, rslave, rshared, runbindable).
	RecursivePropagation
	// RecursiveAttrs applies ReadOnly, NoSuid, NoDev, NoExec and the atime
	// flags of a bind mount to its submounts too (OCI's rro, rnosuid...);
	// without it only the top mount of an rbind gets them.
	RecursiveAttrs
	NoAtime     // MS_NOATIME
	NoDiratime  // MS_NODIRATIME
	RelAtime    // MS_RELATIME
	NoSymFollow // MS_NOSYMFOLLOW
	// Sync, DirSync and LazyTime belong to the file system, not to one of
	// its mounts: a bind mount cannot have them.
	Sync     // MS_SYNCHRONOUS
	DirSync  // MS_DIRSYNC
	LazyTime // MS_LAZYTIME
	// CopyUp fills a new tmpfs with what the directory it is mounted on
	// holds (OCI's tmpcopyup).
	CopyUp
	// The clear flags ask for a flag to be off (OCI's rw, suid, dev, exec,
	// atime, diratime, norelatime, nostrictatime and symfollow), which
	// mount(2) does anyway; they matter to a bind mount: one with any of
	// them is remounted with exactly the flags asked for, and in a user
	// namespace keeps the locked flags of its source only when none of
	// them clears one.
	ReadWrite
	Suid
	Dev
	Exec
	Atime
	Diratime
	NoRelAtime
	NoStrictAtime
	SymFollow
)

// Mount is one mount made inside the container's root before the program
// runs. Destination is a path inside the container; it is resolved inside
// the root and never through a symlink that leaves it.
type Mount struct {
	// Source is a host path for a bind mount, or the device/name of a
	// filesystem mount ("tmpfs", "proc", ...).
	Source string `json:"source,omitempty"`
	// Destination is an absolute path inside the container.
	Destination string `json:"destination"`
	// Type is the filesystem type ("tmpfs", "proc", "sysfs", "mqueue",
	// "devpts", ...). Empty for a bind mount.
	Type string `json:"type,omitempty"`
	// Data is the filesystem-specific option string ("size=1m,mode=755").
	Data  string    `json:"data,omitempty"`
	Flags MountFlag `json:"flags,omitempty"`
	// PreAction and PostAction are commands (argv) run on the host just
	// before and just after this mount is made (libct's
	// add_mount_with_actions). They run in the caller's namespaces with
	// LIBCT_PID, LIBCT_ROOT, LIBCT_MOUNT_SOURCE and LIBCT_MOUNT_DESTINATION
	// in their environment; a non-zero exit fails the start.
	PreAction  []string `json:"preAction,omitempty"`
	PostAction []string `json:"postAction,omitempty"`
	// IDMap, when set, makes a bind mount or a tmpfs idmapped (see
	// MountIDMap).
	IDMap *MountIDMap `json:"idmap,omitempty"`
}

// DeviceType is the kind of a device node.
type DeviceType byte

// The device types, as mknod(1) spells them.
const (
	CharDevice  DeviceType = 'c'
	BlockDevice DeviceType = 'b'
	FifoDevice  DeviceType = 'p'
)

// Device is a device node created in the container's /dev (or elsewhere
// under the root): mknod, or a bind mount of the host's node when the
// container has a user namespace and may not mknod.
type Device struct {
	Path  string      `json:"path"`
	Type  DeviceType  `json:"type"`
	Major uint32      `json:"major"`
	Minor uint32      `json:"minor"`
	Mode  os.FileMode `json:"mode"` // permission bits
	UID   uint32      `json:"uid,omitempty"`
	GID   uint32      `json:"gid,omitempty"`
}

// Propagation is the propagation of the container's root mount tree.
type Propagation uint8

const (
	// PropagationPrivate (the default) cuts every mount event between the
	// host and the container in both directions.
	PropagationPrivate Propagation = iota
	// PropagationSlave lets host mount events reach the container, not the
	// other way round (rslave).
	PropagationSlave
	// PropagationShared shares mount events both ways (rshared); the
	// root is made shared once it is switched, as pivot_root refuses a
	// shared one.
	PropagationShared
	// PropagationUnbindable is private, and refuses to be bind-mounted
	// (runbindable).
	PropagationUnbindable
)

// Spec is everything Setup needs. All host paths are absolute.
type Spec struct {
	// Root is the host directory that becomes the container's "/".
	// Empty: the container keeps the caller's root (no pivot, no chroot).
	Root string `json:"root,omitempty"`
	// Private, when set, is a host directory bind-mounted onto Root before
	// anything else (libct's CT_FS_SUBDIR private area).
	Private     string      `json:"private,omitempty"`
	Propagation Propagation `json:"propagation,omitempty"`
	// ReadOnly remounts the root read-only once every mount is made.
	ReadOnly bool     `json:"readOnly,omitempty"`
	Mounts   []Mount  `json:"mounts,omitempty"`
	Devices  []Device `json:"devices,omitempty"`
	// MaskedPaths are hidden once everything is mounted: a directory under
	// an empty read-only tmpfs, a file under /dev/null. Missing ones are
	// skipped. ReadonlyPaths are bound onto themselves read-only
	// (recursively). Both are container paths; see DefaultMaskedPaths and
	// DefaultReadonlyPaths.
	MaskedPaths   []string `json:"maskedPaths,omitempty"`
	ReadonlyPaths []string `json:"readonlyPaths,omitempty"`
	// MountProc mounts a fresh proc at /proc (needs pid and mount namespaces).
	MountProc bool `json:"mountProc,omitempty"`
	// MinimalDev populates /dev on a tmpfs (needs Root and a mount namespace).
	MinimalDev bool `json:"minimalDev,omitempty"`
	// MountNS tells that the caller is in its own mount namespace: pivot_root
	// is used; without it, chroot.
	MountNS bool `json:"mountNS,omitempty"`
	// NoPivot, with MountNS, switches the root without pivot_root: Root
	// is moved onto "/" and entered by chroot, for a root pivot_root
	// refuses (one on the initramfs). The host's proc and sysfs mounts
	// are detached from the container's mount namespace first.
	NoPivot bool `json:"noPivot,omitempty"`
	// SharedMountNS allows mounts without a mount namespace of the
	// container's own: they are made under Root in the mount namespace the
	// caller is in (the host's, or one it joined), and the root entered by
	// chroot. Whoever set it must unmount them (UnmountUnder).
	SharedMountNS bool `json:"sharedMountNS,omitempty"`
	// UserNS tells that the caller is in a new user namespace: device nodes
	// are bind-mounted from the host instead of created.
	UserNS bool `json:"userNS,omitempty"`
	// Console leaves an empty /dev/console in the minimal /dev for a
	// terminal the caller makes after Setup to be bound on.
	Console bool `json:"console,omitempty"`
	// SourcePaths, by index in Mounts, reach the source of a bind mount
	// instead of its Source, which errors still name: the /proc/self/fd
	// path of a descriptor the caller was handed for it.
	SourcePaths map[int]string `json:"-"`
	// IDMapped holds, by index in Mounts, the idmapped mounts the caller
	// made for the mounts with an IDMap (OpenIDMapped); Setup moves each
	// where its mount goes, instead of mounting it, and closes it. They
	// travel beside the spec's JSON form, as descriptors.
	IDMapped map[int]*os.File `json:"-"`
}

// Actions are the caller's work between Setup's steps: the pre- and
// post-mount actions of Spec.Mounts[i] (called only for mounts that have
// them), and BeforeSwitch, called once everything is mounted and before
// the root is switched (where OCI's prestart, createRuntime and
// createContainer hooks run).
type Actions interface {
	BeforeMount(i int) error
	AfterMount(i int) error
	BeforeSwitch() error
}
