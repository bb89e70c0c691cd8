package libct_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/libct/libct"
	"github.com/libct/libct/internal/testutil"
)

// idmapTree makes a source for idmapped mounts: files owned by ids the
// cases map (top 100:211, sub/inner 101:222), where sub is a bind mount
// of its own on the host, which the rbind cases carry along.
func idmapTree(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	top := filepath.Join(dir, "tree")
	sub := filepath.Join(dir, "sub")
	for _, d := range []string{filepath.Join(top, "sub"), sub} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range []struct {
		path     string
		uid, gid int
	}{{filepath.Join(top, "top"), 100, 211}, {filepath.Join(sub, "inner"), 101, 222}} {
		if err := os.WriteFile(f.path, nil, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Chown(f.path, f.uid, f.gid); err != nil {
			t.Fatal(err)
		}
	}
	if err := unix.Mount(sub, filepath.Join(top, "sub"), "", unix.MS_BIND, ""); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Unmount(filepath.Join(top, "sub"), unix.MNT_DETACH) })
	return top
}

var (
	idmapUserNS = []libct.IDMap{{ContainerID: 0, HostID: 100000, Size: 65536}}
	// idmapOwn maps the tree's owners somewhere else than the container's
	// user namespace does.
	idmapOwnUIDs = []libct.IDMap{{ContainerID: 100, HostID: 101000, Size: 3}}
	idmapOwnGIDs = []libct.IDMap{{ContainerID: 210, HostID: 101100, Size: 20}}
)

// TestIDMappedMounts: an idmapped bind shows the files of its source
// with the owners its mappings give them, through the C init and the Go
// init alike, and a file created through it lands on the host with the
// owner mapped back.
func TestIDMappedMounts(t *testing.T) {
	newSession(t) // root, or skip
	overflow := "65534=65534"
	for _, tc := range []struct {
		name   string
		userns bool
		flags  libct.MountFlag
		idmap  libct.MountIDMap
		// want is the owners of /t/top, /t/sub/inner and a file the
		// container creates at /t/new, as it sees them.
		want string
		// hostNew is the owner of that file on the host, "" when the
		// creation must fail.
		hostNew string
	}{
		{
			name: "own mappings, no user namespace", flags: libct.MountBind | libct.MountRecursive,
			idmap: libct.MountIDMap{UIDMappings: idmapOwnUIDs, GIDMappings: idmapOwnGIDs},
			// Root is not mapped: creating a file fails with EOVERFLOW.
			want: "101000=101101 101=222 fail",
		},
		{
			name: "the container's user namespace", userns: true, flags: libct.MountBind | libct.MountRecursive,
			want: "100=211 " + overflow + " 0=0", hostNew: "0=0",
		},
		{
			name: "the container's user namespace, recursive", userns: true, flags: libct.MountBind | libct.MountRecursive,
			idmap: libct.MountIDMap{Recursive: true},
			want:  "100=211 101=222 0=0", hostNew: "0=0",
		},
		{
			name: "own mappings in a user namespace", userns: true, flags: libct.MountBind | libct.MountRecursive,
			idmap: libct.MountIDMap{UIDMappings: idmapOwnUIDs, GIDMappings: idmapOwnGIDs, Recursive: true},
			want:  "1000=1101 1001=1112 fail",
		},
		{
			name: "a plain bind, read-only", userns: true, flags: libct.MountBind | libct.MountReadOnly,
			want: "100=211 missing fail",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tree := idmapTree(t)
			cfg := busybox(t)
			if tc.userns {
				cfg.Namespaces |= libct.NewUser
				cfg.UIDMappings, cfg.GIDMappings = idmapUserNS, idmapUserNS
			}
			// The mount point exists: root of the user namespace may not
			// create it in the host-owned test root.
			if err := os.Mkdir(filepath.Join(cfg.Root, "t"), 0o755); err != nil {
				t.Fatal(err)
			}
			idmap := tc.idmap
			cfg.Mounts = []libct.Mount{{Source: tree, Destination: "/t", Flags: tc.flags, IDMap: &idmap}}
			p := sh(`
				for f in /t/top /t/sub/inner; do
					stat -c %u=%g $f 2>/dev/null || echo missing
				done
				touch /t/new 2>/dev/null && stat -c %u=%g /t/new || echo fail`)
			var outs [2]string
			for i, useC := range []bool{true, false} {
				os.Remove(filepath.Join(tree, "new"))
				out, st, err, _ := startWith(t, useC, cfg, p)
				if err != nil || st != (libct.ExitStatus{}) {
					t.Fatalf("C init %v: %v %v\n%s", useC, st, err, out)
				}
				outs[i] = strings.Join(strings.Fields(out), " ")
				if outs[i] != tc.want {
					t.Errorf("C init %v: inside %q, want %q", useC, outs[i], tc.want)
				}
				var host syscall.Stat_t
				err = syscall.Stat(filepath.Join(tree, "new"), &host)
				switch {
				case tc.hostNew == "" && err == nil:
					t.Errorf("C init %v: the file was created", useC)
				case tc.hostNew != "" && err != nil:
					t.Errorf("C init %v: the file did not reach the host: %v", useC, err)
				case tc.hostNew != "" && strconvItoa(int(host.Uid))+"="+strconvItoa(int(host.Gid)) != tc.hostNew:
					t.Errorf("C init %v: on the host the file is owned by %d=%d, want %s", useC, host.Uid, host.Gid, tc.hostNew)
				}
			}
		})
	}
}

// TestRecursiveReadOnly: rro reaches the submounts of an rbind, which a
// plain ro leaves writable.
func TestRecursiveReadOnly(t *testing.T) {
	s := newSession(t)
	tree := idmapTree(t)
	cfg := busybox(t)
	ro := libct.MountBind | libct.MountRecursive | libct.MountReadOnly
	cfg.Mounts = []libct.Mount{
		{Source: tree, Destination: "/ro", Flags: ro},
		{Source: tree, Destination: "/rro", Flags: ro | libct.MountRecursiveAttrs},
	}
	out := mustRun(t, s, cfg, sh(`
		for d in /ro /ro/sub /rro /rro/sub; do
			touch $d/x 2>/dev/null && echo "$d rw" || echo "$d ro"
			rm -f $d/x
		done`))
	if want := "/ro ro\n/ro/sub rw\n/rro ro\n/rro/sub ro\n"; out != want {
		t.Errorf("got\n%s\nwant\n%s", out, want)
	}
}

// TestIDMapErrors: an idmapping that cannot be made is refused before
// the start with an error naming the field, or fails the start with the
// step and the field, and leaves nothing behind.
func TestIDMapErrors(t *testing.T) {
	s := newSession(t)
	// The session opens what every start needs once, on its first.
	mustRun(t, s, busybox(t), sh("true"))
	for _, tc := range []struct {
		name   string
		userns bool
		mount  libct.Mount
		field  string // a ConfigError's, or "" for a failed start
		text   string
	}{
		{
			name:  "a file system other than tmpfs",
			mount: libct.Mount{Type: "mqueue", Destination: "/t", IDMap: &libct.MountIDMap{}},
			field: "mounts[0].idmap", text: "only a bind mount or a tmpfs",
		},
		{
			name:  "no mappings and no user namespace",
			mount: libct.Mount{Source: "/etc", Destination: "/t", Flags: libct.MountBind, IDMap: &libct.MountIDMap{}},
			field: "mounts[0].idmap", text: "no user namespace",
		},
		{
			name: "uid mappings only", userns: true,
			mount: libct.Mount{Source: "/etc", Destination: "/t", Flags: libct.MountBind, IDMap: &libct.MountIDMap{UIDMappings: idmapUserNS}},
			field: "mounts[0].idmap.gidMappings", text: "give both or neither",
		},
		{
			name: "an empty range",
			mount: libct.Mount{Source: "/etc", Destination: "/t", Flags: libct.MountBind, IDMap: &libct.MountIDMap{
				UIDMappings: idmapUserNS, GIDMappings: []libct.IDMap{{ContainerID: 0, HostID: 1, Size: 0}}}},
			field: "mounts[0].idmap.gidMappings[0].size", text: "must not be 0",
		},
		{
			name: "overlapping ranges",
			mount: libct.Mount{Source: "/etc", Destination: "/t", Flags: libct.MountBind, IDMap: &libct.MountIDMap{
				UIDMappings: []libct.IDMap{{ContainerID: 0, HostID: 1000, Size: 10}, {ContainerID: 5, HostID: 2000, Size: 10}},
				GIDMappings: idmapUserNS}},
			field: "mounts[0].idmap.uidMappings[1]", text: "container ids overlap",
		},
		{
			// proc allows no idmapped mounts: the kernel refuses.
			name: "a file system without idmapped mounts", userns: true,
			mount: libct.Mount{Source: "/proc/sys", Destination: "/t", Flags: libct.MountBind, IDMap: &libct.MountIDMap{}},
			text:  "mounts[0].idmap: mount_setattr idmap /proc/sys",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := busybox(t)
			if tc.userns {
				cfg.Namespaces |= libct.NewUser
				cfg.UIDMappings, cfg.GIDMappings = idmapUserNS, idmapUserNS
			}
			cfg.Mounts = []libct.Mount{tc.mount}
			children, mounts, fds := testutil.ChildPIDs(t), testutil.MountCount(t), testutil.OpenFDs(t)
			c, err := s.Create(uniqueName(t), cfg)
			if err == nil {
				defer c.Destroy()
				err = c.Spawn(&libct.Process{Args: []string{"true"}})
			}
			var ce *libct.ConfigError
			var se *libct.StartError
			switch {
			case tc.field != "":
				if !errors.As(err, &ce) || !strings.Contains(err.Error(), tc.field) || !strings.Contains(err.Error(), tc.text) {
					t.Fatalf("got %v, want a ConfigError on %s saying %q", err, tc.field, tc.text)
				}
			case !errors.As(err, &se) || se.Step != "idmap" || !strings.Contains(se.Text, tc.text):
				t.Fatalf("got %v, want a StartError in step idmap saying %q", err, tc.text)
			default:
				procCheckNothingLeft(t, c, children, mounts)
				if got := testutil.OpenFDs(t); got != fds {
					t.Errorf("after the failed start: %d descriptors open, before %d", got, fds)
				}
			}
		})
	}
}

// TestIDMappedTmpfs: an idmapped tmpfs shows its root, owned by root on
// disk, with the owner its mappings give root, and refuses to create a
// file for an owner they do not map.
func TestIDMappedTmpfs(t *testing.T) {
	newSession(t)
	cfg := busybox(t)
	own := []libct.IDMap{{ContainerID: 0, HostID: 5000, Size: 1}}
	cfg.Mounts = []libct.Mount{{Type: "tmpfs", Source: "tmpfs", Destination: "/t", Data: "size=1m,mode=750", Flags: libct.MountNoSuid,
		IDMap: &libct.MountIDMap{UIDMappings: own, GIDMappings: own}}}
	p := sh(`stat -c %u=%g=%a /t; grep ' /t ' /proc/self/mountinfo | cut -d' ' -f6,9-; touch /t/f 2>/dev/null || echo fail`)
	for _, useC := range []bool{true, false} {
		out, st, err, _ := startWith(t, useC, cfg, p)
		if err != nil || st != (libct.ExitStatus{}) {
			t.Fatalf("C init %v: %v %v\n%s", useC, st, err, out)
		}
		if want := "5000=5000=750\nrw,nosuid,relatime,idmapped tmpfs rw,size=1024k,mode=750\nfail\n"; out != want {
			t.Errorf("C init %v: got\n%s\nwant\n%s", useC, out, want)
		}
	}
}

// TestIDMappedSourceInRoot: an idmapped mount whose source is in the
// root, made there by an earlier mount, is made when the init reaches it,
// from the init's mount namespace.
func TestIDMappedSourceInRoot(t *testing.T) {
	newSession(t)
	for _, userns := range []bool{false, true} {
		tree := idmapTree(t)
		cfg := busybox(t)
		want := "101000=101101\n"
		if userns {
			cfg.Namespaces |= libct.NewUser
			cfg.UIDMappings, cfg.GIDMappings = idmapUserNS, idmapUserNS
			want = "1000=1101\n"
			for _, d := range []string{"a", "b"} {
				if err := os.Mkdir(filepath.Join(cfg.Root, d), 0o755); err != nil {
					t.Fatal(err)
				}
			}
		}
		cfg.Mounts = []libct.Mount{
			{Source: tree, Destination: "/a", Flags: libct.MountBind | libct.MountRecursive},
			// Recursive: in a user namespace the kernel refuses to bind a
			// mount without the locked submount under it.
			{Source: filepath.Join(cfg.Root, "a"), Destination: "/b", Flags: libct.MountBind | libct.MountRecursive,
				IDMap: &libct.MountIDMap{UIDMappings: idmapOwnUIDs, GIDMappings: idmapOwnGIDs}},
		}
		for _, useC := range []bool{true, false} {
			out, st, err, _ := startWith(t, useC, cfg, sh("stat -c %u=%g /b/top"))
			if err != nil || st != (libct.ExitStatus{}) || out != want {
				t.Errorf("user namespace %v, C init asked %v: %v %v %q, want %q", userns, useC, st, err, out, want)
			}
		}
	}
}
