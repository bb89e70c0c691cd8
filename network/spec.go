// Package network gives a container its network devices: veth pairs whose
// one end lives inside the container, host NICs moved in, their MAC, MTU,
// addresses and link state, and the routes inside the container.
//
// It is a leaf package: it knows nothing of sessions or containers. The
// caller (libct) holds the container's network namespace open, calls Setup
// after the container's init is cloned into it and before the program
// runs, persists the State that Setup returns, and calls Teardown with it
// when the container is destroyed.
//
// Every netlink request goes through a socket opened inside the namespace
// it acts on; the caller's threads never change namespace. Work in the
// container's namespace uses a socket made on a throwaway locked thread,
// which the runtime discards if it cannot be put back in its namespace.
package network

import (
	"encoding/hex"
	"fmt"
	"reflect"

	"golang.org/x/sys/unix"

	"github.com/libct/libct/internal/quote"
)

// Spec is a container's network: the devices and routes configured before
// its program runs.
type Spec struct {
	// HostNamespace is the path of the network namespace where the
	// host-side devices live: veth host ends, and host NICs before and
	// after the container (/run/netns/NAME, /proc/PID/ns/net). It must
	// mean the same namespace to every process that may tear the container
	// down. Empty: the namespace of the calling thread.
	HostNamespace string `json:"hostNamespace,omitempty"`
	// Veths are veth pairs made at Setup: the host end in HostNamespace,
	// the container end created straight inside the container.
	Veths []Veth `json:"veths,omitempty"`
	// HostNICs are existing devices of HostNamespace moved into the
	// container at Setup and returned by Teardown (libct's
	// CT_NET_HOSTNIC, OCI's netDevices).
	HostNICs []HostNIC `json:"hostNICs,omitempty"`
	// Routes are added inside the container once every device is up.
	Routes []Route `json:"routes,omitempty"`
}

// IsZero reports whether s is the zero Spec: no network of the
// container's own. encoding/json's omitzero asks it, and so does the
// generated codec of libct's stored config, which cannot compare a struct
// that holds slices.
func (s Spec) IsZero() bool { return reflect.ValueOf(s).IsZero() }

// Link is the settings of one network device. Links that Setup makes or
// moves are always brought up.
type Link struct {
	// Name is the device's name: at most 15 bytes, no '/', ':' or
	// whitespace, not "." or "..".
	Name string `json:"name,omitempty"`
	// MAC is an Ethernet unicast address ("02:42:ac:11:00:02"). Empty:
	// the kernel's (random for a veth).
	MAC string `json:"mac,omitempty"`
	// MTU is the device's MTU, 68 to 65535 (1280 or more with an IPv6
	// address). Zero: for a veth end, its peer's MTU, else the kernel's.
	MTU int `json:"mtu,omitempty"`
	// Master is a bridge of the host namespace that the device is
	// enslaved to. Only the host end of a veth can have one.
	Master string `json:"master,omitempty"`
	// Addresses are IPv4 and IPv6 addresses with their prefix length
	// ("10.0.0.2/24", "fd00::2/64"). IPv6 addresses skip duplicate
	// address detection, so that they are usable as soon as the
	// program starts.
	Addresses []string `json:"addresses,omitempty"`
}

// IsZero reports whether l is the zero Link, for omitzero (see
// Spec.IsZero).
func (l Link) IsZero() bool { return reflect.ValueOf(l).IsZero() }

// Veth is a veth pair (libct's CT_NET_VETH). An end without a name gets a
// generated one, unique and within the 15-byte limit; see Spec.Generate.
type Veth struct {
	// Host is the end left in the host namespace.
	Host Link `json:"host"`
	// Container is the end inside the container; it cannot have a Master.
	Container Link `json:"container"`
}

// HostNIC is a device of the host namespace moved into the container.
type HostNIC struct {
	// Name is the device's name in the host namespace.
	Name string `json:"name"`
	// Container is its settings inside. Container.Name renames it inside
	// (empty: it keeps Name); Container.Master must be empty.
	Container Link `json:"container,omitzero"`
}

// Route is a route of the container's main table.
type Route struct {
	// Destination is a network ("10.1.0.0/16", "fd00:1::/64") or
	// "default". A bare "default" takes the address family of Gateway,
	// Source or the next hops; write 0.0.0.0/0 or ::/0 when none of them
	// has an address.
	Destination string `json:"destination"`
	// Source is the preferred source address; it must be configured on a
	// device of the container.
	Source string `json:"source,omitempty"`
	// Device is the name of the outgoing device inside the container.
	Device string `json:"device,omitempty"`
	// Gateway is the next router's address.
	Gateway string `json:"gateway,omitempty"`
	// NextHops make a multipath route; they exclude Device and Gateway.
	NextHops []NextHop `json:"nextHops,omitempty"`
}

// NextHop is one path of a multipath route: a gateway, a device or both.
type NextHop struct {
	Gateway string `json:"gateway,omitempty"`
	Device  string `json:"device,omitempty"`
	// Weight is the share of the traffic this hop gets, 1 to 256
	// relative to the other hops. Zero means 1.
	Weight int `json:"weight,omitempty"`
}

// namePrefix starts every generated name, so that a leftover device is
// easy to trace back to libct.
const namePrefix = "lct"

// Generate names every veth end left without a name, with "lct" and 12
// random hex digits. Call it once before the spec is stored, so that the
// names are known to whoever tears the container down; Setup calls it too,
// and it never renames an end that has a name.
func (s *Spec) Generate() {
	for i := range s.Veths {
		v := &s.Veths[i]
		for _, l := range []*Link{&v.Host, &v.Container} {
			if l.Name == "" {
				l.Name = generateName()
			}
		}
	}
}

// generateName makes a random interface name. getrandom(2) serves: the
// name needs to be unique, not secret, and crypto/rand would link the
// whole FIPS module (a quarter of ct's size to page in at every start).
func generateName() string {
	var b [6]byte
	for n := 0; n < len(b); {
		m, err := unix.Getrandom(b[n:], 0)
		if err != nil && err != unix.EINTR {
			// As crypto/rand.Read, which cannot fail either: getrandom
			// without flags blocks until the pool is ready, and fails
			// only for a bad buffer.
			panic("libct: getrandom: " + err.Error())
		}
		n += max(m, 0)
	}
	return namePrefix + hex.EncodeToString(b[:])
}

// Peer returns the name of the other end of a veth of the spec: the host
// end's name for a container end's name and the container end's for the
// host end's (libct's net_dev_get_peer). Validate makes every veth end's
// name unique, so the answer is never ambiguous; generated names are known
// only after Generate.
func (s *Spec) Peer(name string) (string, bool) {
	for _, v := range s.Veths {
		switch name {
		case v.Container.Name:
			return v.Host.Name, true
		case v.Host.Name:
			return v.Container.Name, true
		}
	}
	return "", false
}

// Remove takes a device out of the spec before the container starts
// (libct's net_del): the veth pair that has an end named name, or the host
// NIC named name in the host namespace or inside. Routes through that
// device stay; Setup then fails on them. It reports whether it removed
// anything.
func (s *Spec) Remove(name string) bool {
	n := len(s.Veths) + len(s.HostNICs)
	s.Veths = deleteFunc(s.Veths, func(v Veth) bool {
		return v.Host.Name == name || v.Container.Name == name
	})
	s.HostNICs = deleteFunc(s.HostNICs, func(h HostNIC) bool {
		return h.Name == name || h.insideName() == name
	})
	return len(s.Veths)+len(s.HostNICs) != n
}

// deleteFunc is slices.DeleteFunc that leaves nil, not an empty slice, for
// JSON's omitempty.
func deleteFunc[T any](s []T, del func(T) bool) []T {
	var out []T
	for _, e := range s {
		if !del(e) {
			out = append(out, e)
		}
	}
	return out
}

// insideName is the NIC's name inside the container.
func (h *HostNIC) insideName() string {
	if h.Container.Name != "" {
		return h.Container.Name
	}
	return h.Name
}

// FieldError is the error of Validate, and of Setup when the trouble is
// with one device or route: it names the field and the value.
type FieldError struct {
	Field string // "veths[0].host.name", "routes[1].gateway"
	Value string // the offending value; empty when there is none
	Err   error  // the cause; a kernel error keeps its errno
}

// Error reads `field "value": cause`, or `field: cause` without a value.
func (e *FieldError) Error() string {
	if e.Value == "" {
		return e.Field + ": " + e.Err.Error()
	}
	return e.Field + " " + quote.Value(e.Value) + ": " + e.Err.Error()
}

// Unwrap returns the cause.
func (e *FieldError) Unwrap() error { return e.Err }

func fieldErr(field, value string, format string, args ...any) error {
	return &FieldError{Field: field, Value: value, Err: fmt.Errorf(format, args...)}
}
