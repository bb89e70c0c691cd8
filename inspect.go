package libct

import (
	"fmt"
	"os"
	"runtime"
	"sort"
	"strconv"
	"strings"

	"github.com/libct/libct/internal/sysfile"
)

// Processes lists the pids, as the caller sees them, of every process of
// the container: those of its pid namespace when it has one of its own,
// else the init and its descendants. A stopped container has none.
func (c *Container) Processes() ([]int, error) {
	rec, err := c.record()
	if err != nil {
		return nil, err
	}
	st, err := c.stateOf(rec)
	if err != nil || st == Stopped || rec.Pid == 0 {
		return nil, err
	}
	var pids []int
	if m, _ := c.cgroupOf(rec); m != nil {
		pids, err = m.Pids()
	} else if rec.PidNS {
		pids, err = pidsInNamespace(rec.Pid)
	} else {
		pids, err = descendants(rec.Pid)
	}
	sort.Ints(pids)
	return pids, err
}

// descendants lists pid and every process below it, from /proc.
func descendants(pid int) ([]int, error) {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil, err
	}
	children := map[int][]int{}
	for _, e := range entries {
		p, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if ppid, ok := parentOf(p); ok {
			children[ppid] = append(children[ppid], p)
		}
	}
	out := []int{pid}
	for i := 0; i < len(out); i++ {
		out = append(out, children[out[i]]...)
	}
	return out, nil
}

func parentOf(pid int) (int, bool) {
	data, err := sysfile.ReadPseudo("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, false
	}
	s := string(data)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0, false
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 2 {
		return 0, false
	}
	ppid, err := strconv.Atoi(f[1])
	return ppid, err == nil
}

// Load finds the container whose init is pid (libct's container_load),
// so that a frontend restarted after a crash regains its containers. The
// pid must be the live init recorded by some container of the session's
// root; anything else is an error matching ErrNotExist.
func (s *Session) Load(pid int) (*Container, error) {
	names, err := s.List()
	if err != nil {
		return nil, err
	}
	if pid <= 0 {
		return nil, invalid("pid", "%d is not a process id", pid)
	}
	for _, name := range names {
		c, err := s.Container(name)
		if err != nil {
			continue
		}
		rec, err := c.record()
		if err != nil || rec.Pid != pid {
			continue
		}
		if st, err := c.stateOf(rec); err == nil && st != Stopped {
			return c, nil
		}
	}
	return nil, fmt.Errorf("pid %d is not the init of a container in %s: %w", pid, s.Root(), ErrNotExist)
}

// switchable are the namespaces Switch can enter from the caller's own
// process: setns(2) moves only the calling thread into them. The others
// belong to the whole process (mount: its root and working directory are
// shared by all threads; user: the kernel refuses it to a multi-threaded
// process; pid and time: setns changes only what children get, so a
// function would not run in them). For those, Enter a function registered
// with Register: it runs in a process of the container and returns its
// result as the exit status.
const switchable = NewNet | NewUTS | NewIPC | NewCgroup

// Switch runs fn on a thread of the caller that has joined the
// container's namespaces of the kinds in ns (libct's container_switch):
// net, uts, ipc and cgroup. The thread goes back to its own namespaces
// afterwards, or is thrown away if it cannot; the caller's other threads
// never move. fn must not start goroutines that expect to be in the
// container: they run on other threads.
func (c *Container) Switch(ns Namespaces, fn func() error) error {
	if rest := ns &^ switchable; rest != 0 {
		return invalid("namespaces", "%s cannot be switched in-process: only net, uts, ipc and cgroup move a single thread; Enter a registered function instead", rest)
	}
	rec, err := c.record()
	if err != nil {
		return err
	}
	st, err := c.stateOf(rec)
	if err != nil {
		return err
	}
	paths := map[Namespaces]string{}
	for _, n := range namespaceNames {
		if ns&n.ns == 0 {
			continue
		}
		path, err := c.namespacePath(rec, st, n.name)
		if err != nil {
			return err
		}
		paths[n.ns] = path
	}
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		restore, err := joinNamespaces(paths)
		if err == nil {
			err = fn()
		}
		if rerr := restore(); rerr == nil {
			runtime.UnlockOSThread()
		} else if err == nil {
			err = fmt.Errorf("container %q: switch back: %w", c.name, rerr)
		}
		errc <- err
	}()
	return <-errc
}

// namespacePath is the file of the container's namespace of kind name:
// the init's, or the one held for a taskless container.
func (c *Container) namespacePath(rec *record, st State, name string) (string, error) {
	if path, ok := rec.HeldNamespaces[name]; ok {
		return path, nil
	}
	if st == Stopped || rec.Pid == 0 {
		return "", &StateError{Container: c.name, Op: "reach the namespaces", State: st}
	}
	return "/proc/" + strconv.Itoa(rec.Pid) + "/ns/" + name, nil
}
