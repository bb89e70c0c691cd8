package network

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

// TestBridge is the usual container network: two containers whose veth
// host ends are ports of one bridge reach each other over IPv4 and IPv6.
// The two Setups run at once, as two starts of one frontend would.
func TestBridge(t *testing.T) {
	requireRoot(t)
	t.Parallel()
	host := newNS(t)
	host.add(t, bridge("br0"))
	ctrs := []*testNS{newNS(t), newNS(t)}
	addrs := [][]string{{"10.1.0.1/24", "fd01::1/64"}, {"10.1.0.2/24", "fd01::2/64"}}
	var wg sync.WaitGroup
	errs := make([]error, len(ctrs))
	states := make([]*State, len(ctrs))
	for i, c := range ctrs {
		wg.Go(func() {
			s := &Spec{
				HostNamespace: host.path(),
				Veths:         []Veth{{Host: Link{Master: "br0"}, Container: Link{Name: "eth0", Addresses: addrs[i]}}},
			}
			states[i], errs[i] = Setup(s, c.fd())
		})
	}
	wg.Wait()
	for i, c := range ctrs {
		if errs[i] != nil {
			t.Fatalf("Setup %d: %v", i, errs[i])
		}
		t.Cleanup(func() {
			if err := Teardown(states[i], c.fd()); err != nil {
				t.Error(err)
			}
		})
		// The host end is a port of the bridge, named by Generate.
		name := states[i].Veths[0].Host
		if !strings.HasPrefix(name, namePrefix) {
			t.Errorf("host end %q: not a generated name", name)
		}
		if got, want := host.link(t, name).Attrs().MasterIndex, host.link(t, "br0").Attrs().Index; got != want {
			t.Errorf("host end %s: master index %d, want the bridge's %d", name, got, want)
		}
	}
	for _, dst := range []string{"10.1.0.2", "fd01::2"} {
		ctrs[0].ping(t, dst)
	}
	for _, dst := range []string{"10.1.0.1", "fd01::1"} {
		ctrs[1].ping(t, dst)
	}
	if t.Failed() {
		return
	}
	// Teardown now, to see the bridge's ports go.
	for i, c := range ctrs {
		if err := Teardown(states[i], c.fd()); err != nil {
			t.Error(err)
		}
	}
	if got := host.links(t); !slices.Equal(got, []string{"br0", "lo"}) {
		t.Errorf("host namespace after Teardown: %v, want only br0 and lo", got)
	}
}

// TestDefaultRoute checks that a default route via a gateway on the host
// side is used: the container reaches addresses of the host namespace
// that are on no link of its own, over IPv4 and IPv6.
func TestDefaultRoute(t *testing.T) {
	requireRoot(t)
	t.Parallel()
	host, ctr := newNS(t), newNS(t)
	// Addresses of the host namespace on no link of the container's.
	host.configure(t, host.link(t, "lo"), "198.51.100.1/32", "2001:db8:ff::1/128")
	setup(t, host, ctr, &Spec{
		HostNamespace: host.path(),
		Veths: []Veth{{
			Host:      Link{Name: "gw0", Addresses: []string{"10.2.0.1/24", "fd02::1/64"}},
			Container: Link{Name: "eth0", Addresses: []string{"10.2.0.2/24", "fd02::2/64"}},
		}},
		Routes: []Route{
			{Destination: "default", Gateway: "10.2.0.1"},
			{Destination: "default", Gateway: "fd02::1"},
		},
	})
	ctr.ping(t, "10.2.0.1")
	ctr.ping(t, "198.51.100.1")
	ctr.ping(t, "2001:db8:ff::1")
}

// TestReadBack configures every setting and reads it back from inside the
// container and from the host namespace.
func TestReadBack(t *testing.T) {
	requireRoot(t)
	t.Parallel()
	host, ctr := newNS(t), newNS(t)
	host.add(t, bridge("br0"))
	s := &Spec{
		HostNamespace: host.path(),
		Veths: []Veth{
			{
				Host:      Link{Name: "h0", MAC: "02:00:00:00:01:01", MTU: 9000, Master: "br0", Addresses: []string{"10.3.0.1/24"}},
				Container: Link{Name: "eth0", MAC: "02:00:00:00:01:02", MTU: 1400, Addresses: []string{"10.3.0.2/24", "10.3.1.2/24", "fd03::2/64"}},
			},
			// Only the container end has an MTU: the host end takes it.
			{Host: Link{Name: "h1"}, Container: Link{Name: "eth1", MTU: 1300, Addresses: []string{"10.4.0.2/24", "fd04::2/64"}}},
		},
		Routes: []Route{
			{Destination: "default", Gateway: "10.3.0.1", Source: "10.3.1.2"},
			{Destination: "10.8.0.0/16", Device: "eth1"},
			{Destination: "10.9.0.0/16", NextHops: []NextHop{{Gateway: "10.3.0.1", Device: "eth0", Weight: 2}, {Gateway: "10.4.0.1", Weight: 5}}},
			{Destination: "fd09::/64", NextHops: []NextHop{{Gateway: "fd03::1", Device: "eth0"}, {Gateway: "fd04::1", Device: "eth1"}}},
		},
	}
	st := setup(t, host, ctr, s)
	if want := []VethState{{"h0", "eth0"}, {"h1", "eth1"}}; !slices.Equal(st.Veths, want) {
		t.Errorf("state veths %v, want %v", st.Veths, want)
	}

	eth0, eth1 := ctr.link(t, "eth0"), ctr.link(t, "eth1")
	h0, h1 := host.link(t, "h0"), host.link(t, "h1")
	links := []struct {
		name   string
		l      netlink.Link
		mac    string // "" for any
		mtu    int
		master int
	}{
		{"eth0", eth0, "02:00:00:00:01:02", 1400, 0},
		{"eth1", eth1, "", 1300, 0},
		{"h0", h0, "02:00:00:00:01:01", 9000, host.link(t, "br0").Attrs().Index},
		{"h1", h1, "", 1300, 0},
	}
	for _, c := range links {
		a := c.l.Attrs()
		if c.l.Type() != "veth" || a.Flags&net.FlagUp == 0 {
			t.Errorf("%s: type %s, flags %v; want an up veth", c.name, c.l.Type(), a.Flags)
		}
		if c.mac != "" && a.HardwareAddr.String() != c.mac {
			t.Errorf("%s: MAC %s, want %s", c.name, a.HardwareAddr, c.mac)
		}
		if a.MTU != c.mtu || a.MasterIndex != c.master {
			t.Errorf("%s: MTU %d master %d, want %d and %d", c.name, a.MTU, a.MasterIndex, c.mtu, c.master)
		}
	}
	if lo := ctr.link(t, "lo"); lo.Attrs().Flags&net.FlagUp == 0 {
		t.Error("lo is down inside")
	}

	// /sys/class/net shows the same from inside: a sysfs mounted in the
	// container's network namespace, in a mount namespace of its own so
	// that the machine's /sys is untouched.
	out, err := ctr.run("unshare", "--mount", "--propagation", "private", "/bin/busybox", "sh", "-c",
		"mount -t sysfs sysfs /sys && cat /sys/class/net/eth0/address /sys/class/net/eth0/mtu")
	if got := strings.Fields(out); err != nil || !slices.Equal(got, []string{"02:00:00:00:01:02", "1400"}) {
		t.Errorf("/sys/class/net/eth0: %q (%v)", out, err)
	}

	wantAddrs := map[netlink.Link][]string{
		eth0: {"10.3.0.2/24", "10.3.1.2/24", "fd03::2/64"},
		eth1: {"10.4.0.2/24", "fd04::2/64"},
		h0:   {"10.3.0.1/24"},
	}
	for l, want := range wantAddrs {
		h := ctr.h
		if l == h0 {
			h = host.h
		}
		as, err := h.AddrList(l, netlink.FAMILY_ALL)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, a := range as {
			if !a.IP.IsLinkLocalUnicast() {
				got = append(got, a.IPNet.String())
				if a.IP.To4() == nil && a.Flags&unix.IFA_F_NODAD == 0 {
					t.Errorf("%s: %s without nodad", l.Attrs().Name, a.IPNet)
				}
			}
		}
		slices.Sort(got)
		if !slices.Equal(got, want) {
			t.Errorf("%s: addresses %v, want %v", l.Attrs().Name, got, want)
		}
	}

	i0, i1 := eth0.Attrs().Index, eth1.Attrs().Index
	routes := []struct {
		name string
		dst  string
		gw   string
		src  string
		dev  int
		hops []string // "gateway dev weight"
	}{
		{name: "default via gateway with source", dst: "0.0.0.0/0", gw: "10.3.0.1", src: "10.3.1.2", dev: i0},
		{name: "device route", dst: "10.8.0.0/16", dev: i1},
		{name: "IPv4 multipath", dst: "10.9.0.0/16", hops: []string{fmt.Sprintf("10.3.0.1 %d 2", i0), fmt.Sprintf("10.4.0.1 %d 5", i1)}},
		{name: "IPv6 multipath", dst: "fd09::/64", hops: []string{fmt.Sprintf("fd03::1 %d 1", i0), fmt.Sprintf("fd04::1 %d 1", i1)}},
	}
	for _, c := range routes {
		t.Run(c.name, func(t *testing.T) {
			r := findRoute(t, ctr, c.dst)
			if r == nil {
				t.Fatalf("no route to %s", c.dst)
			}
			if c.hops != nil {
				var hops []string
				for _, h := range r.MultiPath {
					hops = append(hops, fmt.Sprintf("%s %d %d", h.Gw, h.LinkIndex, h.Hops+1))
				}
				if !slices.Equal(hops, c.hops) {
					t.Errorf("next hops %v, want %v", hops, c.hops)
				}
				return
			}
			if ipString(r.Gw) != c.gw || ipString(r.Src) != c.src || r.LinkIndex != c.dev {
				t.Errorf("gw %s src %s dev %d, want %q %q %d", r.Gw, r.Src, r.LinkIndex, c.gw, c.src, c.dev)
			}
		})
	}
}

func ipString(ip net.IP) string {
	if ip == nil {
		return ""
	}
	return ip.String()
}

// findRoute returns the main-table route of the container to dst.
func findRoute(t *testing.T, n *testNS, dst string) *netlink.Route {
	t.Helper()
	rs, err := n.h.RouteListFiltered(netlink.FAMILY_ALL, &netlink.Route{Table: unix.RT_TABLE_MAIN}, netlink.RT_FILTER_TABLE)
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range rs {
		d := "0.0.0.0/0"
		if r.Family == netlink.FAMILY_V6 {
			d = "::/0"
		}
		if r.Dst != nil {
			d = r.Dst.String()
		}
		if d == dst {
			return &rs[i]
		}
	}
	return nil
}

// TestHostNIC moves a dummy device of the test's host namespace into the
// container, renamed and reconfigured, and back under its old name with
// its MTU and MAC.
func TestHostNIC(t *testing.T) {
	requireRoot(t)
	t.Parallel()
	host, ctr := newNS(t), newNS(t)
	macSettable := host.addNIC(t, "dum0")
	host.addNIC(t, "dum1")
	orig := host.link(t, "dum0").Attrs()
	before := host.links(t)
	s := &Spec{
		HostNamespace: host.path(),
		HostNICs: []HostNIC{
			{Name: "dum0", Container: Link{Name: "net0", MTU: 1450, Addresses: []string{"10.5.0.2/24", "fd05::2/64"}}},
			{Name: "dum1"}, // keeps its name
		},
		Routes: []Route{{Destination: "default", Gateway: "10.5.0.1"}},
	}
	wantMAC := orig.HardwareAddr.String()
	want := []MovedNIC{{Original: "dum0", Inside: "net0", MTU: orig.MTU}, {Original: "dum1", Inside: "dum1"}}
	if macSettable {
		wantMAC = "02:00:00:00:05:01"
		s.HostNICs[0].Container.MAC = wantMAC
		want[0].MAC = orig.HardwareAddr.String()
	}
	st, err := Setup(s, ctr.fd())
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(st.HostNICs, want) {
		t.Errorf("state %+v, want %+v", st.HostNICs, want)
	}
	if got := host.links(t); !slices.Equal(got, []string{"lo"}) {
		t.Errorf("host namespace during the container's life: %v, want only lo", got)
	}
	if got := ctr.links(t); !slices.Equal(got, []string{"dum1", "lo", "net0"}) {
		t.Errorf("container: %v, want dum1, lo, net0", got)
	}
	in := ctr.link(t, "net0").Attrs()
	if in.HardwareAddr.String() != wantMAC || in.MTU != 1450 || in.Flags&net.FlagUp == 0 {
		t.Errorf("net0 inside: MAC %s MTU %d flags %v", in.HardwareAddr, in.MTU, in.Flags)
	}
	if r := findRoute(t, ctr, "0.0.0.0/0"); r == nil || ipString(r.Gw) != "10.5.0.1" || r.LinkIndex != in.Index {
		t.Errorf("default route %+v", r)
	}

	// Teardown comes from "another process": the state went through JSON.
	raw, _ := json.Marshal(st)
	var stored State
	if err := json.Unmarshal(raw, &stored); err != nil {
		t.Fatal(err)
	}
	if err := Teardown(&stored, ctr.fd()); err != nil {
		t.Fatal(err)
	}
	if got := host.links(t); !slices.Equal(got, before) {
		t.Errorf("host namespace after Teardown: %v, want %v", got, before)
	}
	if got := ctr.links(t); !slices.Equal(got, []string{"lo"}) {
		t.Errorf("container after Teardown: %v, want only lo", got)
	}
	back := host.link(t, "dum0").Attrs()
	if back.MTU != orig.MTU || back.HardwareAddr.String() != orig.HardwareAddr.String() {
		t.Errorf("dum0 back with MTU %d MAC %s, want %d %s", back.MTU, back.HardwareAddr, orig.MTU, orig.HardwareAddr)
	}
	// Idempotent: everything is back already.
	if err := Teardown(&stored, ctr.fd()); err != nil {
		t.Errorf("second Teardown: %v", err)
	}
}

// TestSetupErrors gives Setup input that only the kernel can refuse, or
// that fails half-way, and checks the error names the field and the
// device, and that both namespaces are left as they were.
func TestSetupErrors(t *testing.T) {
	requireRoot(t)
	t.Parallel()
	tests := []struct {
		name string
		spec Spec // HostNamespace is filled in
		want string
		is   error
	}{
		{
			name: "name longer than 15 bytes",
			spec: Spec{Veths: []Veth{{Host: Link{Name: "averyveryverylongname"}}}},
			want: `veths[0].host.name "averyveryverylongname": longer than 15 bytes`,
		},
		{
			name: "host name taken",
			spec: Spec{Veths: []Veth{{Host: Link{Name: "taken0"}}}},
			want: `veths[0].host.name "taken0": a device of that name already exists in the host namespace: file exists`,
			is:   unix.EEXIST,
		},
		{
			name: "container name taken",
			spec: Spec{Veths: []Veth{{Container: Link{Name: "lo"}}}},
			want: `veths[0].container.name "lo": a device of that name already exists in the container namespace: file exists`,
			is:   unix.EEXIST,
		},
		{
			name: "malformed MAC",
			spec: Spec{Veths: []Veth{{Container: Link{Name: "eth0", MAC: "02:00:00:00:00:0g"}}}},
			want: `veths[0].container.mac "02:00:00:00:00:0g": not an Ethernet MAC address`,
		},
		{
			name: "malformed address",
			spec: Spec{Veths: []Veth{{Container: Link{Name: "eth0", Addresses: []string{"10.0.0.256/24"}}}}},
			want: `veths[0].container.addresses[0] "10.0.0.256/24": not an address with a prefix length (10.0.0.2/24, fd00::2/64)`,
		},
		{
			name: "malformed route",
			spec: Spec{Routes: []Route{{Destination: "10.0.0.0/33", Device: "lo"}}},
			want: `routes[0].destination "10.0.0.0/33": not a network (10.1.0.0/16, fd00:1::/64) or "default"`,
		},
		{
			name: "master not a bridge",
			spec: Spec{Veths: []Veth{{Host: Link{Master: "taken0"}}}},
			want: `veths[0].host.master "taken0": not a bridge`,
		},
		{
			name: "master missing",
			spec: Spec{Veths: []Veth{{Host: Link{Master: "br9"}}}},
			want: `veths[0].host.master "br9": no such device in the host namespace: no such device`,
			is:   unix.ENODEV,
		},
		{
			name: "host NIC missing",
			spec: Spec{HostNICs: []HostNIC{{Name: "nic9"}}},
			want: `hostNICs[0].name "nic9": no such device in the host namespace: no such device`,
			is:   unix.ENODEV,
		},
		{
			// Caught before the first change, although veths[0] is fine.
			name: "second veth taken",
			spec: Spec{Veths: []Veth{{Host: Link{Name: "ok0"}}, {Host: Link{Name: "taken0"}}}},
			want: `veths[1].host.name "taken0": a device of that name already exists in the host namespace: file exists`,
		},
		{
			// Fails in the kernel after the NIC moved and the veth was
			// made: both must be undone.
			name: "unreachable gateway",
			spec: Spec{
				HostNICs: []HostNIC{{Name: "taken0", Container: Link{Name: "eth1", MTU: 1400}}},
				Veths:    []Veth{{Host: Link{Master: "br0"}, Container: Link{Name: "eth0", Addresses: []string{"10.6.0.2/24"}}}},
				Routes:   []Route{{Destination: "default", Gateway: "203.0.113.1"}},
			},
			want: `routes[0] "0.0.0.0/0": add route: network is unreachable`,
			is:   unix.ENETUNREACH,
		},
		{
			name: "route device missing",
			spec: Spec{
				Veths:  []Veth{{Container: Link{Name: "eth0"}}},
				Routes: []Route{{Destination: "10.7.0.0/16", Device: "eth9"}},
			},
			want: `routes[0].device "eth9": no such device in the container namespace: no such device`,
			is:   unix.ENODEV,
		},
		{
			name: "source not configured",
			spec: Spec{
				Veths:  []Veth{{Container: Link{Name: "eth0", Addresses: []string{"10.6.0.2/24"}}}},
				Routes: []Route{{Destination: "10.7.0.0/16", Device: "eth0", Source: "10.6.0.3"}},
			},
			want: `routes[0] "10.7.0.0/16": add route: invalid argument`,
			is:   unix.EINVAL,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			host, ctr := newNS(t), newNS(t)
			host.add(t, bridge("br0"))
			host.addNIC(t, "taken0")
			hostBefore, ctrBefore := host.links(t), ctr.links(t)
			taken := host.link(t, "taken0").Attrs()
			s := tt.spec
			s.HostNamespace = host.path()
			st, err := Setup(&s, ctr.fd())
			if err == nil {
				Teardown(st, ctr.fd())
				t.Fatalf("Setup succeeded, want %s", tt.want)
			}
			var fe *FieldError
			if err.Error() != tt.want || !errors.As(err, &fe) {
				t.Errorf("got  %s (%T)\nwant %s", err, err, tt.want)
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("errors.Is(%v) fails", tt.is)
			}
			if got := host.links(t); !slices.Equal(got, hostBefore) {
				t.Errorf("host namespace: %v, was %v", got, hostBefore)
			}
			if got := ctr.links(t); !slices.Equal(got, ctrBefore) {
				t.Errorf("container namespace: %v, was %v", got, ctrBefore)
			}
			if back := host.link(t, "taken0").Attrs(); back.MTU != taken.MTU {
				t.Errorf("taken0 back with MTU %d, want %d", back.MTU, taken.MTU)
			}
		})
	}
}

// TestTeardownAfterInit covers a destroy that comes after the container's
// namespace is gone: the host end may still be there for a while (the
// kernel cleans namespaces asynchronously) and is deleted; a second call
// finds nothing and is fine.
func TestTeardownAfterInit(t *testing.T) {
	requireRoot(t)
	t.Parallel()
	host, ctr := newNS(t), newNS(t)
	s := &Spec{HostNamespace: host.path(), Veths: []Veth{{Host: Link{Name: "h0"}}, {}}}
	st, err := Setup(s, ctr.fd())
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Veths) != 2 || st.Veths[1].Host != s.Veths[1].Host.Name || st.Veths[1].Container != s.Veths[1].Container.Name {
		t.Errorf("state %+v does not name the generated ends of %+v", st.Veths, s.Veths)
	}
	ctr.h.Close()
	ctr.f.Close() // the namespace's last reference: the "init" died
	for range 2 {
		if err := Teardown(st, -1); err != nil {
			t.Fatal(err)
		}
		if got := host.links(t); !slices.Equal(got, []string{"lo"}) {
			t.Errorf("host namespace: %v, want only lo", got)
		}
	}
}

// TestTeardownMissingHostNamespace: a host namespace path that is gone is
// reported as fs.ErrNotExist, which libct may choose to ignore.
func TestTeardownMissingHostNamespace(t *testing.T) {
	requireRoot(t)
	err := Teardown(&State{HostNamespace: "/run/netns/libct-test-missing", Veths: []VethState{{"h0", "c0"}}}, -1)
	if !errors.Is(err, unix.ENOENT) {
		t.Errorf("got %v, want ENOENT", err)
	}
	if err := Teardown(&State{}, -1); err != nil {
		t.Errorf("empty state: %v", err)
	}
	if _, err := Setup(&Spec{}, -1); err == nil {
		t.Error("Setup without a container namespace succeeded")
	}
}

// TestCallerNamespace leaves HostNamespace empty: the host side is then
// the calling thread's namespace. The test runs Setup and Teardown from a
// thread it moved into its throwaway host namespace, so that "the
// caller's" is not the machine's.
func TestCallerNamespace(t *testing.T) {
	requireRoot(t)
	t.Parallel()
	host, ctr := newNS(t), newNS(t)
	host.addNIC(t, "dum0")
	before := host.links(t)
	s := &Spec{
		Veths:    []Veth{{Host: Link{Name: "h0", Addresses: []string{"10.8.0.1/24"}}, Container: Link{Name: "eth0", Addresses: []string{"10.8.0.2/24"}}}},
		HostNICs: []HostNIC{{Name: "dum0", Container: Link{Name: "eth1"}}},
	}
	var during []string
	var setupErr, teardownErr error
	done := make(chan struct{})
	go func() {
		defer close(done)
		runtime.LockOSThread()
		orig, err := netns.Get()
		if err != nil {
			setupErr = err
			runtime.UnlockOSThread()
			return
		}
		defer orig.Close()
		if err := netns.Set(netns.NsHandle(host.fd())); err != nil {
			setupErr = err
			runtime.UnlockOSThread()
			return
		}
		var st *State
		if st, setupErr = Setup(s, ctr.fd()); setupErr == nil {
			ls, _ := host.h.LinkList()
			for _, l := range ls {
				during = append(during, l.Attrs().Name)
			}
			teardownErr = Teardown(st, ctr.fd())
		}
		if err := netns.Set(orig); err != nil {
			return // stays locked: the runtime ends the thread
		}
		runtime.UnlockOSThread()
	}()
	<-done
	if setupErr != nil || teardownErr != nil {
		t.Fatalf("Setup: %v; Teardown: %v", setupErr, teardownErr)
	}
	slices.Sort(during)
	if !slices.Equal(during, []string{"h0", "lo"}) {
		t.Errorf("host namespace during: %v, want h0 and lo", during)
	}
	if got := host.links(t); !slices.Equal(got, before) {
		t.Errorf("host namespace after: %v, want %v", got, before)
	}
}

// TestManyContainers starts containers concurrently on one bridge, as a
// busy frontend does, and checks none of the calls left a thread in
// another namespace (TestMain checks that again for the whole suite).
func TestManyContainers(t *testing.T) {
	requireRoot(t)
	t.Parallel()
	host := newNS(t)
	host.add(t, bridge("br0"))
	const n = 8
	ctrs := make([]*testNS, n)
	for i := range ctrs {
		ctrs[i] = newNS(t)
	}
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i, c := range ctrs {
		wg.Go(func() {
			s := &Spec{
				HostNamespace: host.path(),
				Veths:         []Veth{{Host: Link{Master: "br0"}, Container: Link{Name: "eth0", Addresses: []string{fmt.Sprintf("10.10.0.%d/24", i+1)}}}},
			}
			st, err := Setup(s, c.fd())
			if err == nil {
				err = Teardown(st, c.fd())
			}
			errs[i] = err
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	if got := host.links(t); !slices.Equal(got, []string{"br0", "lo"}) {
		t.Errorf("host namespace: %v, want only br0 and lo", got)
	}
}

// BenchmarkSetup measures what a container start pays for its network: one
// veth pair with an address on each end and a default route, torn down
// again.
func BenchmarkSetup(b *testing.B) {
	requireRoot(b)
	host, ctr := newNS(b), newNS(b)
	for b.Loop() {
		s := &Spec{
			HostNamespace: host.path(),
			Veths:         []Veth{{Host: Link{Addresses: []string{"10.11.0.1/24"}}, Container: Link{Name: "eth0", Addresses: []string{"10.11.0.2/24"}}}},
			Routes:        []Route{{Destination: "default", Gateway: "10.11.0.1"}},
		}
		st, err := Setup(s, ctr.fd())
		if err != nil {
			b.Fatal(err)
		}
		if err := Teardown(st, ctr.fd()); err != nil {
			b.Fatal(err)
		}
	}
}
