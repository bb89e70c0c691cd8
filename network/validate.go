package network

import (
	"fmt"
	"net"
	"net/netip"
	"path/filepath"
	"strings"
	"unicode"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// Validate checks the spec without asking the kernel: names, MACs, MTUs,
// addresses and routes, and names used twice. Whether a device exists, and
// whether a master is a bridge, is checked by Setup before it changes
// anything. Veth ends may have no name yet (Generate names them). The
// error is a *FieldError.
func (s *Spec) Validate() error {
	_, err := s.compile()
	return err
}

// maxName is the longest device name the kernel takes (IFNAMSIZ - 1).
const maxName = unix.IFNAMSIZ - 1

// plan is a validated spec, parsed for Setup.
type plan struct {
	veths  []vethPlan
	nics   []nicPlan
	routes []routePlan
}

// linkPlan is a parsed Link; field is its path in the spec ("veths[0].host").
type linkPlan struct {
	field  string
	name   string
	mac    net.HardwareAddr
	mtu    int
	master string
	addrs  []*net.IPNet
}

type vethPlan struct {
	host, container linkPlan
	masterIndex     int // filled by Setup's checks
}

type nicPlan struct {
	field string // "hostNICs[0]"
	name  string // in the host namespace
	in    linkPlan
	link  netlink.Link // filled by Setup's checks
}

type routePlan struct {
	field  string
	route  netlink.Route // without the devices' indexes
	device string
	hops   []string // the device of each next hop, "" for none
}

// names tracks the names used in one scope (a namespace, or all veth
// ends), mapped to the first field that used them.
type names map[string]string

func (n names) add(field, name string) error {
	if name == "" {
		return nil
	}
	if first, ok := n[name]; ok {
		return fieldErr(field, name, "also the name of %s", first)
	}
	n[name] = field
	return nil
}

func (s *Spec) compile() (*plan, error) {
	if s.HostNamespace != "" && !filepath.IsAbs(s.HostNamespace) {
		return nil, fieldErr("hostNamespace", s.HostNamespace, "must be an absolute path")
	}
	p := &plan{}
	// Host-side and inside names live in different namespaces, but a veth
	// end's name must be unique across both, so that Peer and Remove
	// never have to guess which end a name means.
	host, inside, ends := names{}, names{}, names{}
	for i, v := range s.Veths {
		f := fmt.Sprintf("veths[%d]", i)
		h, err := parseLink(f+".host", &v.Host, true, true)
		if err != nil {
			return nil, err
		}
		c, err := parseLink(f+".container", &v.Container, true, false)
		if err != nil {
			return nil, err
		}
		for _, err := range []error{
			host.add(h.field+".name", h.name),
			inside.add(c.field+".name", c.name),
			ends.add(h.field+".name", h.name),
			ends.add(c.field+".name", c.name),
		} {
			if err != nil {
				return nil, err
			}
		}
		// An end without an MTU takes its peer's: a pair whose ends
		// disagree drops the bigger frames in one direction.
		if h.mtu == 0 {
			h.mtu = c.mtu
		}
		if c.mtu == 0 {
			c.mtu = h.mtu
		}
		p.veths = append(p.veths, vethPlan{host: h, container: c})
	}
	for i, n := range s.HostNICs {
		f := fmt.Sprintf("hostNICs[%d]", i)
		if err := checkName(f+".name", n.Name, false); err != nil {
			return nil, err
		}
		in, err := parseLink(f+".container", &n.Container, true, false)
		if err != nil {
			return nil, err
		}
		in.name = n.insideName()
		if err := host.add(f+".name", n.Name); err != nil {
			return nil, err
		}
		if err := inside.add(in.field+".name", in.name); err != nil {
			return nil, err
		}
		p.nics = append(p.nics, nicPlan{field: f, name: n.Name, in: in})
	}
	// A NIC arrives inside under its host name and is renamed after, and
	// goes back the other way: if that name were another NIC's inside
	// name, the two would collide on the way in or out.
	for i, a := range p.nics {
		for j, b := range p.nics {
			if i != j && a.name == b.in.name {
				return nil, fieldErr(a.field+".name", a.name, "also the inside name of %s; host NICs cannot swap names", b.in.field)
			}
		}
	}
	dests := map[netip.Prefix]string{}
	for i := range s.Routes {
		r, err := parseRoute(fmt.Sprintf("routes[%d]", i), &s.Routes[i])
		if err != nil {
			return nil, err
		}
		dst, _ := netip.AddrFromSlice(r.route.Dst.IP)
		ones, _ := r.route.Dst.Mask.Size()
		key := netip.PrefixFrom(dst.Unmap(), ones)
		if first, ok := dests[key]; ok {
			// The kernel keeps one route per destination in a table.
			return nil, fieldErr(r.field+".destination", s.Routes[i].Destination, "same destination as %s", first)
		}
		dests[key] = r.field
		p.routes = append(p.routes, r)
	}
	return p, nil
}

// checkName checks a device name as the kernel's dev_valid_name does.
func checkName(field, name string, optional bool) error {
	switch {
	case name == "":
		if optional {
			return nil
		}
		return fieldErr(field, "", "empty")
	case len(name) > maxName:
		return fieldErr(field, name, "longer than %d bytes", maxName)
	case name == "." || name == "..":
		return fieldErr(field, name, "not a device name")
	case strings.ContainsAny(name, "/:\x00"):
		return fieldErr(field, name, "contains '/', ':' or NUL")
	case strings.ContainsFunc(name, unicode.IsSpace):
		return fieldErr(field, name, "contains whitespace")
	}
	return nil
}

func parseLink(field string, l *Link, optionalName, masterOK bool) (linkPlan, error) {
	p := linkPlan{field: field, name: l.Name, mtu: l.MTU, master: l.Master}
	if err := checkName(field+".name", l.Name, optionalName); err != nil {
		return p, err
	}
	if l.MAC != "" {
		mac, err := net.ParseMAC(l.MAC)
		switch {
		case err != nil || len(mac) != 6:
			return p, fieldErr(field+".mac", l.MAC, "not an Ethernet MAC address")
		case mac[0]&1 != 0:
			return p, fieldErr(field+".mac", l.MAC, "a multicast address")
		case [6]byte(mac) == [6]byte{}:
			return p, fieldErr(field+".mac", l.MAC, "all zeros")
		}
		p.mac = mac
	}
	if l.MTU != 0 && (l.MTU < 68 || l.MTU > 65535) {
		return p, fieldErr(field+".mtu", fmt.Sprint(l.MTU), "out of range 68-65535")
	}
	if l.Master != "" {
		if !masterOK {
			return p, fieldErr(field+".master", l.Master, "only the host end of a veth can have a master")
		}
		if err := checkName(field+".master", l.Master, false); err != nil {
			return p, err
		}
	}
	seen := map[netip.Prefix]bool{}
	for i, a := range l.Addresses {
		f := fmt.Sprintf("%s.addresses[%d]", field, i)
		pfx, err := netip.ParsePrefix(a)
		if err != nil || pfx.Addr().Zone() != "" {
			return p, fieldErr(f, a, "not an address with a prefix length (10.0.0.2/24, fd00::2/64)")
		}
		ip := pfx.Addr()
		if ip.IsUnspecified() || ip.IsMulticast() {
			return p, fieldErr(f, a, "not a unicast address")
		}
		if seen[pfx] {
			return p, fieldErr(f, a, "listed twice")
		}
		seen[pfx] = true
		if ip.Is6() && !ip.Is4In6() && l.MTU != 0 && l.MTU < 1280 {
			// The kernel would silently turn IPv6 off on the device.
			return p, fieldErr(field+".mtu", fmt.Sprint(l.MTU), "IPv6 needs an MTU of 1280 or more")
		}
		p.addrs = append(p.addrs, &net.IPNet{IP: ip.AsSlice(), Mask: net.CIDRMask(pfx.Bits(), ip.BitLen())})
	}
	return p, nil
}

// family tracks the address family of one route's addresses.
type family struct {
	bits  int // 32 or 128, 0 while unknown
	field string
}

func (f *family) add(field, value string, a netip.Addr) error {
	if f.bits == 0 {
		f.bits, f.field = a.BitLen(), field
		return nil
	}
	if a.BitLen() != f.bits {
		return fieldErr(field, value, "not of the address family of %s", f.field)
	}
	return nil
}

func parseAddr(field, value string, fam *family) (net.IP, error) {
	a, err := netip.ParseAddr(value)
	if err != nil || a.Zone() != "" {
		return nil, fieldErr(field, value, "not an IP address")
	}
	if a.Is4In6() {
		// netlink would send it as IPv4 and mix families behind our back.
		return nil, fieldErr(field, value, "an IPv4-mapped IPv6 address")
	}
	if a.IsUnspecified() || a.IsMulticast() {
		return nil, fieldErr(field, value, "not a unicast address")
	}
	if err := fam.add(field, value, a); err != nil {
		return nil, err
	}
	return a.AsSlice(), nil
}

func parseRoute(field string, r *Route) (routePlan, error) {
	p := routePlan{field: field, device: r.Device}
	p.route.Protocol = unix.RTPROT_STATIC
	fam := &family{}
	var dst netip.Prefix
	switch r.Destination {
	case "":
		return p, fieldErr(field+".destination", "", "empty; use \"default\" for a default route")
	case "default":
	default:
		pfx, err := netip.ParsePrefix(r.Destination)
		if err != nil || pfx.Addr().Zone() != "" || pfx.Addr().Is4In6() {
			return p, fieldErr(field+".destination", r.Destination, "not a network (10.1.0.0/16, fd00:1::/64) or \"default\"")
		}
		if pfx != pfx.Masked() {
			return p, fieldErr(field+".destination", r.Destination, "has host bits set; the network is %s", pfx.Masked())
		}
		dst = pfx
		fam.add(field+".destination", r.Destination, pfx.Addr())
	}
	var err error
	if r.Source != "" {
		if p.route.Src, err = parseAddr(field+".source", r.Source, fam); err != nil {
			return p, err
		}
	}
	if err := checkName(field+".device", r.Device, true); err != nil {
		return p, err
	}
	if r.Gateway != "" {
		if p.route.Gw, err = parseAddr(field+".gateway", r.Gateway, fam); err != nil {
			return p, err
		}
	}
	if len(r.NextHops) > 0 {
		switch {
		case r.Gateway != "":
			return p, fieldErr(field+".gateway", r.Gateway, "excludes nextHops; give each hop its gateway")
		case r.Device != "":
			return p, fieldErr(field+".device", r.Device, "excludes nextHops; give each hop its device")
		}
	} else if r.Gateway == "" && r.Device == "" {
		return p, fieldErr(field, "", "needs a gateway, a device or next hops")
	}
	gateway := r.Gateway != ""
	for i, h := range r.NextHops {
		f := fmt.Sprintf("%s.nextHops[%d]", field, i)
		nh := &netlink.NexthopInfo{}
		if h.Gateway == "" && h.Device == "" {
			return p, fieldErr(f, "", "needs a gateway, a device or both")
		}
		if h.Gateway != "" {
			if nh.Gw, err = parseAddr(f+".gateway", h.Gateway, fam); err != nil {
				return p, err
			}
			gateway = true
		}
		if err := checkName(f+".device", h.Device, true); err != nil {
			return p, err
		}
		switch {
		case h.Weight < 0 || h.Weight > 256:
			return p, fieldErr(f+".weight", fmt.Sprint(h.Weight), "out of range 1-256")
		case h.Weight > 0:
			nh.Hops = h.Weight - 1 // the kernel counts from 0
		}
		p.route.MultiPath = append(p.route.MultiPath, nh)
		p.hops = append(p.hops, h.Device)
	}
	if !dst.IsValid() {
		if fam.bits == 0 {
			return p, fieldErr(field+".destination", r.Destination, "address family unknown without a gateway or source; write 0.0.0.0/0 or ::/0")
		}
		dst = netip.PrefixFrom(netip.IPv4Unspecified(), 0)
		if fam.bits == 128 {
			dst = netip.PrefixFrom(netip.IPv6Unspecified(), 0)
		}
	}
	p.route.Dst = &net.IPNet{IP: dst.Addr().AsSlice(), Mask: net.CIDRMask(dst.Bits(), dst.Addr().BitLen())}
	if !gateway && dst.Addr().Is4() {
		// A route without a router reaches its destination on the link
		// itself, which is what ip(8) assumes too.
		p.route.Scope = netlink.SCOPE_LINK
	}
	return p, nil
}
