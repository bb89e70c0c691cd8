package network

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestValidate(t *testing.T) {
	// ends gives a veth with its two names, the rest zero.
	ends := func(host, ctr string) Veth { return Veth{Host: Link{Name: host}, Container: Link{Name: ctr}} }
	withCtr := func(l Link) Spec { return Spec{Veths: []Veth{{Container: l}}} }
	route := func(r Route) Spec { return Spec{Routes: []Route{r}} }

	tests := []struct {
		name string
		spec Spec
		want string // the whole message; "" for no error
	}{
		{name: "empty spec", spec: Spec{}},
		{
			name: "everything valid",
			spec: Spec{
				HostNamespace: "/run/netns/host",
				Veths: []Veth{{
					Host:      Link{Name: "lct-h0", MTU: 9000, Master: "br0", MAC: "02:00:00:00:00:01", Addresses: []string{"10.0.0.1/24"}},
					Container: Link{Name: "eth0", MAC: "02:00:00:00:00:02", Addresses: []string{"10.0.0.2/24", "fd00::2/64", "10.0.0.3/24"}},
				}},
				HostNICs: []HostNIC{{Name: "eth1", Container: Link{Name: "uplink", MTU: 1280, Addresses: []string{"fd01::1/64"}}}},
				Routes: []Route{
					{Destination: "default", Gateway: "10.0.0.1"},
					{Destination: "default", Gateway: "fd00::1", Source: "fd00::2"},
					{Destination: "10.8.0.0/16", Device: "eth0"},
					{Destination: "10.9.0.0/16", NextHops: []NextHop{{Gateway: "10.0.0.1", Weight: 256}, {Device: "uplink"}}},
					{Destination: "fd02::/64", Device: "uplink", Source: "fd01::1"},
				},
			},
		},
		// Generate names these later, and Setup calls Generate.
		{name: "veth names left to Generate", spec: Spec{Veths: []Veth{{}, {}}}},
		// A NIC's host name may be a veth's inside name: NICs move in and
		// are renamed before the veths are made, and go back after.
		{name: "NIC host name is a veth inside name", spec: Spec{Veths: []Veth{ends("h0", "eth0")}, HostNICs: []HostNIC{{Name: "eth0", Container: Link{Name: "eth1"}}}}},
		{name: "NIC keeps its name", spec: Spec{HostNICs: []HostNIC{{Name: "eth1"}}}},

		{name: "host namespace relative", spec: Spec{HostNamespace: "run/netns/x"}, want: `hostNamespace "run/netns/x": must be an absolute path`},

		// Names as the kernel's dev_valid_name takes them.
		{
			name: "host name longer than 15 bytes",
			spec: Spec{Veths: []Veth{ends("averyveryverylongname", "")}},
			want: `veths[0].host.name "averyveryverylongname": longer than 15 bytes`,
		},
		{name: "name of 15 bytes", spec: Spec{Veths: []Veth{ends("abcdefghijklmno", "")}}},
		{name: "name of 16 bytes", spec: withCtr(Link{Name: "abcdefghijklmnop"}), want: `veths[0].container.name "abcdefghijklmnop": longer than 15 bytes`},
		{name: "name with slash", spec: withCtr(Link{Name: "a/b"}), want: `veths[0].container.name "a/b": contains '/', ':' or NUL`},
		{name: "name with colon", spec: withCtr(Link{Name: "eth0:1"}), want: `veths[0].container.name "eth0:1": contains '/', ':' or NUL`},
		{name: "name with space", spec: withCtr(Link{Name: "a b"}), want: `veths[0].container.name "a b": contains whitespace`},
		{name: "name with tab", spec: withCtr(Link{Name: "a\tb"}), want: `veths[0].container.name "a\tb": contains whitespace`},
		{name: "name dot", spec: withCtr(Link{Name: "."}), want: `veths[0].container.name ".": not a device name`},
		{name: "name dotdot", spec: withCtr(Link{Name: ".."}), want: `veths[0].container.name "..": not a device name`},
		{name: "host NIC without name", spec: Spec{HostNICs: []HostNIC{{}}}, want: "hostNICs[0].name: empty"},
		{
			name: "host NIC new name too long",
			spec: Spec{HostNICs: []HostNIC{{Name: "eth1", Container: Link{Name: "averyveryverylongname"}}}},
			want: `hostNICs[0].container.name "averyveryverylongname": longer than 15 bytes`,
		},

		// Names used twice.
		{
			name: "two host ends of one name",
			spec: Spec{Veths: []Veth{ends("h0", "c0"), ends("h0", "c1")}},
			want: `veths[1].host.name "h0": also the name of veths[0].host.name`,
		},
		{
			name: "two container ends of one name",
			spec: Spec{Veths: []Veth{ends("h0", "eth0"), ends("h1", "eth0")}},
			want: `veths[1].container.name "eth0": also the name of veths[0].container.name`,
		},
		{
			// Legal for the kernel (two namespaces), refused so that Peer
			// and Remove never guess.
			name: "host end named as another container end",
			spec: Spec{Veths: []Veth{ends("h0", "c0"), ends("c0", "c1")}},
			want: `veths[1].host.name "c0": also the name of veths[0].container.name`,
		},
		{
			name: "NIC host name is a veth host name",
			spec: Spec{Veths: []Veth{ends("h0", "c0")}, HostNICs: []HostNIC{{Name: "h0", Container: Link{Name: "x"}}}},
			want: `hostNICs[0].name "h0": also the name of veths[0].host.name`,
		},
		{
			name: "NIC inside name is a veth container name",
			spec: Spec{Veths: []Veth{ends("h0", "eth0")}, HostNICs: []HostNIC{{Name: "eth0"}}},
			want: `hostNICs[0].container.name "eth0": also the name of veths[0].container.name`,
		},
		{
			// eth0 would arrive inside under a name eth1 already holds.
			name: "NICs swap names",
			spec: Spec{HostNICs: []HostNIC{{Name: "eth1", Container: Link{Name: "eth0"}}, {Name: "eth0", Container: Link{Name: "eth1"}}}},
			want: `hostNICs[0].name "eth1": also the inside name of hostNICs[1].container; host NICs cannot swap names`,
		},

		// Link settings.
		{name: "MAC malformed", spec: withCtr(Link{MAC: "02:00:00:00:00"}), want: `veths[0].container.mac "02:00:00:00:00": not an Ethernet MAC address`},
		{name: "MAC garbage", spec: withCtr(Link{MAC: "zz:00:00:00:00:01"}), want: `veths[0].container.mac "zz:00:00:00:00:01": not an Ethernet MAC address`},
		{
			name: "MAC of 8 bytes",
			spec: withCtr(Link{MAC: "02:00:00:00:00:00:00:01"}),
			want: `veths[0].container.mac "02:00:00:00:00:00:00:01": not an Ethernet MAC address`,
		},
		{name: "MAC multicast", spec: withCtr(Link{MAC: "01:00:5e:00:00:01"}), want: `veths[0].container.mac "01:00:5e:00:00:01": a multicast address`},
		{name: "MAC zero", spec: withCtr(Link{MAC: "00:00:00:00:00:00"}), want: `veths[0].container.mac "00:00:00:00:00:00": all zeros`},
		{name: "MTU too small", spec: withCtr(Link{MTU: 67}), want: `veths[0].container.mtu "67": out of range 68-65535`},
		{name: "MTU too big", spec: withCtr(Link{MTU: 65536}), want: `veths[0].container.mtu "65536": out of range 68-65535`},
		{name: "MTU negative", spec: withCtr(Link{MTU: -1}), want: `veths[0].container.mtu "-1": out of range 68-65535`},
		{
			name: "MTU too small for IPv6",
			spec: withCtr(Link{MTU: 1000, Addresses: []string{"10.0.0.1/24", "fd00::1/64"}}),
			want: `veths[0].container.mtu "1000": IPv6 needs an MTU of 1280 or more`,
		},
		{name: "MTU small for IPv4 only", spec: withCtr(Link{MTU: 576, Addresses: []string{"10.0.0.1/24"}})},
		{name: "master inside", spec: withCtr(Link{Master: "br0"}), want: `veths[0].container.master "br0": only the host end of a veth can have a master`},
		{
			name: "master on a host NIC",
			spec: Spec{HostNICs: []HostNIC{{Name: "eth1", Container: Link{Master: "br0"}}}},
			want: `hostNICs[0].container.master "br0": only the host end of a veth can have a master`,
		},
		{
			name: "master name too long",
			spec: Spec{Veths: []Veth{{Host: Link{Master: "averyveryverylongname"}}}},
			want: `veths[0].host.master "averyveryverylongname": longer than 15 bytes`,
		},
		{
			name: "address without prefix",
			spec: withCtr(Link{Addresses: []string{"10.0.0.1"}}),
			want: `veths[0].container.addresses[0] "10.0.0.1": not an address with a prefix length (10.0.0.2/24, fd00::2/64)`,
		},
		{
			name: "address out of range",
			spec: withCtr(Link{Addresses: []string{"10.0.0.1/24", "10.0.0.300/24"}}),
			want: `veths[0].container.addresses[1] "10.0.0.300/24": not an address with a prefix length (10.0.0.2/24, fd00::2/64)`,
		},
		{
			name: "address prefix too long",
			spec: withCtr(Link{Addresses: []string{"fd00::1/129"}}),
			want: `veths[0].container.addresses[0] "fd00::1/129": not an address with a prefix length (10.0.0.2/24, fd00::2/64)`,
		},
		{
			name: "address with zone",
			spec: withCtr(Link{Addresses: []string{"fe80::1%eth0/64"}}),
			want: `veths[0].container.addresses[0] "fe80::1%eth0/64": not an address with a prefix length (10.0.0.2/24, fd00::2/64)`,
		},
		{
			name: "address multicast",
			spec: withCtr(Link{Addresses: []string{"224.0.0.1/4"}}),
			want: `veths[0].container.addresses[0] "224.0.0.1/4": not a unicast address`,
		},
		{
			name: "address twice",
			spec: withCtr(Link{Addresses: []string{"10.0.0.1/24", "10.0.0.1/24"}}),
			want: `veths[0].container.addresses[1] "10.0.0.1/24": listed twice`,
		},

		// Routes.
		{name: "route without destination", spec: route(Route{Gateway: "10.0.0.1"}), want: `routes[0].destination: empty; use "default" for a default route`},
		{
			name: "route destination malformed",
			spec: route(Route{Destination: "10.0.0/8", Device: "eth0"}),
			want: `routes[0].destination "10.0.0/8": not a network (10.1.0.0/16, fd00:1::/64) or "default"`,
		},
		{
			name: "route destination with host bits",
			spec: route(Route{Destination: "10.0.0.1/24", Device: "eth0"}),
			want: `routes[0].destination "10.0.0.1/24": has host bits set; the network is 10.0.0.0/24`,
		},
		{name: "route to nowhere", spec: route(Route{Destination: "10.0.0.0/24"}), want: "routes[0]: needs a gateway, a device or next hops"},
		{name: "route gateway malformed", spec: route(Route{Destination: "default", Gateway: "10.0.0"}), want: `routes[0].gateway "10.0.0": not an IP address`},
		{name: "route gateway multicast", spec: route(Route{Destination: "default", Gateway: "ff02::1"}), want: `routes[0].gateway "ff02::1": not a unicast address`},
		{
			name: "route gateway IPv4-mapped",
			spec: route(Route{Destination: "::/0", Gateway: "::ffff:10.0.0.1"}),
			want: `routes[0].gateway "::ffff:10.0.0.1": an IPv4-mapped IPv6 address`,
		},
		{name: "route source malformed", spec: route(Route{Destination: "default", Source: "x", Device: "eth0"}), want: `routes[0].source "x": not an IP address`},
		{
			name: "route device too long",
			spec: route(Route{Destination: "10.0.0.0/8", Device: "averyveryverylongname"}),
			want: `routes[0].device "averyveryverylongname": longer than 15 bytes`,
		},
		{
			name: "route families mixed",
			spec: route(Route{Destination: "10.0.0.0/8", Gateway: "fd00::1"}),
			want: `routes[0].gateway "fd00::1": not of the address family of routes[0].destination`,
		},
		{
			name: "default route without family",
			spec: route(Route{Destination: "default", Device: "eth0"}),
			want: `routes[0].destination "default": address family unknown without a gateway or source; write 0.0.0.0/0 or ::/0`,
		},
		{
			name: "two default routes of one family",
			spec: Spec{Routes: []Route{{Destination: "default", Gateway: "10.0.0.1"}, {Destination: "0.0.0.0/0", Gateway: "10.0.0.2"}}},
			want: `routes[1].destination "0.0.0.0/0": same destination as routes[0]`,
		},
		{
			name: "next hops and gateway",
			spec: route(Route{Destination: "default", Gateway: "10.0.0.1", NextHops: []NextHop{{Gateway: "10.0.0.2"}}}),
			want: `routes[0].gateway "10.0.0.1": excludes nextHops; give each hop its gateway`,
		},
		{
			name: "next hops and device",
			spec: route(Route{Destination: "10.0.0.0/8", Device: "eth0", NextHops: []NextHop{{Gateway: "10.0.0.2"}}}),
			want: `routes[0].device "eth0": excludes nextHops; give each hop its device`,
		},
		{
			name: "empty next hop",
			spec: route(Route{Destination: "10.0.0.0/8", NextHops: []NextHop{{Device: "eth0"}, {}}}),
			want: "routes[0].nextHops[1]: needs a gateway, a device or both",
		},
		{
			name: "next hop weight too big",
			spec: route(Route{Destination: "10.0.0.0/8", NextHops: []NextHop{{Device: "eth0", Weight: 257}}}),
			want: `routes[0].nextHops[0].weight "257": out of range 1-256`,
		},
		{
			name: "next hops of two families",
			spec: route(Route{Destination: "default", NextHops: []NextHop{{Gateway: "10.0.0.1"}, {Gateway: "fd00::1"}}}),
			want: `routes[0].nextHops[1].gateway "fd00::1": not of the address family of routes[0].nextHops[0].gateway`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.spec.Validate()
			got := ""
			if err != nil {
				got = err.Error()
				var fe *FieldError
				if !errors.As(err, &fe) {
					t.Errorf("%T is not a *FieldError", err)
				}
			}
			if got != tt.want {
				t.Errorf("got  %s\nwant %s", got, tt.want)
			}
		})
	}
}

// TestCompileRoutes checks what Setup will send for routes: the default
// route takes its family from the gateway, a route without a gateway gets
// the link scope, weights count from 0 as the kernel's do.
func TestCompileRoutes(t *testing.T) {
	s := Spec{Routes: []Route{
		{Destination: "default", Gateway: "fd00::1"},
		{Destination: "default", Source: "10.0.0.2", Device: "eth0"},
		{Destination: "10.9.0.0/16", NextHops: []NextHop{{Gateway: "10.0.0.1", Weight: 3}, {Device: "eth1"}}},
	}}
	p, err := s.compile()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name  string
		got   any
		want  any
		route int
	}{
		{"IPv6 default destination", p.routes[0].route.Dst.String(), "::/0", 0},
		{"IPv6 default scope", int(p.routes[0].route.Scope), 0, 0},
		{"IPv4 default from source", p.routes[1].route.Dst.String(), "0.0.0.0/0", 1},
		{"device route scope link", int(p.routes[1].route.Scope), 253, 1},
		{"hop weight", p.routes[2].route.MultiPath[0].Hops, 2, 2},
		{"hop default weight", p.routes[2].route.MultiPath[1].Hops, 0, 2},
		{"hop devices", p.routes[2].hops, []string{"", "eth1"}, 2},
	} {
		if !reflect.DeepEqual(c.got, c.want) {
			t.Errorf("%s: routes[%d]: got %v, want %v", c.name, c.route, c.got, c.want)
		}
	}
}

func TestGenerate(t *testing.T) {
	s := Spec{Veths: []Veth{{}, {Host: Link{Name: "keep-h"}}, {Container: Link{Name: "keep-c"}}}}
	s.Generate()
	seen := map[string]bool{}
	for i, v := range s.Veths {
		for _, name := range []string{v.Host.Name, v.Container.Name} {
			// Unique, within the kernel's limit, and traceable to libct.
			if len(name) == 0 || len(name) > maxName || seen[name] {
				t.Errorf("veths[%d]: bad or repeated name %q", i, name)
			}
			seen[name] = true
		}
	}
	if s.Veths[1].Host.Name != "keep-h" || s.Veths[2].Container.Name != "keep-c" {
		t.Errorf("Generate renamed a named end: %+v", s.Veths)
	}
	if !strings.HasPrefix(s.Veths[0].Host.Name, namePrefix) || len(s.Veths[0].Host.Name) != maxName {
		t.Errorf("generated name %q: want %s and 12 hex digits", s.Veths[0].Host.Name, namePrefix)
	}
	// Generating again changes nothing: names are stored after the first.
	before := s.Veths[0]
	s.Generate()
	if !reflect.DeepEqual(s.Veths[0], before) {
		t.Errorf("second Generate changed %+v into %+v", before, s.Veths[0])
	}
	if err := s.Validate(); err != nil {
		t.Error(err)
	}
}

func TestPeerAndRemove(t *testing.T) {
	spec := func() Spec {
		return Spec{
			Veths:    []Veth{{Host: Link{Name: "h0"}, Container: Link{Name: "eth0"}}, {Host: Link{Name: "h1"}, Container: Link{Name: "eth1"}}},
			HostNICs: []HostNIC{{Name: "nic0", Container: Link{Name: "eth2"}}, {Name: "nic1"}},
		}
	}
	peers := []struct {
		name, peer string
		ok         bool
	}{
		{"eth0", "h0", true},
		{"h0", "eth0", true},
		{"h1", "eth1", true},
		{"eth1", "h1", true},
		{"nic0", "", false}, // a host NIC has no peer
		{"nope", "", false},
	}
	for _, c := range peers {
		s := spec()
		if peer, ok := s.Peer(c.name); peer != c.peer || ok != c.ok {
			t.Errorf("Peer(%q) = %q, %v; want %q, %v", c.name, peer, ok, c.peer, c.ok)
		}
	}

	removes := []struct {
		name     string
		ok       bool
		veths    int
		hostNICs int
	}{
		{"eth0", true, 1, 2}, // by the container end
		{"h1", true, 1, 2},   // by the host end
		{"nic0", true, 2, 1}, // a NIC by its host name
		{"eth2", true, 2, 1}, // a NIC by its inside name
		{"nic1", true, 2, 1},
		{"nope", false, 2, 2},
	}
	for _, c := range removes {
		s := spec()
		ok := s.Remove(c.name)
		if ok != c.ok || len(s.Veths) != c.veths || len(s.HostNICs) != c.hostNICs {
			t.Errorf("Remove(%q) = %v leaving %d veths, %d NICs; want %v, %d, %d", c.name, ok, len(s.Veths), len(s.HostNICs), c.ok, c.veths, c.hostNICs)
		}
		if _, still := s.Peer(c.name); still {
			t.Errorf("Remove(%q): Peer still finds it", c.name)
		}
	}
}

// TestJSON checks that Spec and State survive libct's config and state
// files, and that empty parts stay out of them.
func TestJSON(t *testing.T) {
	s := Spec{
		HostNamespace: "/run/netns/h",
		Veths:         []Veth{{Host: Link{Name: "h0", Master: "br0"}, Container: Link{Name: "eth0", MTU: 1400, Addresses: []string{"10.0.0.2/24"}}}},
		HostNICs:      []HostNIC{{Name: "nic0"}},
		Routes:        []Route{{Destination: "default", NextHops: []NextHop{{Gateway: "10.0.0.1", Weight: 2}}}},
	}
	st := State{HostNamespace: "/run/netns/h", Veths: []VethState{{Host: "h0", Container: "eth0"}}, HostNICs: []MovedNIC{{Original: "nic0", Inside: "eth1", MTU: 1500}}}
	for _, c := range []struct {
		name string
		v    any
		into any
		want string
	}{
		{
			"spec", &s, &Spec{},
			`{"hostNamespace":"/run/netns/h","veths":[{"host":{"name":"h0","master":"br0"},"container":{"name":"eth0","mtu":1400,"addresses":["10.0.0.2/24"]}}],` +
				`"hostNICs":[{"name":"nic0"}],"routes":[{"destination":"default","nextHops":[{"gateway":"10.0.0.1","weight":2}]}]}`,
		},
		{
			"state", &st, &State{},
			`{"hostNamespace":"/run/netns/h","veths":[{"host":"h0","container":"eth0"}],"hostNICs":[{"original":"nic0","inside":"eth1","mtu":1500}]}`,
		},
		{"empty spec", &Spec{}, &Spec{}, `{}`},
	} {
		b, err := json.Marshal(c.v)
		if err != nil {
			t.Fatal(err)
		}
		if string(b) != c.want {
			t.Errorf("%s: got  %s\nwant %s", c.name, b, c.want)
		}
		if err := json.Unmarshal(b, c.into); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(c.into, c.v) {
			t.Errorf("%s: round trip gives %+v, want %+v", c.name, c.into, c.v)
		}
	}
}
