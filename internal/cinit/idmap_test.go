package cinit

import (
	"slices"
	"strconv"
	"testing"

	"github.com/libct/libct/rootfs"
)

// TestCompileIDMapped: the program takes the idmapped mounts once, right
// after it opened the root and before any mount, and moves each in place
// of a bind of its source, in the order the parent sends them.
func TestCompileIDMapped(t *testing.T) {
	s := baseInit(testRoot(t))
	s.Rootfs.Mounts = []rootfs.Mount{
		{Source: "/a", Destination: "/a", Flags: rootfs.Bind, IDMap: &rootfs.MountIDMap{}},
		{Source: "/b", Destination: "/b", Flags: rootfs.Bind},
		{Source: "/c", Destination: "/c", Flags: rootfs.Bind | rootfs.Recursive | rootfs.ReadOnly, IDMap: &rootfs.MountIDMap{Recursive: true}},
	}
	prog, ok := compile(s)
	if !ok {
		t.Fatal("refused")
	}
	ops := decode(t, prog)
	all := codes(ops)
	open := slices.Index(all, opOpenRoot)
	recv := slices.Index(all, opRecvMountFDs)
	if recv != open+1 || ops[recv].args[0] != "\x02\x00\x00\x00\x00\x00\x00\x00" {
		t.Fatalf("receive at %d (root opened at %d), args %q", recv, open, ops[max(recv, 0)].args)
	}
	var moved []string
	for _, op := range ops {
		switch op.code {
		case opMoveMountFD:
			moved = append(moved, op.args[0]+" #"+strconv.Itoa(int(op.args[1][0])))
		case opMountTarget:
			if op.args[1] == "/a" || op.args[1] == "/c" {
				t.Errorf("idmapped %s bound by mount(2)", op.args[1])
			}
		}
	}
	want := []string{"mounts[0]: move idmapped mount of /a to /a #0", "mounts[2]: move idmapped mount of /c to /c #1"}
	if !slices.Equal(moved, want) {
		t.Errorf("moves %q, want %q", moved, want)
	}
	// The read-only flag of the idmapped rbind is applied once it is in.
	if !slices.Contains(all[slices.Index(all, opMoveMountFD):], opRemountBind) {
		t.Errorf("no remount after the moves: %v", all)
	}
}

// TestCompileRefusesIDMapInRoot: an idmapped mount of a source in the
// root is made on the init's request, which only the Go init makes.
func TestCompileRefusesIDMapInRoot(t *testing.T) {
	s := baseInit(testRoot(t))
	s.Rootfs.Mounts = []rootfs.Mount{{Source: s.Rootfs.Root + "/a", Destination: "/b", Flags: rootfs.Bind, IDMap: &rootfs.MountIDMap{}}}
	if _, why := compileWhy(s); why != "an idmapped mount of a source in the root" {
		t.Errorf("refusal %q", why)
	}
}
