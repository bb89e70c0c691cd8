package rootfs

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

func TestValidate(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(dir, "missing")
	tmpfs := Mount{Destination: "/tmp", Type: "tmpfs"}

	tests := []struct {
		name string
		spec Spec
		want string // the whole message; "" for no error
		is   error  // what errors.Is must find, if anything
	}{
		{name: "empty spec", spec: Spec{}},
		{
			name: "everything valid",
			spec: Spec{
				Root: dir, Private: dir, MountNS: true, MountProc: true, MinimalDev: true, ReadOnly: true,
				Propagation: PropagationSlave,
				Mounts: []Mount{
					tmpfs,
					{Source: file, Destination: "/etc/x/../hosts", Flags: Bind | ReadOnly},
					{Source: dir, Destination: "/mnt", Flags: Bind | Recursive | Private},
				},
				Devices: []Device{{Path: "/dev/fuse", Type: CharDevice, Major: 10, Minor: 229, Mode: 0o666}},
			},
		},
		{name: "chroot only", spec: Spec{Root: dir}},
		{
			name: "root missing",
			spec: Spec{Root: missing},
			want: `root "` + missing + `": no such file or directory`, is: fs.ErrNotExist,
		},
		{name: "root relative", spec: Spec{Root: "srv/root"}, want: `root "srv/root": must be an absolute path`},
		{
			name: "root not a directory",
			spec: Spec{Root: file},
			want: `root "` + file + `": not a directory`, is: syscall.ENOTDIR,
		},
		{name: "private without root", spec: Spec{Private: dir}, want: "private: needs a root"},
		{
			name: "private missing",
			spec: Spec{Root: dir, Private: missing},
			want: `private "` + missing + `": no such file or directory`, is: fs.ErrNotExist,
		},
		{name: "propagation unknown", spec: Spec{Propagation: 7}, want: "propagation 7: unknown propagation"},
		{name: "mounts without mount namespace", spec: Spec{Mounts: []Mount{tmpfs}}, want: "mounts: need a mount namespace"},
		{
			name: "devices without mount namespace",
			spec: Spec{Devices: []Device{{Path: "/dev/x", Type: CharDevice}}},
			want: "devices: need a mount namespace",
		},
		{name: "mountProc without mount namespace", spec: Spec{MountProc: true}, want: "mountProc: needs a mount namespace"},
		{name: "minimalDev without mount namespace", spec: Spec{Root: dir, MinimalDev: true}, want: "minimalDev: needs a mount namespace"},
		{name: "readOnly without mount namespace", spec: Spec{Root: dir, ReadOnly: true}, want: "readOnly: needs a mount namespace"},
		{name: "minimalDev without root", spec: Spec{MountNS: true, MinimalDev: true}, want: "minimalDev: needs a root"},
		{
			name: "destination relative",
			spec: Spec{MountNS: true, Mounts: []Mount{{Destination: "tmp", Type: "tmpfs"}}},
			want: `mounts[0].destination "tmp": must be an absolute path`,
		},
		{
			name: "destination is the root",
			spec: Spec{MountNS: true, Mounts: []Mount{{Destination: "/", Type: "tmpfs"}}},
			want: `mounts[0].destination "/": cannot be "/"`,
		},
		{
			name: "destination cleans to the root",
			spec: Spec{MountNS: true, Mounts: []Mount{{Destination: "/tmp/..", Type: "tmpfs"}}},
			want: `mounts[0].destination "/tmp/..": cannot be "/"`,
		},
		{
			name: "destination climbs",
			spec: Spec{MountNS: true, Mounts: []Mount{tmpfs, {Destination: "/tmp/../../etc", Type: "tmpfs"}}},
			want: `mounts[1].destination "/tmp/../../etc": ".." climbs out of the root`,
		},
		{
			name: "type and bind",
			spec: Spec{MountNS: true, Mounts: []Mount{tmpfs, {Source: dir, Destination: "/x", Type: "tmpfs", Flags: Bind}}},
			want: "mounts[1]: type and Bind flag are exclusive",
		},
		{
			name: "neither type nor bind",
			spec: Spec{MountNS: true, Mounts: []Mount{tmpfs, {Source: dir, Destination: "/x"}}},
			want: "mounts[1]: neither a type nor the Bind flag",
		},
		{
			name: "recursive without bind",
			spec: Spec{MountNS: true, Mounts: []Mount{{Destination: "/x", Type: "tmpfs", Flags: Recursive}}},
			want: "mounts[0].flags: Recursive needs Bind",
		},
		{
			name: "two propagations",
			spec: Spec{MountNS: true, Mounts: []Mount{{Destination: "/x", Type: "tmpfs", Flags: Private | Shared}}},
			want: "mounts[0].flags: Private, Slave, Shared and Unbindable are exclusive",
		},
		{
			name: "unknown flag",
			spec: Spec{MountNS: true, Mounts: []Mount{{Destination: "/x", Type: "tmpfs", Flags: 1 << 31}}},
			want: "mounts[0].flags 0x80000000: unknown flags",
		},
		{
			name: "bind source missing",
			spec: Spec{MountNS: true, Mounts: []Mount{tmpfs, tmpfs, {Source: missing, Destination: "/x", Flags: Bind}}},
			want: `mounts[2].source "` + missing + `": no such file or directory`, is: fs.ErrNotExist,
		},
		{
			name: "bind source relative",
			spec: Spec{MountNS: true, Mounts: []Mount{{Source: "x", Destination: "/x", Flags: Bind}}},
			want: `mounts[0].source "x": must be an absolute path`,
		},
		{
			name: "bind with data",
			spec: Spec{MountNS: true, Mounts: []Mount{{Source: dir, Destination: "/x", Flags: Bind, Data: "size=1m"}}},
			want: "mounts[0].data: a bind mount takes no data",
		},
		{
			name: "device type unknown",
			spec: Spec{MountNS: true, Devices: []Device{{Path: "/dev/x", Type: 'x'}}},
			want: "devices[0].type 'x': unknown device type",
		},
		{
			name: "device path relative",
			spec: Spec{MountNS: true, Devices: []Device{{Path: "dev/x", Type: CharDevice}}},
			want: `devices[0].path "dev/x": must be an absolute path`,
		},
		{
			name: "device path climbs",
			spec: Spec{MountNS: true, Devices: []Device{{Path: "/../x", Type: CharDevice}}},
			want: `devices[0].path "/../x": ".." climbs out of the root`,
		},
		{
			name: "device mode not permissions",
			spec: Spec{MountNS: true, Devices: []Device{{Path: "/dev/x", Type: CharDevice, Mode: os.ModeSetuid | 0o600}}},
			want: "devices[0].mode urw-------: only permission bits are allowed",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.spec.Validate()
			if tt.want == "" {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			if err == nil || err.Error() != tt.want {
				t.Fatalf("Validate() = %v, want %s", err, tt.want)
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("errors.Is(%v, %v) = false", err, tt.is)
			}
		})
	}
}
