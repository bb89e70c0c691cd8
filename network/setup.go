package network

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"strings"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

// State records what Setup made, for Teardown. It is plain data: libct
// stores it as JSON so that another process can tear the container down.
type State struct {
	// HostNamespace is Spec.HostNamespace.
	HostNamespace string `json:"hostNamespace,omitempty"`
	// Veths are the pairs made, by their ends' names.
	Veths []VethState `json:"veths,omitempty"`
	// HostNICs are the host NICs moved into the container.
	HostNICs []MovedNIC `json:"hostNICs,omitempty"`
}

// VethState names the two ends of a veth pair that Setup made.
type VethState struct {
	Host      string `json:"host"`
	Container string `json:"container"`
}

// MovedNIC is a host NIC that Setup moved into the container.
type MovedNIC struct {
	Original string `json:"original"` // its name in the host namespace
	Inside   string `json:"inside"`   // its name in the container
	// MTU and MAC are the host's values, restored by Teardown, when
	// Setup changed them.
	MTU int    `json:"mtu,omitempty"`
	MAC string `json:"mac,omitempty"`
}

// Setup configures the container's network from outside it, through the
// open network namespace file containerNS (/proc/PID/ns/net of the
// container's init, new or joined). It runs in the parent after the init
// is in its namespace and before the program runs, and names veth ends
// left unnamed in s first (see Generate).
//
// Before it changes anything it checks what Validate cannot: that no
// device to be made has a name already taken, in the host namespace or the
// container's; that every master is a bridge of the host namespace; that
// every host NIC exists. Then, in order:
//
//  1. host NICs are moved into the container, renamed, and given their
//     MAC, MTU, addresses, and brought up;
//  2. veth pairs are created in the host namespace with the container end
//     made straight inside the container (never visible in the host
//     namespace), with MACs and MTUs; the host end is enslaved to its
//     master; both ends get their addresses and are brought up;
//  3. the loopback device is brought up;
//  4. the routes are added, through the devices' names inside.
//
// On error Setup undoes what it did (veth pairs deleted, host NICs moved
// back) and returns the error, a *FieldError naming the field and device
// where one is to blame. On success it returns what to give Teardown.
func Setup(s *Spec, containerNS int) (*State, error) {
	return SetupRecorded(s, containerNS, nil)
}

// SetupRecorded is Setup that first hands record what it is about to
// make, once its checks passed and before it changes anything, so that a
// caller that may be killed in between can keep it on record: Teardown of
// that planned State is safe whatever Setup got to (a device not made yet
// is no error, and no name in it belonged to another device at the
// checks). An error from record stops Setup before any change.
func SetupRecorded(s *Spec, containerNS int, record func(planned *State) error) (*State, error) {
	if containerNS < 0 {
		return nil, errors.New("network setup: no container namespace")
	}
	s.Generate()
	p, err := s.compile()
	if err != nil {
		return nil, err
	}
	e, err := open(s.HostNamespace, containerNS)
	if err != nil {
		return nil, err
	}
	defer e.close()
	if err := e.check(p); err != nil {
		return nil, err
	}
	if record != nil {
		if err := record(p.planned(s.HostNamespace)); err != nil {
			return nil, err
		}
	}
	st := &State{HostNamespace: s.HostNamespace}
	if err := e.setup(p, st); err != nil {
		if uerr := e.teardown(st); uerr != nil {
			err = fmt.Errorf("%w; undo: %s", err, strings.ReplaceAll(uerr.Error(), "\n", "; "))
		}
		return nil, err
	}
	return st, nil
}

// Teardown undoes Setup: it moves the host NICs back to the host
// namespace under their original names (with the MTU and MAC they had
// there; down and without addresses, as every move across namespaces
// leaves a device) and deletes the veth pairs. libct calls it on destroy,
// before the container's init is killed, with the container's namespace
// still open. It tries every device even after an error, and a device
// already gone is no error, so it can be called again.
//
// With containerNS negative (the namespace is gone with its last process)
// it only deletes the veth host ends that remain: the kernel destroys a
// veth pair with its namespace, but does so asynchronously. Host NICs
// cannot be returned then: the kernel destroys virtual ones (dummy, veth,
// macvlan...) with the namespace and moves physical ones to the initial
// namespace under their inside names; Teardown leaves those alone.
//
// When the host namespace path no longer exists, the error wraps
// fs.ErrNotExist: the host ends are unreachable, and gone if the namespace
// is.
//
// Routes are not recorded: they go with their devices. In a joined
// namespace that outlives the container, routes through devices that were
// already there, and the loopback's state, remain.
func Teardown(st *State, containerNS int) error {
	if st == nil || len(st.Veths)+len(st.HostNICs) == 0 {
		return nil
	}
	if len(st.HostNICs) == 0 {
		containerNS = -1 // no need to open a socket inside
	}
	e, err := open(st.HostNamespace, containerNS)
	if err != nil {
		return err
	}
	defer e.close()
	return e.teardown(st)
}

// env is the two sides Setup and Teardown work on.
type env struct {
	hostPath string
	// hostNS is the host namespace, to move host NICs back; -1 until
	// needed when hostPath is empty.
	hostNS netns.NsHandle
	host   *netlink.Handle
	// containerNS is the caller's; inside is nil when it is negative.
	containerNS int
	inside      *netlink.Handle
	// index caches the indexes of the devices inside, by name.
	index map[string]int
}

func open(hostPath string, containerNS int) (e *env, err error) {
	e = &env{hostPath: hostPath, hostNS: -1, containerNS: containerNS, index: map[string]int{}}
	defer func() {
		if err != nil {
			e.close()
		}
	}()
	if hostPath == "" {
		e.host, err = handleAt(-1)
	} else {
		if e.hostNS, err = netns.GetFromPath(hostPath); err != nil {
			return e, &FieldError{Field: "hostNamespace", Value: hostPath, Err: err}
		}
		e.host, err = handleAt(int(e.hostNS))
	}
	if err != nil {
		return e, fmt.Errorf("host namespace: netlink: %w", err)
	}
	if containerNS >= 0 {
		if e.inside, err = handleAt(containerNS); err != nil {
			return e, fmt.Errorf("container namespace: netlink: %w", err)
		}
	}
	return e, nil
}

func (e *env) close() {
	if e.host != nil {
		e.host.Close()
	}
	if e.inside != nil {
		e.inside.Close()
	}
	if e.hostNS >= 0 {
		e.hostNS.Close()
	}
}

// hostFD returns the host namespace's file, opening the calling thread's
// when the spec names none.
func (e *env) hostFD() (int, error) {
	if e.hostNS < 0 {
		ns, err := netns.Get()
		if err != nil {
			return -1, fmt.Errorf("open the host network namespace: %w", err)
		}
		e.hostNS = ns
	}
	return int(e.hostNS), nil
}

func notFound(err error) bool {
	var nf netlink.LinkNotFoundError
	return errors.As(err, &nf) || errors.Is(err, unix.ENODEV)
}

// absent checks that no device called name exists on h's side.
func absent(h *netlink.Handle, side, field, name string) error {
	_, err := h.LinkByName(name)
	switch {
	case err == nil:
		return &FieldError{Field: field, Value: name, Err: fmt.Errorf("a device of that name already exists in the %s namespace: %w", side, unix.EEXIST)}
	case notFound(err):
		return nil
	}
	return fieldErr(field, name, "look up in the %s namespace: %w", side, err)
}

// find looks a device up by name, with errors that say where it was
// missing.
func find(h *netlink.Handle, side, field, name string) (netlink.Link, error) {
	l, err := h.LinkByName(name)
	switch {
	case err == nil:
		return l, nil
	case notFound(err):
		return nil, &FieldError{Field: field, Value: name, Err: fmt.Errorf("no such device in the %s namespace: %w", side, unix.ENODEV)}
	}
	return nil, fieldErr(field, name, "look up in the %s namespace: %w", side, err)
}

// check verifies what only the kernel knows, before anything changes.
// It fills the plan's master indexes and host NIC links.
func (e *env) check(p *plan) error {
	for i := range p.nics {
		n := &p.nics[i]
		l, err := find(e.host, "host", n.field+".name", n.name)
		if err != nil {
			return err
		}
		if l.Attrs().Flags&net.FlagLoopback != 0 {
			return fieldErr(n.field+".name", n.name, "a loopback device cannot change namespace")
		}
		n.link = l
		// The NIC arrives under its host name and is renamed inside.
		if err := absent(e.inside, "container", n.field+".name", n.name); err != nil {
			return err
		}
		if n.in.name != n.name {
			if err := absent(e.inside, "container", n.in.field+".name", n.in.name); err != nil {
				return err
			}
		}
	}
	for i := range p.veths {
		v := &p.veths[i]
		if err := absent(e.host, "host", v.host.field+".name", v.host.name); err != nil {
			return err
		}
		if err := absent(e.inside, "container", v.container.field+".name", v.container.name); err != nil {
			return err
		}
		if v.host.master == "" {
			continue
		}
		m, err := find(e.host, "host", v.host.field+".master", v.host.master)
		if err != nil {
			return err
		}
		if m.Type() != "bridge" {
			return fieldErr(v.host.field+".master", v.host.master, "not a bridge")
		}
		v.masterIndex = m.Attrs().Index
	}
	return nil
}

// setup changes the namespaces, recording in st what must be undone.
func (e *env) setup(p *plan, st *State) error {
	for i := range p.nics {
		if err := e.moveNIC(&p.nics[i], st); err != nil {
			return err
		}
	}
	for i := range p.veths {
		if err := e.addVeth(&p.veths[i], st); err != nil {
			return err
		}
	}
	lo, err := e.inside.LinkByName("lo")
	if err == nil {
		err = e.inside.LinkSetUp(lo)
	}
	if err != nil {
		return fmt.Errorf("loopback: %w", err)
	}
	for i := range p.routes {
		if err := e.addRoute(&p.routes[i]); err != nil {
			return err
		}
	}
	return nil
}

// planned is the State Setup makes of p, once its checks filled it in:
// every veth pair, and every host NIC under its final name inside.
func (p *plan) planned(hostNS string) *State {
	st := &State{HostNamespace: hostNS}
	for _, v := range p.veths {
		st.Veths = append(st.Veths, VethState{Host: v.host.name, Container: v.container.name})
	}
	for i := range p.nics {
		m := p.nics[i].moved()
		m.Inside = p.nics[i].in.name
		st.HostNICs = append(st.HostNICs, m)
	}
	return st
}

// moved is what Teardown needs to return the NIC: its name and the MTU
// and MAC it had, when Setup changes them. Its name inside is still the
// host's.
func (n *nicPlan) moved() MovedNIC {
	a := n.link.Attrs()
	m := MovedNIC{Original: n.name, Inside: n.name}
	if n.in.mtu != 0 && n.in.mtu != a.MTU {
		m.MTU = a.MTU
	}
	if n.in.mac != nil && !bytes.Equal(n.in.mac, a.HardwareAddr) {
		m.MAC = a.HardwareAddr.String()
	}
	return m
}

func (e *env) moveNIC(n *nicPlan, st *State) error {
	m := n.moved()
	if err := e.host.LinkSetNsFd(n.link, e.containerNS); err != nil {
		return fieldErr(n.field+".name", n.name, "move into the container: %w", err)
	}
	st.HostNICs = append(st.HostNICs, m)
	moved := &st.HostNICs[len(st.HostNICs)-1]
	// The index may change on the way; the name cannot (a taken name
	// fails the move), so the device is found again by name.
	l, err := find(e.inside, "container", n.field+".name", n.name)
	if err != nil {
		return err
	}
	if n.in.name != n.name {
		if err := e.inside.LinkSetName(l, n.in.name); err != nil {
			return fieldErr(n.in.field+".name", n.in.name, "rename %s inside: %w", n.name, err)
		}
		moved.Inside = n.in.name
	}
	if n.in.mac != nil {
		if err := e.inside.LinkSetHardwareAddr(l, n.in.mac); err != nil {
			return fieldErr(n.in.field+".mac", n.in.mac.String(), "set on %s: %w", n.in.name, err)
		}
	}
	if n.in.mtu != 0 {
		if err := e.inside.LinkSetMTU(l, n.in.mtu); err != nil {
			return fieldErr(n.in.field+".mtu", fmt.Sprint(n.in.mtu), "set on %s: %w", n.in.name, err)
		}
	}
	return e.finish(e.inside, l, &n.in)
}

func (e *env) addVeth(v *vethPlan, st *State) error {
	attrs := netlink.NewLinkAttrs()
	attrs.Name = v.host.name
	attrs.HardwareAddr = v.host.mac
	attrs.MTU = v.host.mtu
	veth := &netlink.Veth{
		LinkAttrs:        attrs,
		PeerName:         v.container.name,
		PeerHardwareAddr: v.container.mac,
		PeerMTU:          uint32(v.container.mtu),
		PeerNamespace:    netlink.NsFd(e.containerNS),
	}
	if err := e.host.LinkAdd(veth); err != nil {
		return fieldErr(v.host.field+".name", v.host.name, "create veth pair with %s: %w", v.container.name, err)
	}
	st.Veths = append(st.Veths, VethState{Host: v.host.name, Container: v.container.name})
	if veth.Index == 0 {
		return fieldErr(v.host.field+".name", v.host.name, "veth created but not found")
	}
	if v.masterIndex != 0 {
		if err := e.host.LinkSetMasterByIndex(veth, v.masterIndex); err != nil {
			return fieldErr(v.host.field+".master", v.host.master, "enslave %s: %w", v.host.name, err)
		}
	}
	if err := e.finish(e.host, veth, &v.host); err != nil {
		return err
	}
	l, err := find(e.inside, "container", v.container.field+".name", v.container.name)
	if err != nil {
		return err
	}
	return e.finish(e.inside, l, &v.container)
}

// finish adds a device's addresses and brings it up.
func (e *env) finish(h *netlink.Handle, l netlink.Link, lp *linkPlan) error {
	for i, a := range lp.addrs {
		addr := &netlink.Addr{IPNet: a}
		if a.IP.To4() == nil {
			// A tentative address cannot be bound; the program must find
			// its network ready.
			addr.Flags = unix.IFA_F_NODAD
		}
		if err := h.AddrAdd(l, addr); err != nil {
			return fieldErr(fmt.Sprintf("%s.addresses[%d]", lp.field, i), a.String(), "add to %s: %w", lp.name, err)
		}
	}
	if h == e.inside {
		e.index[lp.name] = l.Attrs().Index
	}
	if err := h.LinkSetUp(l); err != nil {
		return fieldErr(lp.field+".name", lp.name, "set up: %w", err)
	}
	return nil
}

// insideIndex returns the index of a device inside the container.
func (e *env) insideIndex(field, name string) (int, error) {
	if i, ok := e.index[name]; ok {
		return i, nil
	}
	l, err := find(e.inside, "container", field, name)
	if err != nil {
		return 0, err
	}
	e.index[name] = l.Attrs().Index
	return l.Attrs().Index, nil
}

func (e *env) addRoute(r *routePlan) error {
	route := r.route
	var err error
	if r.device != "" {
		if route.LinkIndex, err = e.insideIndex(r.field+".device", r.device); err != nil {
			return err
		}
	}
	route.MultiPath = nil
	for i, h := range r.route.MultiPath {
		hop := *h
		if r.hops[i] != "" {
			if hop.LinkIndex, err = e.insideIndex(fmt.Sprintf("%s.nextHops[%d].device", r.field, i), r.hops[i]); err != nil {
				return err
			}
		}
		route.MultiPath = append(route.MultiPath, &hop)
	}
	if err := e.inside.RouteAdd(&route); err != nil {
		return fieldErr(r.field, route.Dst.String(), "add route: %w", err)
	}
	return nil
}

// teardown deletes the veth pairs of st and returns its host NICs, the
// latter in reverse order so that renames unwind.
func (e *env) teardown(st *State) error {
	var errs []error
	for _, v := range st.Veths {
		if err := e.deleteVeth(v.Host); err != nil {
			errs = append(errs, err)
		}
	}
	if e.inside != nil {
		for i := len(st.HostNICs) - 1; i >= 0; i-- {
			if err := e.returnNIC(&st.HostNICs[i]); err != nil {
				errs = append(errs, err)
			}
		}
	}
	return errors.Join(errs...)
}

func (e *env) deleteVeth(name string) error {
	l, err := e.host.LinkByName(name)
	switch {
	case notFound(err):
		return nil
	case err != nil:
		return fmt.Errorf("veth %s: %w", name, err)
	case l.Type() != "veth":
		// Not ours: something else took the name since.
		return nil
	}
	if err := e.host.LinkDel(l); err != nil && !notFound(err) {
		return fmt.Errorf("veth %s: delete: %w", name, err)
	}
	return nil
}

func (e *env) returnNIC(m *MovedNIC) error {
	what := fmt.Sprintf("host NIC %s (inside %s)", m.Original, m.Inside)
	l, err := e.inside.LinkByName(m.Inside)
	if notFound(err) && m.Inside != m.Original {
		// An earlier Teardown may have stopped between the rename and
		// the move.
		l, err = e.inside.LinkByName(m.Original)
	}
	switch {
	case notFound(err):
		return nil // back already, or gone
	case err != nil:
		return fmt.Errorf("%s: %w", what, err)
	}
	// The kernel renames only devices that are down.
	if err := e.inside.LinkSetDown(l); err != nil {
		return fmt.Errorf("%s: set down: %w", what, err)
	}
	if l.Attrs().Name != m.Original {
		if err := e.inside.LinkSetName(l, m.Original); err != nil {
			return fmt.Errorf("%s: rename inside: %w", what, err)
		}
	}
	hostNS, err := e.hostFD()
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	if err := e.inside.LinkSetNsFd(l, hostNS); err != nil {
		return fmt.Errorf("%s: move back to the host namespace: %w", what, err)
	}
	if m.MTU == 0 && m.MAC == "" {
		return nil
	}
	hl, err := e.host.LinkByName(m.Original)
	if err != nil {
		return fmt.Errorf("%s: back in the host namespace: %w", what, err)
	}
	if m.MTU != 0 {
		if err := e.host.LinkSetMTU(hl, m.MTU); err != nil {
			return fmt.Errorf("%s: restore MTU %d: %w", what, m.MTU, err)
		}
	}
	if m.MAC != "" {
		mac, err := net.ParseMAC(m.MAC)
		if err == nil {
			err = e.host.LinkSetHardwareAddr(hl, mac)
		}
		if err != nil {
			return fmt.Errorf("%s: restore MAC %s: %w", what, m.MAC, err)
		}
	}
	return nil
}
