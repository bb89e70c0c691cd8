package rootfs

import (
	"os"
	"testing"

	"github.com/libct/libct/internal/testutil"
)

func TestValidateIDMap(t *testing.T) {
	dir := t.TempDir()
	ids := []IDMap{{ContainerID: 0, HostID: 100000, Size: 65536}}
	bind := func(im *MountIDMap) []Mount {
		return []Mount{{Source: dir, Destination: "/mnt", Flags: Bind | Recursive, IDMap: im}}
	}
	for _, tc := range []struct {
		name   string
		mounts []Mount
		userNS bool
		want   string // the whole message; "" for no error
	}{
		{name: "own mappings", mounts: bind(&MountIDMap{UIDMappings: ids, GIDMappings: ids, Recursive: true})},
		{name: "the container's mappings", mounts: bind(&MountIDMap{}), userNS: true},
		{name: "a tmpfs", mounts: []Mount{{Destination: "/t", Type: "tmpfs", IDMap: &MountIDMap{UIDMappings: ids, GIDMappings: ids}}}},
		{
			name: "no mappings, no user namespace", mounts: bind(&MountIDMap{}),
			want: "mounts[0].idmap: no mappings, and the container has no user namespace to take them from",
		},
		{
			name: "gid mappings only", mounts: bind(&MountIDMap{GIDMappings: ids}),
			want: "mounts[0].idmap.uidMappings: empty while gidMappings is not: give both or neither",
		},
		{
			name: "uid mappings only", mounts: bind(&MountIDMap{UIDMappings: ids}), userNS: true,
			want: "mounts[0].idmap.gidMappings: empty while uidMappings is not: give both or neither",
		},
		{
			name: "an empty range", mounts: bind(&MountIDMap{UIDMappings: ids, GIDMappings: []IDMap{{HostID: 1}}}),
			want: "mounts[0].idmap.gidMappings[0].size: must not be 0",
		},
		{
			name: "past the largest id", mounts: bind(&MountIDMap{UIDMappings: []IDMap{{HostID: 1 << 31, Size: 1 << 31}}, GIDMappings: ids}),
			want: "mounts[0].idmap.uidMappings[0]: host ids 2147483648+2147483648 exceed the largest id 4294967294",
		},
		{
			name: "proc", mounts: []Mount{{Destination: "/p", Type: "proc", IDMap: &MountIDMap{}}}, userNS: true,
			want: `mounts[0].idmap: only a bind mount or a tmpfs can be idmapped, not a "proc" mount`,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := Spec{Root: dir, MountNS: true, UserNS: tc.userNS, Mounts: tc.mounts}
			err := s.Validate()
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("got %v, want no error", err)
			case tc.want != "" && (err == nil || err.Error() != tc.want):
				t.Errorf("got %v, want %s", err, tc.want)
			}
		})
	}
}

// TestOpenIDMappedProbe: where IDMapSupported says so, a bind of a
// directory can be idmapped through a user namespace; without it the
// caller cannot make one.
func TestOpenIDMappedProbe(t *testing.T) {
	testutil.RequireRoot(t)
	if !IDMapSupported() {
		t.Skip("no mount_setattr")
	}
	// The caller's own user namespace is the initial one, which the
	// kernel refuses as an idmapping.
	userns, err := os.Open("/proc/self/ns/user")
	if err != nil {
		t.Fatal(err)
	}
	defer userns.Close()
	m := &Mount{Source: t.TempDir(), Destination: "/x", Flags: Bind, IDMap: &MountIDMap{}}
	if f, err := OpenIDMapped(m, userns); err == nil {
		f.Close()
		t.Fatal("idmapped through the initial user namespace")
	}
}
