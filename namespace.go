package libct

import (
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/libct/libct/internal/quote"
)

// Namespaces is a clone mask: the set of namespaces a container gets of
// its own. The zero value shares every namespace with the caller.
type Namespaces uint64

// The namespaces, with their clone(2) flags as values.
const (
	NewMount  Namespaces = unix.CLONE_NEWNS
	NewUTS    Namespaces = unix.CLONE_NEWUTS
	NewIPC    Namespaces = unix.CLONE_NEWIPC
	NewPID    Namespaces = unix.CLONE_NEWPID
	NewNet    Namespaces = unix.CLONE_NEWNET
	NewUser   Namespaces = unix.CLONE_NEWUSER
	NewCgroup Namespaces = unix.CLONE_NEWCGROUP
	NewTime   Namespaces = unix.CLONE_NEWTIME
)

// namespaceNames lists the namespaces in the order setns(2) wants them
// joined (user first: it grants the rights for the others) and by the
// names of /proc/PID/ns.
var namespaceNames = [...]struct {
	ns   Namespaces
	name string
}{
	{NewUser, "user"},
	{NewMount, "mnt"},
	{NewUTS, "uts"},
	{NewIPC, "ipc"},
	{NewPID, "pid"},
	{NewNet, "net"},
	{NewCgroup, "cgroup"},
	{NewTime, "time"},
}

const allNamespaces = NewMount | NewUTS | NewIPC | NewPID | NewNet | NewUser | NewCgroup | NewTime

// ParseNamespaces reads a comma-separated list of namespace names as they
// appear under /proc/PID/ns ("mnt,pid,uts"); "mount" and "network" are
// accepted too.
func ParseNamespaces(list string) (Namespaces, error) {
	var set Namespaces
	if strings.TrimSpace(list) == "" {
		return 0, nil
	}
	for _, name := range strings.Split(list, ",") {
		ns, err := ParseNamespace(strings.TrimSpace(name))
		if err != nil {
			return 0, err
		}
		set |= ns
	}
	return set, nil
}

// ParseNamespace reads one namespace name.
func ParseNamespace(name string) (Namespaces, error) {
	switch name {
	case "mount":
		return NewMount, nil
	case "network":
		return NewNet, nil
	}
	for _, n := range namespaceNames {
		if n.name == name {
			return n.ns, nil
		}
	}
	return 0, invalid("namespaces", "unknown namespace %s (want user, mnt, uts, ipc, pid, net, cgroup or time)", quote.Value(name))
}

// Name is the /proc/PID/ns name of a single namespace.
func (n Namespaces) Name() string {
	for _, e := range namespaceNames {
		if e.ns == n {
			return e.name
		}
	}
	return fmt.Sprintf("Namespaces(%#x)", uint64(n))
}

// String lists the namespaces of the set, comma-separated.
func (n Namespaces) String() string {
	var names []string
	for _, e := range namespaceNames {
		if n&e.ns != 0 {
			names = append(names, e.name)
		}
	}
	if rest := n &^ allNamespaces; rest != 0 {
		names = append(names, fmt.Sprintf("%#x", uint64(rest)))
	}
	return strings.Join(names, ",")
}

// Has reports whether every namespace of other is in n.
func (n Namespaces) Has(other Namespaces) bool { return n&other == other }

// MarshalText writes the set as its names, so stored configs read
// "mnt,pid,uts" rather than a number.
func (n Namespaces) MarshalText() ([]byte, error) { return []byte(n.String()), nil }

// UnmarshalText reads what MarshalText wrote, the hexadecimal number of
// bits that no namespace stands for included, so that every value reads
// back (a Config's validation refuses those bits, with the field).
func (n *Namespaces) UnmarshalText(b []byte) error {
	list, unnamed := string(b), Namespaces(0)
	if i := strings.LastIndex(list, "0x"); i >= 0 { // String writes them last
		v, err := strconv.ParseUint(list[i+2:], 16, 64)
		if err != nil {
			return fmt.Errorf("namespaces %s: %w", quote.Value(list), err)
		}
		list, unnamed = strings.TrimSuffix(list[:i], ","), Namespaces(v)
	}
	set, err := ParseNamespaces(list)
	if err != nil {
		return err
	}
	*n = set | unnamed
	return nil
}
