package oci

import (
	"path/filepath"
	"reflect"
	"slices"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/libct/libct"
)

// withMounts returns a mod that sets the spec's mounts.
func withMounts(ms ...specs.Mount) func(*specs.Spec) {
	return func(s *specs.Spec) { s.Mounts = ms }
}

func TestConvertMounts(t *testing.T) {
	runConvertCases(t, []convertCase{
		{
			name: "the default set",
			mod:  func(s *specs.Spec) { s.Mounts = DefaultSpec(false).Mounts[:6] },
			check: func(t *testing.T, cfg *libct.Config, _ *libct.Process) {
				want := []libct.Mount{
					{Destination: "/proc", Type: "proc", Source: "proc"},
					{Destination: "/dev", Type: "tmpfs", Source: "tmpfs", Flags: libct.MountNoSuid | libct.MountStrictAtime, Data: "mode=755,size=65536k"},
					{Destination: "/dev/pts", Type: "devpts", Source: "devpts", Flags: libct.MountNoSuid | libct.MountNoExec,
						Data: "newinstance,ptmxmode=0666,mode=0620,gid=5"},
					{Destination: "/dev/shm", Type: "tmpfs", Source: "shm", Flags: libct.MountNoSuid | libct.MountNoExec | libct.MountNoDev,
						Data: "mode=1777,size=65536k"},
					{Destination: "/dev/mqueue", Type: "mqueue", Source: "mqueue", Flags: libct.MountNoSuid | libct.MountNoExec | libct.MountNoDev},
					{Destination: "/sys", Type: "sysfs", Source: "sysfs", Flags: libct.MountNoSuid | libct.MountNoExec | libct.MountNoDev | libct.MountReadOnly},
				}
				if !reflect.DeepEqual(cfg.Mounts, want) {
					t.Errorf("mounts\n%+v\nwant\n%+v", cfg.Mounts, want)
				}
				// /proc only as the spec mounts it; the minimal /dev fills
				// the spec's tmpfs.
				if cfg.Options&libct.NoAutoProc == 0 || cfg.Options&libct.NoMinimalDev != 0 {
					t.Errorf("options %b", cfg.Options)
				}
			},
		},
		{
			name: "binds",
			mod: withMounts(
				specs.Mount{Destination: "/data", Source: "data", Options: []string{"rbind", "rprivate", "ro", "nosuid", "mode=755", "size=1k"}},
				specs.Mount{Destination: "/etc/hosts", Type: "bind", Source: "/etc/hosts", Options: []string{"ro", "ro", "rw"}},
				specs.Mount{Destination: "/mnt/a", Type: "none", Source: "/etc", Options: []string{"bind", "private"}},
				specs.Mount{Destination: "/mnt/b", Source: "/etc", Options: []string{"bind", "rslave", "rro"}},
				specs.Mount{Destination: "/mnt/c", Source: "/etc", Options: []string{"rbind", "rshared", "rro", "rnosuid", "rnodev", "rnoexec"}},
				specs.Mount{Destination: "mnt/d", Type: "rbind", Source: "/etc", Options: []string{"nodev", "dev", "exec", "suid", "defaults", "relatime"}},
				specs.Mount{Destination: "/mnt/e", Source: "/etc", Options: []string{"rbind", "ratime", "rrw"}},
			),
			check: func(t *testing.T, cfg *libct.Config, _ *libct.Process) {
				ro, bind, rec := libct.MountReadOnly, libct.MountBind, libct.MountRecursive
				rprop, rattr := libct.MountRecursivePropagation, libct.MountRecursiveAttrs
				want := []libct.Mount{
					{Destination: "/data", Source: filepath.Join(cfg.Bundle, "data"), Flags: bind | rec | libct.MountPrivate | rprop | ro | libct.MountNoSuid},
					{Destination: "/etc/hosts", Source: "/etc/hosts", Flags: bind | libct.MountReadWrite},
					{Destination: "/mnt/a", Source: "/etc", Flags: bind | libct.MountPrivate},
					{Destination: "/mnt/b", Source: "/etc", Flags: bind | libct.MountSlave | rprop | ro | rattr},
					{Destination: "/mnt/c", Source: "/etc", Flags: bind | rec | libct.MountShared | rprop | ro | libct.MountNoSuid | libct.MountNoDev | libct.MountNoExec | rattr},
					{Destination: "/mnt/d", Source: "/etc", Flags: bind | rec | libct.MountRelAtime | libct.MountDev | libct.MountExec | libct.MountSuid},
					{Destination: "/mnt/e", Source: "/etc", Flags: bind | rec | libct.MountAtime | libct.MountReadWrite | rattr},
				}
				if !reflect.DeepEqual(cfg.Mounts, want) {
					t.Errorf("mounts\n%+v\nwant\n%+v", cfg.Mounts, want)
				}
			},
		},
		{
			name: "file system mounts with propagation",
			mod: withMounts(
				specs.Mount{Destination: "/tmp/a", Type: "tmpfs", Source: "tmpfs", Options: []string{"nosuid", "strictatime", "mode=755", "size=1k", "shared"}},
				specs.Mount{Destination: "/tmp/b", Type: "tmpfs", Options: []string{"rprivate", "rro"}},
				specs.Mount{Destination: "/tmp/c", Type: "tmpfs", Options: []string{"strictatime", "nostrictatime", "rslave"}},
			),
			check: func(t *testing.T, cfg *libct.Config, _ *libct.Process) {
				want := []libct.Mount{
					{Destination: "/tmp/a", Type: "tmpfs", Source: "tmpfs", Data: "mode=755,size=1k", Flags: libct.MountNoSuid | libct.MountStrictAtime | libct.MountShared},
					{Destination: "/tmp/b", Type: "tmpfs", Flags: libct.MountPrivate | libct.MountRecursivePropagation | libct.MountReadOnly},
					{Destination: "/tmp/c", Type: "tmpfs", Flags: libct.MountSlave | libct.MountRecursivePropagation | libct.MountNoStrictAtime},
				}
				if !reflect.DeepEqual(cfg.Mounts, want) {
					t.Errorf("mounts\n%+v\nwant\n%+v", cfg.Mounts, want)
				}
			},
		},
		{
			name: "a bind /dev keeps its own nodes",
			mod:  withMounts(specs.Mount{Destination: "/dev", Source: "/dev", Options: []string{"rbind", "rslave"}}),
			check: func(t *testing.T, cfg *libct.Config, _ *libct.Process) {
				if cfg.Options&libct.NoMinimalDev == 0 {
					t.Errorf("options %b lack NoMinimalDev", cfg.Options)
				}
			},
		},
		{
			name: "no /dev mount: libct's own minimal /dev",
			mod:  withMounts(specs.Mount{Destination: "/proc", Type: "proc", Source: "proc"}),
			check: func(t *testing.T, cfg *libct.Config, _ *libct.Process) {
				if cfg.Options&libct.NoMinimalDev != 0 {
					t.Errorf("options %b", cfg.Options)
				}
			},
		},
		{
			name: "read-only cgroup mount",
			mod: withMounts(specs.Mount{Destination: "/sys/fs/cgroup/", Type: "cgroup", Source: "cgroup",
				Options: []string{"nosuid", "noexec", "nodev", "relatime", "ro"}}),
			check: func(t *testing.T, cfg *libct.Config, _ *libct.Process) {
				if len(cfg.Mounts) != 0 {
					t.Errorf("mounts %+v: the cgroup mount is libct's sub-mount", cfg.Mounts)
				}
				if cfg.Options&libct.CgroupSubmount == 0 || cfg.Cgroup == nil {
					t.Errorf("options %b cgroup %v", cfg.Options, cfg.Cgroup)
				}
				if !slices.Equal(cfg.ReadonlyPaths, []string{"/sys/fs/cgroup"}) {
					t.Errorf("read-only paths %v", cfg.ReadonlyPaths)
				}
			},
		},
		{
			name: "writable cgroup2 mount",
			mod:  withMounts(specs.Mount{Destination: "/sys/fs/cgroup", Type: "cgroup2", Source: "cgroup2", Options: []string{"rw"}}),
			check: func(t *testing.T, cfg *libct.Config, _ *libct.Process) {
				if cfg.Options&libct.CgroupSubmount == 0 || len(cfg.ReadonlyPaths) != 0 {
					t.Errorf("options %b read-only %v", cfg.Options, cfg.ReadonlyPaths)
				}
			},
		},
		{
			name: "mounts without a mount namespace: shared mounts",
			mod:  func(s *specs.Spec) { s.Linux.Namespaces = s.Linux.Namespaces[1:]; s.Mounts = DefaultSpec(false).Mounts },
			check: func(t *testing.T, cfg *libct.Config, _ *libct.Process) {
				if cfg.Options&libct.SharedMounts == 0 {
					t.Errorf("options %b lack SharedMounts", cfg.Options)
				}
			},
		},
		{name: "empty destination", mod: withMounts(specs.Mount{Type: "tmpfs"}), errPath: "mounts[0].destination"},
		{name: "destination /", mod: withMounts(specs.Mount{Destination: "/", Type: "tmpfs"}), errPath: "mounts[0].destination"},
		{
			name:     "no type, no bind",
			mod:      withMounts(specs.Mount{Destination: "/a", Type: "tmpfs"}, specs.Mount{Destination: "/b", Source: "/etc"}),
			errPath:  "mounts[1].type",
			errParts: []string{"no file system type"},
		},
		{name: "bind without source", mod: withMounts(specs.Mount{Destination: "/a", Options: []string{"bind"}}), errPath: "mounts[0].source"},
		{name: "empty option", mod: withMounts(specs.Mount{Destination: "/a", Type: "tmpfs", Options: []string{"ro", ""}}), errPath: "mounts[0].options[1]"},
		{
			name: "idmapped mounts",
			mod: withMounts(
				specs.Mount{Destination: "/a", Source: "/etc", Options: []string{"rbind", "idmap"}},
				specs.Mount{Destination: "/b", Source: "/etc", Options: []string{"ridmap", "rbind"}},
				specs.Mount{Destination: "/c", Source: "/etc", Options: []string{"bind", "ridmap"},
					UIDMappings: []specs.LinuxIDMapping{{ContainerID: 0, HostID: 100000, Size: 65536}},
					GIDMappings: []specs.LinuxIDMapping{{ContainerID: 1, HostID: 200000, Size: 10}}},
				specs.Mount{Destination: "/d", Source: "/etc", Options: []string{"rbind", "ro"},
					UIDMappings: []specs.LinuxIDMapping{{ContainerID: 5, HostID: 6, Size: 7}},
					GIDMappings: []specs.LinuxIDMapping{{ContainerID: 8, HostID: 9, Size: 10}}},
				specs.Mount{Destination: "/e", Source: "/etc", Options: []string{"rbind"}},
			),
			check: func(t *testing.T, cfg *libct.Config, _ *libct.Process) {
				bind, rec := libct.MountBind, libct.MountRecursive
				want := []libct.Mount{
					{Destination: "/a", Source: "/etc", Flags: bind | rec, IDMap: &libct.MountIDMap{}},
					{Destination: "/b", Source: "/etc", Flags: bind | rec, IDMap: &libct.MountIDMap{Recursive: true}},
					// ridmap means idmap for a bind without submounts.
					{Destination: "/c", Source: "/etc", Flags: bind, IDMap: &libct.MountIDMap{
						UIDMappings: []libct.IDMap{{ContainerID: 0, HostID: 100000, Size: 65536}},
						GIDMappings: []libct.IDMap{{ContainerID: 1, HostID: 200000, Size: 10}}}},
					// Mappings without an option idmap the top mount only.
					{Destination: "/d", Source: "/etc", Flags: bind | rec | libct.MountReadOnly, IDMap: &libct.MountIDMap{
						UIDMappings: []libct.IDMap{{ContainerID: 5, HostID: 6, Size: 7}},
						GIDMappings: []libct.IDMap{{ContainerID: 8, HostID: 9, Size: 10}}}},
					{Destination: "/e", Source: "/etc", Flags: bind | rec},
				}
				if !reflect.DeepEqual(cfg.Mounts, want) {
					t.Errorf("mounts\n%+v\nwant\n%+v", cfg.Mounts, want)
				}
			},
		},
		{
			name:        "idmap on a file system",
			mod:         withMounts(specs.Mount{Destination: "/a", Type: "mqueue", Source: "mqueue", Options: []string{"idmap"}}),
			errPath:     "mounts[0].type",
			errParts:    []string{"bind mounts and tmpfs only"},
			unsupported: true,
		},
		{
			name: "gid mappings without uid mappings",
			mod: withMounts(specs.Mount{Destination: "/a", Source: "/etc", Options: []string{"rbind"},
				GIDMappings: []specs.LinuxIDMapping{{Size: 1}}}),
			errPath:  "mounts[0].uidMappings",
			errParts: []string{"needs both or neither"},
		},
		{
			name: "uid mappings without gid mappings",
			mod: withMounts(specs.Mount{Destination: "/a", Source: "/etc", Options: []string{"bind", "idmap"},
				UIDMappings: []specs.LinuxIDMapping{{Size: 1}}}),
			errPath: "mounts[0].gidMappings",
		},
		{
			name: "unbindable and atime flags",
			mod: withMounts(specs.Mount{Destination: "/a", Source: "/etc", Options: []string{"bind", "unbindable", "noatime", "nodiratime"}},
				specs.Mount{Destination: "/b", Type: "tmpfs", Options: []string{"sync", "dirsync", "lazytime", "nosymfollow"}}),
			check: func(t *testing.T, cfg *libct.Config, _ *libct.Process) {
				want := []libct.Mount{
					{Destination: "/a", Source: "/etc", Flags: libct.MountBind | libct.MountUnbindable | libct.MountNoAtime | libct.MountNoDiratime},
					{Destination: "/b", Type: "tmpfs", Flags: libct.MountSync | libct.MountDirSync | libct.MountLazyTime | libct.MountNoSymFollow},
				}
				if !reflect.DeepEqual(cfg.Mounts, want) {
					t.Errorf("mounts\n%+v\nwant\n%+v", cfg.Mounts, want)
				}
			},
		},
		{
			name:    "tmpcopyup on a file system other than tmpfs",
			mod:     withMounts(specs.Mount{Destination: "/a", Type: "mqueue", Options: []string{"tmpcopyup"}}),
			errPath: "mounts[0].options[0]",
		},
		{
			name:    "tmpcopyup on a bind mount",
			mod:     withMounts(specs.Mount{Destination: "/a", Source: "/etc", Options: []string{"bind", "tmpcopyup"}}),
			errPath: "mounts[0].options[1]",
		},

		{
			name:        "cgroup mount elsewhere",
			mod:         withMounts(specs.Mount{Destination: "/cg", Type: "cgroup", Source: "cgroup"}),
			errPath:     "mounts[0].destination",
			unsupported: true,
		},
		{
			name: "two cgroup mounts",
			mod: withMounts(specs.Mount{Destination: "/sys/fs/cgroup", Type: "cgroup"},
				specs.Mount{Destination: "/sys/fs/cgroup", Type: "cgroup2"}),
			errPath: "mounts[1]",
		},
	})
}

func TestMountOptionsAreCovered(t *testing.T) {
	// Every option runc, crun or the spec define is known: none is passed
	// to the kernel as file system data by mistake.
	for _, o := range []string{
		"async", "atime", "bind", "defaults", "dev", "diratime", "dirsync", "exec", "idmap", "lazytime",
		"loud", "mand", "noatime", "nodev", "nodiratime", "noexec", "nolazytime", "nomand", "norelatime",
		"nostrictatime", "nosuid", "nosymfollow", "private", "ratime", "rbind", "rdev", "rdiratime", "relatime",
		"remount", "rexec", "ridmap", "rnoatime", "rnodev", "rnodiratime", "rnoexec", "rnorelatime",
		"rnostrictatime", "rnosuid", "rnosymfollow", "ro", "rprivate", "rrelatime", "rro", "rrw", "rshared",
		"rslave", "rstrictatime", "rsuid", "rsymfollow", "runbindable", "rw", "shared", "silent", "slave",
		"strictatime", "suid", "symfollow", "sync", "tmpcopyup", "unbindable",
	} {
		if _, ok := mountOptions[o]; !ok {
			t.Errorf("mount option %q is not known", o)
		}
	}
}
