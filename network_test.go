package libct_test

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"os/exec"
	"strconv"
	"strings"
	"testing"

	"github.com/libct/libct"
)

// hostNetns makes a throwaway network namespace that plays the host for
// the veth host ends, with a bridge br0 holding 10.77.0.1/24 and fd77::1.
// Traffic stays between it and the test's containers.
func hostNetns(t testing.TB) (name, path string) {
	t.Helper()
	b := make([]byte, 4)
	rand.Read(b)
	name = "libct-test-" + hex.EncodeToString(b)
	ipCmd(t, "netns", "add", name)
	t.Cleanup(func() { exec.Command("ip", "netns", "del", name).Run() })
	for _, args := range [][]string{
		{"link", "set", "lo", "up"},
		{"link", "add", "br0", "type", "bridge"},
		{"addr", "add", "10.77.0.1/24", "dev", "br0"},
		{"addr", "add", "fd77::1/64", "dev", "br0", "nodad"},
		{"addr", "add", "10.88.0.1/32", "dev", "lo"},
		{"link", "set", "br0", "up"},
	} {
		ipCmd(t, append([]string{"-n", name}, args...)...)
	}
	return name, "/run/netns/" + name
}

func ipCmd(t testing.TB, args ...string) string {
	t.Helper()
	out, err := exec.Command("ip", args...).CombinedOutput()
	if err != nil {
		t.Fatalf("ip %s: %v: %s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

func netConfig(t testing.TB, hostNS string, addrs ...string) *libct.Config {
	cfg := busybox(t)
	cfg.Namespaces |= libct.NewNet
	cfg.Network = libct.Network{
		HostNamespace: hostNS,
		Veths: []libct.Veth{{
			Host:      libct.Link{Master: "br0"},
			Container: libct.Link{Name: "eth0", Addresses: addrs},
		}},
	}
	return cfg
}

// TestNetworkBridge: two containers on a bridge in the test's host
// namespace ping each other over IPv4 and IPv6; a third with a default
// route reaches an address behind its gateway.
func TestNetworkBridge(t *testing.T) {
	s := newSession(t)
	nsName, hostNS := hostNetns(t)
	before := ipCmd(t, "-o", "link")

	peer, err := s.Create(uniqueName(t), netConfig(t, hostNS, "10.77.0.3/24", "fd77::3/64"))
	if err != nil {
		t.Fatal(err)
	}
	if err := peer.Spawn(&libct.Process{Args: []string{"sleep", "100"}}); err != nil {
		t.Fatal(err)
	}
	out := mustRun(t, s, netConfig(t, hostNS, "10.77.0.2/24", "fd77::2/64"),
		sh("ping -c1 -W3 10.77.0.3 >/dev/null && echo v4-ok; ping6 -c1 -W3 fd77::3 >/dev/null && echo v6-ok"))
	if !strings.Contains(out, "v4-ok") || !strings.Contains(out, "v6-ok") {
		t.Errorf("containers on one bridge:\n%s", out)
	}

	cfg := netConfig(t, hostNS, "10.77.0.4/24")
	cfg.Network.Routes = []libct.Route{{Destination: "default", Gateway: "10.77.0.1"}}
	out = mustRun(t, s, cfg, sh("ip route; ping -c1 -W3 10.88.0.1 >/dev/null && echo behind-gateway-ok"))
	if !strings.Contains(out, "default via 10.77.0.1 dev eth0") || !strings.Contains(out, "behind-gateway-ok") {
		t.Errorf("default route:\n%s", out)
	}

	if err := peer.Destroy(); err != nil {
		t.Fatal(err)
	}
	if links := ipCmd(t, "-n", nsName, "-o", "link"); strings.Contains(links, "lct") {
		t.Errorf("veth host ends left in the host namespace:\n%s", links)
	}
	if after := ipCmd(t, "-o", "link"); strings.Count(after, "\n") != strings.Count(before, "\n") {
		t.Errorf("the machine's devices changed:\nbefore %s\nafter %s", before, after)
	}
}

// TestNetworkReadBack: what the container reads of its devices and routes
// is what was configured, a multipath route with both next hops.
func TestNetworkReadBack(t *testing.T) {
	s := newSession(t)
	_, hostNS := hostNetns(t)
	cfg := busybox(t)
	cfg.Namespaces |= libct.NewNet
	cfg.Network = libct.Network{
		HostNamespace: hostNS,
		Veths: []libct.Veth{
			{Host: libct.Link{Master: "br0"}, Container: libct.Link{Name: "eth0", MAC: "02:00:00:00:77:02", MTU: 1400, Addresses: []string{"10.77.0.2/24", "10.77.1.2/24", "fd77::2/64"}}},
			{Host: libct.Link{Name: "lcttesthost1", Addresses: []string{"10.99.0.1/24"}}, Container: libct.Link{Name: "eth1", Addresses: []string{"10.99.0.2/24"}}},
		},
		Routes: []libct.Route{{Destination: "192.168.250.0/24", NextHops: []libct.NextHop{
			{Gateway: "10.77.0.1", Device: "eth0"}, {Gateway: "10.99.0.1", Device: "eth1"}}}},
	}
	c, err := s.Create(uniqueName(t), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Destroy()
	if peer, err := c.NetDevPeer("eth1"); err != nil || peer != "lcttesthost1" {
		t.Errorf("NetDevPeer(eth1) = %q, %v", peer, err)
	}
	r, w := pipe(t)
	if err := c.Spawn(&libct.Process{Args: []string{"/bin/sh", "-c", "ip -o link show eth0; ip -o addr show; exec sleep 100"}, Stdout: w, Stderr: w}); err != nil {
		t.Fatal(err)
	}
	w.Close()
	read := readUntil(r, "10.99.0.2/24")
	// busybox's ip does not print next hops: read the route through
	// netlink with the host's iproute2, in the container's namespace.
	pid, _ := c.Pid()
	route, err := exec.Command("nsenter", "-t", strconv.Itoa(pid), "-n", "ip", "route", "show", "192.168.250.0/24").CombinedOutput()
	if err != nil {
		t.Fatalf("nsenter: %v %s", err, route)
	}
	out := read + string(route)
	for _, want := range []string{
		"mtu 1400", "link/ether 02:00:00:00:77:02",
		"inet 10.77.0.2/24", "inet 10.77.1.2/24", "inet6 fd77::2/64", "inet 10.99.0.2/24",
		"nexthop via 10.77.0.1 dev eth0", "nexthop via 10.99.0.1 dev eth1",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %q in:\n%s", want, out)
		}
	}
}

// TestNetworkHostNIC: a device of the host namespace appears inside under
// its new name and comes back under its old one after Destroy.
func TestNetworkHostNIC(t *testing.T) {
	s := newSession(t)
	nsName, hostNS := hostNetns(t)
	ipCmd(t, "-n", nsName, "link", "add", "lcthostnic0", "type", "ifb")
	cfg := busybox(t)
	cfg.Namespaces |= libct.NewNet
	cfg.Network = libct.Network{HostNamespace: hostNS, HostNICs: []libct.HostNIC{
		{Name: "lcthostnic0", Container: libct.Link{Name: "moved0", Addresses: []string{"10.66.0.2/24"}}}}}
	c, err := s.Create(uniqueName(t), cfg)
	if err != nil {
		t.Fatal(err)
	}
	// A virtual device dies with the namespace it is in: the container
	// must live until Destroy returns it. The init itself looks at the
	// device, so that the test needs no Enter (and no enter stage).
	r, w := pipe(t)
	if err := c.Spawn(&libct.Process{Args: []string{"/bin/sh", "-c", "ip -o addr show moved0; echo shown; exec sleep 100"}, Stdout: w, Stderr: w}); err != nil {
		t.Fatal(err)
	}
	w.Close()
	if out := readUntil(r, "shown"); !strings.Contains(out, "10.66.0.2/24") {
		t.Fatalf("host NIC inside: %s", out)
	}
	if links := ipCmd(t, "-n", nsName, "-o", "link"); strings.Contains(links, "lcthostnic0") {
		t.Fatalf("host NIC still in the host namespace while inside:\n%s", links)
	}
	if err := c.Destroy(); err != nil {
		t.Fatal(err)
	}
	if links := ipCmd(t, "-n", nsName, "-o", "link"); !strings.Contains(links, "lcthostnic0") {
		t.Errorf("host NIC not back after Destroy:\n%s", links)
	}
}

func TestNetworkErrors(t *testing.T) {
	s := newSession(t)
	nsName, hostNS := hostNetns(t)
	ipCmd(t, "-n", nsName, "link", "add", "lcttaken0", "type", "ifb")
	ipCmd(t, "-n", nsName, "link", "add", "lctnotbr0", "type", "ifb")
	for _, tc := range []struct {
		name    string
		net     libct.Network
		atStart bool
		want    string
	}{
		{"name too long", libct.Network{Veths: []libct.Veth{{Container: libct.Link{Name: "averyveryverylongname"}}}}, false, `network.veths[0].container.name "averyveryverylongname"`},
		{"malformed MAC", libct.Network{Veths: []libct.Veth{{Container: libct.Link{MAC: "zz:00"}}}}, false, "network.veths[0].container.mac"},
		{"malformed address", libct.Network{Veths: []libct.Veth{{Container: libct.Link{Addresses: []string{"10.0.0.300/24"}}}}}, false, "network.veths[0].container.addresses[0]"},
		{"malformed route", libct.Network{Routes: []libct.Route{{Destination: "nowhere"}}}, false, "network.routes[0].destination"},
		{"name exists", libct.Network{Veths: []libct.Veth{{Host: libct.Link{Name: "lcttaken0"}}}}, true, "lcttaken0"},
		{"master not a bridge", libct.Network{Veths: []libct.Veth{{Host: libct.Link{Master: "lctnotbr0"}}}}, true, "lctnotbr0"},
		{"missing host NIC", libct.Network{HostNICs: []libct.HostNIC{{Name: "lctmissing0"}}}, true, "lctmissing0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := busybox(t)
			cfg.Namespaces |= libct.NewNet
			cfg.Network = tc.net
			cfg.Network.HostNamespace = hostNS
			before := ipCmd(t, "-n", nsName, "-o", "link")
			c, err := s.Create(uniqueName(t), cfg)
			if !tc.atStart {
				var ce *libct.ConfigError
				if !errors.As(err, &ce) || !strings.Contains(err.Error(), tc.want) {
					t.Fatalf("Create = %v; want a ConfigError naming %q", err, tc.want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer c.Destroy()
			err = c.Spawn(sh("true"))
			var se *libct.StartError
			if !errors.As(err, &se) || se.Step != "network" || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Spawn = %v; want a network StartError naming %q", err, tc.want)
			}
			if after := ipCmd(t, "-n", nsName, "-o", "link"); after != before {
				t.Errorf("devices changed:\nbefore %s\nafter %s", before, after)
			}
			expectState(t, c, libct.Stopped)
		})
	}
	c, err := s.Create(uniqueName(t), &libct.Config{Network: libct.Network{Veths: []libct.Veth{{}}}})
	if err == nil || !strings.Contains(err.Error(), "needs a network namespace") {
		t.Errorf("veth without a network namespace: %v, %v", c, err)
	}
}
