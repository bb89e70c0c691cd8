package libct

import (
	"fmt"
	"time"

	"github.com/libct/libct/internal/state"
	"github.com/libct/libct/rootfs"
)

// Config, record and hookConfig, the documents of a container's state
// directory, have generated codecs (libct_easyjson.go; see
// internal/state for why). Regenerate them after changing these types or
// a type they hold; TestStoredDocumentCodecsMatchEncodingJSON fails until
// then.
//
// The generated file's one use of package easyjson goes: that package
// imports net/http, and with it crypto (2.3 MB of ct); internal/state
// calls the generated methods through jlexer and jwriter alone.
//go:generate go tool easyjson -no_std_marshalers -pkg .
//go:generate sed -i -e /mailru.easyjson.$/d -e /easyjson.Marshaler$/d libct_easyjson.go

// Config describes a container: what it is equipped with before it
// starts. The zero Config is an "empty" container: started, it is merely a
// forked process sharing every namespace with the caller.
//
// A Config is stored with the container when the container is created and
// read again at every start; the setters of Container edit the stored copy.
//
//easyjson:json
type Config struct {
	// Namespaces is the clone mask: the namespaces the container gets of
	// its own.
	Namespaces Namespaces `json:"namespaces,omitempty"`
	// NamespacePaths joins existing namespaces instead of creating them
	// (libct's set_nspath), keyed by a single namespace: NewNet, NewIPC,
	// NewUTS, NewPID and NewCgroup can be joined. A path is a namespace
	// file such as /proc/PID/ns/net or a bind mount of one.
	NamespacePaths map[Namespaces]string `json:"namespacePaths,omitempty"`
	// TimeOffsets shift CLOCK_MONOTONIC and CLOCK_BOOTTIME inside a new
	// time namespace (needs NewTime).
	TimeOffsets TimeOffsets `json:"timeOffsets,omitzero"`
	// UIDMappings and GIDMappings map ids of a new user namespace. With
	// NewUser and no mappings, the container's root is mapped to the
	// caller's effective uid and gid.
	UIDMappings []IDMap `json:"uidMappings,omitempty"`
	GIDMappings []IDMap `json:"gidMappings,omitempty"`

	// Root is the host directory that becomes the container's "/":
	// pivot_root with NewMount, chroot without.
	Root string `json:"root,omitempty"`
	// Private is the private area (libct's CT_FS_SUBDIR): a host directory
	// bind-mounted onto Root at start. With NewMount the bind lives only in
	// the container's mount namespace; without, it is made on the host and
	// removed by Destroy.
	Private string `json:"private,omitempty"`
	// RootPropagation is the propagation of the container's mounts:
	// private (the default) or slave.
	RootPropagation Propagation `json:"rootPropagation,omitempty"`
	// ReadOnlyRoot remounts the root read-only once every mount is made.
	ReadOnlyRoot bool `json:"readOnlyRoot,omitempty"`
	// Mounts are made, in order, inside the root (needs NewMount).
	Mounts []Mount `json:"mounts,omitempty"`
	// Devices are extra device nodes (needs NewMount and a Root).
	Devices []Device `json:"devices,omitempty"`
	// MaskedPaths are hidden and ReadonlyPaths made read-only once every
	// mount is made (needs NewMount); DefaultMaskedPaths and
	// DefaultReadonlyPaths give the OCI defaults.
	MaskedPaths   []string `json:"maskedPaths,omitempty"`
	ReadonlyPaths []string `json:"readonlyPaths,omitempty"`

	// NotifySocket, when set, is where the program finds a socket for
	// sd_notify(3) messages (READY=1, STATUS=...): an absolute path in the
	// container, set as NOTIFY_SOCKET in the program's environment. Its
	// directory is a read-only bind of one in the container's state, so
	// the rest of the root stays the image's. The frontend receives the
	// messages with Container.ListenNotify. Needs NewMount and a Root.
	NotifySocket string `json:"notifySocket,omitempty"`

	// Hostname and Domainname need a UTS namespace (new or joined).
	Hostname   string `json:"hostname,omitempty"`
	Domainname string `json:"domainname,omitempty"`
	// Sysctl values are written inside the container; only keys that
	// belong to one of its namespaces are accepted (kernel.shm*, fs.mqueue.*
	// with IPC, kernel.hostname with UTS, net.* with a network namespace).
	Sysctl map[string]string `json:"sysctl,omitempty"`

	// Cgroup, when set, gives the container a cgroup of its own (path
	// default /libct/<name>, never below the caller's cgroup) with these
	// controllers and limits; the init starts inside it.
	Cgroup *Cgroup `json:"cgroup,omitempty"`

	// Network is configured from the parent before the program runs
	// (needs a network namespace, new or joined); a new network namespace
	// always has lo up.
	Network Network `json:"network,omitzero"`

	// Security is the profile of the container's processes: capabilities
	// (the OCI default set when none is given), no_new_privs, seccomp,
	// LSM labels, OOM score.
	Security Security `json:"security,omitzero"`

	// Hooks are run at the points of the OCI lifecycle.
	Hooks Hooks `json:"hooks,omitzero"`
	// Bundle and Annotations describe the container to its hooks, in the
	// state document they read on stdin.
	Bundle      string            `json:"bundle,omitempty"`
	Annotations map[string]string `json:"annotations,omitempty"`

	// Options switch libct's defaults.
	Options Options `json:"options,omitempty"`
}

// TimeOffsets are the offsets of a new time namespace's clocks.
type TimeOffsets struct {
	Monotonic time.Duration `json:"monotonic,omitempty"`
	Boottime  time.Duration `json:"boottime,omitempty"`
}

// IDMap maps Size ids from ContainerID inside a user namespace to HostID
// outside it (package rootfs's, which an idmapped mount takes too).
type IDMap = rootfs.IDMap

// Options is a set of libct's container options.
type Options uint32

const (
	// NoAutoProc turns off the automatic mount of /proc that a container
	// with pid and mount namespaces gets (libct's AUTO_PROC_MOUNT, on by
	// default).
	NoAutoProc Options = 1 << iota
	// NoMinimalDev turns off the tmpfs /dev populated for a container with
	// a Root and a mount namespace; the root's own /dev is used as is.
	NoMinimalDev
	// NoSetsid keeps the init in the caller's session (libct's NOSETSID);
	// by default it starts a new session.
	NoSetsid
	// Detached lets the container outlive the session that started it:
	// Session.Close leaves it running, and another session can Open it.
	Detached
	// SharedMounts lets a container without a mount namespace of its own
	// have mounts, /proc, /dev and masked paths anyway (as OCI runtimes
	// do for a config without one): they are made under Root in the mount
	// namespace it shares, and Destroy unmounts them. Needs a Root.
	SharedMounts
	// CgroupSubmount shows the container its own cgroup at /sys/fs/cgroup
	// (libct's CGROUP_SUBMOUNT): with NewCgroup it sees itself as the
	// root and can make sub-cgroups there. Needs a Cgroup and NewMount.
	CgroupSubmount
	// NoPivotRoot switches to Root without pivot_root, which refuses a
	// root on the initramfs: Root is moved onto "/" and entered by chroot
	// (runc's --no-pivot). The host's proc and sysfs mounts are detached
	// from the container's mount namespace first. Needs NewMount.
	NoPivotRoot
)

// The root filesystem types are those of package rootfs.
type (
	// Mount is a bind or filesystem mount made inside the container.
	Mount = rootfs.Mount
	// MountFlag is a set of mount options.
	MountFlag = rootfs.MountFlag
	// Device is a device node created inside the container.
	Device = rootfs.Device
	// Propagation is the mount propagation of the container's root.
	Propagation = rootfs.Propagation
	// MountIDMap makes a bind mount or a tmpfs idmapped.
	MountIDMap = rootfs.MountIDMap
)

// Mount flags, see package rootfs.
const (
	MountReadOnly    = rootfs.ReadOnly
	MountBind        = rootfs.Bind
	MountRecursive   = rootfs.Recursive
	MountNoSuid      = rootfs.NoSuid
	MountNoDev       = rootfs.NoDev
	MountNoExec      = rootfs.NoExec
	MountStrictAtime = rootfs.StrictAtime
	MountPrivate     = rootfs.Private
	MountSlave       = rootfs.Slave
	MountShared      = rootfs.Shared
	MountUnbindable  = rootfs.Unbindable
	// MountRecursivePropagation makes the propagation flag reach every
	// submount; MountRecursiveAttrs does the same for the read-only,
	// nosuid, nodev, noexec and atime flags of an rbind.
	MountRecursivePropagation = rootfs.RecursivePropagation
	MountRecursiveAttrs       = rootfs.RecursiveAttrs
	MountNoAtime              = rootfs.NoAtime
	MountNoDiratime           = rootfs.NoDiratime
	MountRelAtime             = rootfs.RelAtime
	MountNoSymFollow          = rootfs.NoSymFollow
	MountSync                 = rootfs.Sync
	MountDirSync              = rootfs.DirSync
	MountLazyTime             = rootfs.LazyTime
	MountCopyUp               = rootfs.CopyUp
	// The clear flags: see rootfs.ReadWrite.
	MountReadWrite     = rootfs.ReadWrite
	MountSuid          = rootfs.Suid
	MountDev           = rootfs.Dev
	MountExec          = rootfs.Exec
	MountAtime         = rootfs.Atime
	MountDiratime      = rootfs.Diratime
	MountNoRelAtime    = rootfs.NoRelAtime
	MountNoStrictAtime = rootfs.NoStrictAtime
	MountSymFollow     = rootfs.SymFollow
)

// Root propagation modes.
const (
	PropagationPrivate    = rootfs.PropagationPrivate
	PropagationSlave      = rootfs.PropagationSlave
	PropagationShared     = rootfs.PropagationShared
	PropagationUnbindable = rootfs.PropagationUnbindable
)

// DefaultMaskedPaths are the paths the OCI defaults hide in a container:
// /proc/kcore, /proc/keys, /sys/firmware and the like.
func DefaultMaskedPaths() []string { return rootfs.DefaultMaskedPaths() }

// DefaultReadonlyPaths are the paths the OCI defaults make read-only:
// /proc/sys, /proc/sysrq-trigger and the like.
func DefaultReadonlyPaths() []string { return rootfs.DefaultReadonlyPaths() }

// PrivateKind is how a private area is given (libct's CT_FS_*).
type PrivateKind int

const (
	// PrivateNone: the caller prepares the root itself.
	PrivateNone PrivateKind = iota
	// PrivateSubdir: a directory is bind-mounted as the root.
	PrivateSubdir
)

// clone returns a deep copy, so that a stored config never aliases one
// a caller keeps editing. It is a round trip through the config's
// generated codec: what the store keeps is all a Config holds, and every
// value has a form that reads back (Namespaces.MarshalText).
func (c *Config) clone() *Config {
	var n Config
	data, err := state.Marshal(c)
	if err == nil {
		err = state.Unmarshal(data, &n)
	}
	if err != nil {
		panic(fmt.Sprintf("libct: a Config does not survive its codec: %v", err))
	}
	return &n
}

// hasNamespace reports whether the container has a namespace of kind ns
// of its own, created or joined.
func (c *Config) hasNamespace(ns Namespaces) bool {
	_, joined := c.NamespacePaths[ns]
	return c.Namespaces.Has(ns) || joined
}
