package libct

import (
	"errors"
	"fmt"
	"strconv"

	"golang.org/x/sys/unix"

	"github.com/libct/libct/internal/quote"
	"github.com/libct/libct/network"
)

// The network types are those of package network.
type (
	// Network is a container's network: veth pairs, host NICs, routes.
	Network = network.Spec
	// Veth is a veth pair with one end in the container (CT_NET_VETH).
	Veth = network.Veth
	// Link is the settings of one device: name, MAC, MTU, master,
	// addresses.
	Link = network.Link
	// HostNIC is a host device moved into the container (CT_NET_HOSTNIC).
	HostNIC = network.HostNIC
	// Route is a route inside the container.
	Route = network.Route
	// NextHop is one next hop of a multipath route.
	NextHop = network.NextHop
)

// AddVeth adds a veth pair to a stopped container and returns it with the
// names generated for the ends left unnamed.
func (c *Container) AddVeth(v Veth) (Veth, error) {
	err := c.configure("add veth", func(cfg *Config) error {
		cfg.Network.Veths = append(cfg.Network.Veths, v)
		cfg.Network.Generate()
		v = cfg.Network.Veths[len(cfg.Network.Veths)-1]
		return nil
	})
	return v, err
}

// AddHostNIC adds a host device to move into the container at start.
func (c *Container) AddHostNIC(n HostNIC) error {
	return c.configure("add host NIC", func(cfg *Config) error {
		cfg.Network.HostNICs = append(cfg.Network.HostNICs, n)
		return nil
	})
}

// AddRoute adds a route made inside the container at start.
func (c *Container) AddRoute(r Route) error {
	return c.configure("add route", func(cfg *Config) error {
		cfg.Network.Routes = append(cfg.Network.Routes, r)
		return nil
	})
}

// DelNetDev removes the veth pair or host NIC named name from a stopped
// container's config (libct's net_del).
func (c *Container) DelNetDev(name string) error {
	return c.configure("remove network device", func(cfg *Config) error {
		if !cfg.Network.Remove(name) {
			return invalid("network", "no device %s", quote.Value(name))
		}
		return nil
	})
}

// NetDevPeer returns the other end of a veth of the container: the host
// end's name for the container end's, and the other way round (libct's
// net_dev_get_peer).
func (c *Container) NetDevPeer(name string) (string, error) {
	cfg, err := c.Config()
	if err != nil {
		return "", err
	}
	peer, ok := cfg.Network.Peer(name)
	if !ok {
		return "", invalid("network", "no veth end %s", quote.Value(name))
	}
	return peer, nil
}

// validateNetwork checks the network part of a config.
func (c *Config) validateNetwork() error {
	n := &c.Network
	if len(n.Veths)+len(n.HostNICs)+len(n.Routes) == 0 && n.HostNamespace == "" {
		return nil
	}
	if !c.hasNamespace(NewNet) {
		return invalid("network", "needs a network namespace (NewNet or a joined one)")
	}
	if err := n.Validate(); err != nil {
		var fe *network.FieldError
		if errors.As(err, &fe) {
			return &ConfigError{Field: "network." + fe.Field, Value: fe.Value, Err: fe.Err}
		}
		return &ConfigError{Field: "network", Err: err}
	}
	return nil
}

func hasDevices(n *network.Spec) bool {
	return len(n.Veths)+len(n.HostNICs)+len(n.Routes) > 0
}

// setupNetwork configures the devices of a started init from the parent,
// through its network namespace, before the program runs.
func (l *launch) setupNetwork(rec *record) error {
	if !hasDevices(&l.cfg.Network) {
		return nil
	}
	fd, err := openNetNS(l.pid)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	// The devices go on record before they are made: a start killed in
	// between leaves them to Destroy, which tears down what exists.
	st, err := network.SetupRecorded(&l.cfg.Network, fd, func(planned *network.State) error {
		intent := l.intent
		intent.Network = planned
		return l.writeIntent(&intent)
	})
	if err != nil {
		return startError(l.c.name, "network", err)
	}
	rec.Network = st
	netns := "/proc/" + strconv.Itoa(l.pid) + "/ns/net"
	l.undo.add(func() { teardownNetwork(st, netns) })
	return nil
}

func openNetNS(pid int) (int, error) {
	fd, err := unix.Open("/proc/"+strconv.Itoa(pid)+"/ns/net", unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return -1, fmt.Errorf("open network namespace of %d: %w", pid, err)
	}
	return fd, nil
}

// teardownNetwork returns the host NICs and deletes the veths of st;
// netns is the container's network namespace file, or "" when it is gone.
func teardownNetwork(st *network.State, netns string) error {
	if st == nil {
		return nil
	}
	fd := -1
	if netns != "" {
		if f, err := unix.Open(netns, unix.O_RDONLY|unix.O_CLOEXEC, 0); err == nil {
			fd = f
			defer unix.Close(fd)
		}
	}
	return network.Teardown(st, fd)
}
