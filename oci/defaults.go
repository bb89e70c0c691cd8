package oci

import (
	"os"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/libct/libct"
	"github.com/libct/libct/security"
)

// defaultSpecVersion is the ociVersion DefaultSpec writes.
const defaultSpecVersion = "1.0.2"

// specCapabilities is the set `ct spec` writes, the one `runc spec` and
// `crun spec` write: enough for a shell to signal its own processes and
// bind low ports. The wider set that Docker, containerd and podman give
// (libct.DefaultCapabilities) is for an engine to ask for; a config
// written by hand starts from the least and adds.
func specCapabilities() []string {
	return []string{"CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"}
}

// DefaultSpec is what `ct spec` writes: a container running "sh" on a
// terminal in the bundle's "rootfs" (read-only), with runc's minimal
// capability set (specCapabilities), no_new_privs, RLIMIT_NOFILE 1024,
// the pid, network, ipc, uts and mount namespaces, the usual /proc, /dev, /dev/pts, /dev/shm,
// /dev/mqueue, /sys and /sys/fs/cgroup mounts, the OCI default masked and
// read-only paths, and a device cgroup that denies every device but
// those every container has.
//
// With rootless, as runc's --rootless: a user namespace maps the caller's
// uid and gid to root, the network namespace is dropped (a sysfs cannot
// be mounted without one: /sys is a read-only rbind of the host's), and
// so is what needs a cgroup (resources and the cgroup mount) or ids the
// namespace lacks (gid=5 of /dev/pts).
func DefaultSpec(rootless bool) *specs.Spec {
	caps := security.CapabilitiesFor(specCapabilities(), security.TargetBounding|security.TargetEffective|security.TargetPermitted)
	s := &specs.Spec{
		// The default config uses nothing past runtime-spec 1.0, and
		// claiming 1.0.2 lets older runtimes (crun 1.8) read it too.
		Version: defaultSpecVersion,
		Root:    &specs.Root{Path: "rootfs", Readonly: true},
		Process: &specs.Process{
			Terminal: true,
			User:     specs.User{UID: 0, GID: 0},
			Args:     []string{"sh"},
			Env: []string{
				"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
				"TERM=xterm",
			},
			Cwd: "/",
			Capabilities: &specs.LinuxCapabilities{
				Bounding:  caps.Bounding,
				Effective: caps.Effective,
				Permitted: caps.Permitted,
			},
			Rlimits:         []specs.POSIXRlimit{{Type: "RLIMIT_NOFILE", Hard: 1024, Soft: 1024}},
			NoNewPrivileges: true,
		},
		Hostname: "ct",
		Mounts: []specs.Mount{
			{Destination: "/proc", Type: "proc", Source: "proc"},
			{Destination: "/dev", Type: "tmpfs", Source: "tmpfs",
				Options: []string{"nosuid", "strictatime", "mode=755", "size=65536k"}},
			{Destination: "/dev/pts", Type: "devpts", Source: "devpts",
				Options: []string{"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"}},
			{Destination: "/dev/shm", Type: "tmpfs", Source: "shm",
				Options: []string{"nosuid", "noexec", "nodev", "mode=1777", "size=65536k"}},
			{Destination: "/dev/mqueue", Type: "mqueue", Source: "mqueue",
				Options: []string{"nosuid", "noexec", "nodev"}},
			{Destination: "/sys", Type: "sysfs", Source: "sysfs",
				Options: []string{"nosuid", "noexec", "nodev", "ro"}},
			{Destination: "/sys/fs/cgroup", Type: "cgroup", Source: "cgroup",
				Options: []string{"nosuid", "noexec", "nodev", "relatime", "ro"}},
		},
		Linux: &specs.Linux{
			Resources: &specs.LinuxResources{
				Devices: []specs.LinuxDeviceCgroup{{Allow: false, Access: "rwm"}},
			},
			Namespaces: []specs.LinuxNamespace{
				{Type: specs.PIDNamespace},
				{Type: specs.NetworkNamespace},
				{Type: specs.IPCNamespace},
				{Type: specs.UTSNamespace},
				{Type: specs.MountNamespace},
			},
			MaskedPaths:   libct.DefaultMaskedPaths(),
			ReadonlyPaths: libct.DefaultReadonlyPaths(),
		},
	}
	if rootless {
		makeRootless(s)
	}
	return s
}

// makeRootless turns the default spec into one an unprivileged user can
// run.
func makeRootless(s *specs.Spec) {
	l := s.Linux
	var ns []specs.LinuxNamespace
	for _, n := range l.Namespaces {
		if n.Type != specs.NetworkNamespace && n.Type != specs.UserNamespace {
			ns = append(ns, n)
		}
	}
	l.Namespaces = append(ns, specs.LinuxNamespace{Type: specs.UserNamespace})
	l.UIDMappings = []specs.LinuxIDMapping{{ContainerID: 0, HostID: uint32(os.Geteuid()), Size: 1}}
	l.GIDMappings = []specs.LinuxIDMapping{{ContainerID: 0, HostID: uint32(os.Getegid()), Size: 1}}
	l.Resources = nil
	var mounts []specs.Mount
	for _, m := range s.Mounts {
		switch m.Destination {
		case "/sys":
			mounts = append(mounts, specs.Mount{Destination: "/sys", Type: "none", Source: "/sys",
				Options: []string{"rbind", "nosuid", "noexec", "nodev", "ro"}})
			continue
		case "/sys/fs/cgroup":
			continue
		}
		var opts []string
		for _, o := range m.Options {
			if !strings.HasPrefix(o, "uid=") && !strings.HasPrefix(o, "gid=") {
				opts = append(opts, o)
			}
		}
		m.Options = opts
		mounts = append(mounts, m)
	}
	s.Mounts = mounts
}
