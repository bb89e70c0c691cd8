package network

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

// Every test that touches the kernel works in network namespaces it makes
// itself: a throwaway "host" namespace holding the veth host ends, bridges
// and dummies, and one per container. They are unnamed: a namespace lives
// as long as the test holds its file open, and its devices die with it,
// so nothing can be left in /run/netns. Traffic goes only between
// addresses configured inside them.
//
// TestMain checks, around the whole suite, that the machine's own
// namespace has the same devices as before and that no thread of the test
// process was left in another network namespace.
func TestMain(m *testing.M) {
	if os.Geteuid() != 0 {
		os.Exit(m.Run()) // the tests skip, or fail under CI
	}
	links, err := rootLinks()
	if err != nil {
		fmt.Fprintln(os.Stderr, "ip -o link:", err)
		os.Exit(2)
	}
	self, err := os.Readlink("/proc/self/ns/net")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	code := m.Run()
	after, err := rootLinks()
	if err != nil || !slices.Equal(links, after) {
		fmt.Fprintf(os.Stderr, "FAIL: the machine's namespace has other devices after the tests (%v):\nbefore %v\nafter  %v\n", err, links, after)
		code = 1
	}
	if strays := threadsNotIn(self); len(strays) > 0 {
		fmt.Fprintf(os.Stderr, "FAIL: threads left in another network namespace: %v\n", strays)
		code = 1
	}
	os.Exit(code)
}

// rootLinks lists the names of the devices of the caller's namespace, as
// `ip -o link` shows them.
func rootLinks() ([]string, error) {
	out, err := exec.Command("ip", "-o", "link", "show").Output()
	if err != nil {
		return nil, err
	}
	var names []string
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		// "1: lo: <LOOPBACK,UP> ..." or "5: veth0@if4: ..."
		f := strings.SplitN(line, ": ", 3)
		if len(f) == 3 {
			names = append(names, f[1])
		}
	}
	slices.Sort(names)
	return names, nil
}

// threadsNotIn lists the threads of this process whose network namespace
// is not ns.
func threadsNotIn(ns string) []string {
	tasks, _ := filepath.Glob("/proc/self/task/*/ns/net")
	var strays []string
	for _, t := range tasks {
		if l, err := os.Readlink(t); err == nil && l != ns {
			strays = append(strays, t+" -> "+l)
		}
	}
	return strays
}

func requireRoot(t testing.TB) {
	t.Helper()
	if os.Geteuid() == 0 {
		return
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("needs root: the tests make network namespaces and devices; CI must run them")
	}
	t.Skip("needs root: the tests make network namespaces and devices")
}

// testNS is a network namespace made by a test, held by its open file.
type testNS struct {
	f *os.File
	h *netlink.Handle // a netlink handle inside
}

// fd is the namespace's file descriptor, as libct passes the container's.
func (n *testNS) fd() int { return int(n.f.Fd()) }

// path is a path that opens the namespace, for Spec.HostNamespace.
func (n *testNS) path() string { return fmt.Sprintf("/proc/self/fd/%d", n.fd()) }

// newNS makes a network namespace that dies when the test ends. The
// unshare runs on a locked thread that goes back to its namespace; if it
// cannot, it stays locked and the runtime ends it.
func newNS(t testing.TB) *testNS {
	t.Helper()
	type result struct {
		ns  netns.NsHandle
		err error
	}
	done := make(chan result, 1)
	go func() {
		runtime.LockOSThread()
		orig, err := netns.Get()
		if err != nil {
			runtime.UnlockOSThread()
			done <- result{-1, err}
			return
		}
		defer orig.Close()
		ns, err := netns.New() // unshare(CLONE_NEWNET) of this thread
		if rerr := netns.Set(orig); rerr != nil {
			done <- result{-1, fmt.Errorf("back to the original namespace: %w", rerr)}
			return
		}
		runtime.UnlockOSThread()
		done <- result{ns, err}
	}()
	r := <-done
	if r.err != nil {
		t.Fatalf("new network namespace: %v", r.err)
	}
	n := &testNS{f: os.NewFile(uintptr(r.ns), "netns")}
	t.Cleanup(func() { n.f.Close() })
	h, err := handleAt(n.fd())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(h.Close)
	n.h = h
	// The host side needs its loopback for the replies it sends itself.
	lo, err := h.LinkByName("lo")
	if err == nil {
		err = h.LinkSetUp(lo)
	}
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// links lists the device names of the namespace, sorted.
func (n *testNS) links(t *testing.T) []string {
	t.Helper()
	ls, err := n.h.LinkList()
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, l := range ls {
		names = append(names, l.Attrs().Name)
	}
	slices.Sort(names)
	return names
}

// link returns the device called name, failing the test without it.
func (n *testNS) link(t *testing.T, name string) netlink.Link {
	t.Helper()
	l, err := n.h.LinkByName(name)
	if err != nil {
		t.Fatalf("device %s: %v", name, err)
	}
	return l
}

// add makes a device in the namespace (a bridge, a dummy), up, with
// addresses, for the test to use as host-side infrastructure.
func (n *testNS) add(t *testing.T, l netlink.Link, addrs ...string) {
	t.Helper()
	if err := n.h.LinkAdd(l); err != nil {
		t.Fatalf("add %s: %v", l.Attrs().Name, err)
	}
	n.configure(t, l, addrs...)
}

// configure gives a test's device addresses and brings it up.
func (n *testNS) configure(t *testing.T, l netlink.Link, addrs ...string) {
	t.Helper()
	for _, a := range addrs {
		ipnet, err := netlink.ParseIPNet(a)
		if err != nil {
			t.Fatal(err)
		}
		if err := n.h.AddrAdd(l, &netlink.Addr{IPNet: ipnet, Flags: unix.IFA_F_NODAD}); err != nil {
			t.Fatalf("address %s on %s: %v", a, l.Attrs().Name, err)
		}
	}
	if err := n.h.LinkSetUp(l); err != nil {
		t.Fatal(err)
	}
}

func bridge(name string) *netlink.Bridge {
	return &netlink.Bridge{LinkAttrs: netlink.LinkAttrs{Name: name, TxQLen: -1}}
}

// addNIC makes a device that stands for a host NIC: a dummy, or an ifb
// where the kernel has no dummy driver (CONFIG_DUMMY is off on some VM
// kernels). It reports whether the device's MAC can be changed: an ifb's
// cannot.
func (n *testNS) addNIC(t *testing.T, name string, addrs ...string) (macSettable bool) {
	t.Helper()
	dummy := &netlink.Dummy{LinkAttrs: netlink.LinkAttrs{Name: name, TxQLen: -1}}
	err := n.h.LinkAdd(dummy)
	if err == nil {
		n.configure(t, dummy, addrs...)
		return true
	}
	if !errors.Is(err, unix.EOPNOTSUPP) {
		t.Fatalf("add dummy %s: %v", name, err)
	}
	n.add(t, &netlink.Ifb{LinkAttrs: netlink.LinkAttrs{Name: name, TxQLen: -1}}, addrs...)
	return false
}

// run runs argv inside the namespace through nsenter and returns its
// combined output.
func (n *testNS) run(argv ...string) (string, error) {
	nsenter, err := exec.LookPath("nsenter")
	args := []string{"--net=/proc/self/fd/3", "--"}
	if err != nil {
		nsenter, args = "/bin/busybox", append([]string{"nsenter"}, args...)
	}
	cmd := exec.Command(nsenter, append(args, argv...)...)
	cmd.ExtraFiles = []*os.File{n.f}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err = cmd.Run()
	return out.String(), err
}

// ping sends one echo request from the namespace to addr and fails the
// test without a reply.
func (n *testNS) ping(t *testing.T, addr string) {
	t.Helper()
	cmd := "ping"
	if strings.Contains(addr, ":") {
		cmd = "ping6"
	}
	if out, err := n.run("/bin/busybox", cmd, "-c", "1", "-W", "2", addr); err != nil {
		t.Errorf("%s %s: %v\n%s", cmd, addr, err, out)
	}
}

// setup runs Setup and tears down at the end of the test, checking that
// the host namespace is left as it was found.
func setup(t *testing.T, host, ctr *testNS, s *Spec) *State {
	t.Helper()
	before := host.links(t)
	st, err := Setup(s, ctr.fd())
	if err != nil {
		t.Fatalf("Setup: %v", err)
	}
	t.Cleanup(func() {
		if err := Teardown(st, ctr.fd()); err != nil {
			t.Errorf("Teardown: %v", err)
		}
		if after := host.links(t); !slices.Equal(before, after) {
			t.Errorf("host namespace devices: before %v, after teardown %v", before, after)
		}
	})
	return st
}

// ipnet parses a CIDR keeping the address, failing the test on error.
func ipnet(t *testing.T, s string) *netlink.Addr {
	t.Helper()
	n, err := netlink.ParseIPNet(s)
	if err != nil {
		t.Fatal(err)
	}
	return &netlink.Addr{IPNet: n}
}
