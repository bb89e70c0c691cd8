package libct

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"

	"golang.org/x/sys/unix"
)

// holdFunc is the registered function a taskless container's namespaces
// are made with: it lives until the parent has bound them.
const holdFunc = "libct.hold"

func init() {
	Register(holdFunc, func([]byte) int {
		io.Copy(io.Discard, os.Stdin)
		return 0
	})
}

// heldNamespaceDir holds a taskless container's namespace files.
const heldNamespaceDir = "ns"

// Hold makes the container's namespaces with no process in them (libct's
// TASKLESS): the init is started as usual (root, mounts, hostname,
// network), its namespace files are bind-mounted in the state directory,
// and it exits. The container is then running with no pid; Enter starts
// processes in it, and Destroy releases the namespaces.
//
// A pid namespace cannot be held: it ends with its last process.
func (c *Container) Hold() error {
	cfg, err := c.Config()
	if err != nil {
		return err
	}
	if cfg.Namespaces.Has(NewPID) {
		return invalid("namespaces", "a taskless container cannot have a pid namespace: it ends with its last process")
	}
	own := cfg.Namespaces &^ NewTime
	for ns := range cfg.NamespacePaths {
		own |= ns
	}
	if own == 0 && !cfg.Namespaces.Has(NewTime) {
		return invalid("namespaces", "a taskless container needs namespaces to hold")
	}
	release, keep, err := os.Pipe()
	if err != nil {
		return err
	}
	defer release.Close()
	defer keep.Close()
	if err := c.start("hold", &Process{Func: holdFunc, Stdin: release}, false); err != nil {
		return err
	}
	return c.locked(func(rec *record, st State) error {
		held, err := c.bindNamespaces(rec.Pid, cfg)
		if err == nil {
			rec.HeldNamespaces = held
			rec.Pid, rec.StartTime, rec.PidNS = 0, 0, false
			err = c.dir.Write(stateFile, rec)
		}
		keep.Close()
		c.reapHolder()
		if err != nil {
			releaseNamespaces(held)
			return err
		}
		return nil
	})
}

// bindNamespaces binds the init's namespace files that the container has
// of its own into the state directory.
func (c *Container) bindNamespaces(pid int, cfg *Config) (map[string]string, error) {
	dir := c.dir.File(heldNamespaceDir)
	if err := os.Mkdir(dir, 0o700); err != nil && !errors.Is(err, os.ErrExist) {
		return nil, err
	}
	held := map[string]string{}
	for _, n := range namespaceNames {
		if !cfg.hasNamespace(n.ns) {
			continue
		}
		target := filepath.Join(dir, n.name)
		f, err := os.OpenFile(target, os.O_CREATE|os.O_RDONLY, 0o400)
		if err != nil {
			releaseNamespaces(held)
			return nil, err
		}
		f.Close()
		source := "/proc/" + strconv.Itoa(pid) + "/ns/" + n.name
		if n.ns == NewTime {
			// The init itself entered its time namespace on exec; the
			// one for children is the same.
			source += "_for_children"
		}
		if err := unix.Mount(source, target, "", unix.MS_BIND, ""); err != nil {
			os.Remove(target)
			releaseNamespaces(held)
			return nil, fmt.Errorf("container %q: hold %s namespace: %w", c.name, n.name, err)
		}
		held[n.name] = target
	}
	return held, nil
}

// releaseNamespaces unmounts and removes held namespace files.
func releaseNamespaces(held map[string]string) error {
	var errs []error
	for name, path := range held {
		if err := unix.Unmount(path, unix.MNT_DETACH); err != nil && err != unix.EINVAL && err != unix.ENOENT {
			errs = append(errs, fmt.Errorf("release %s namespace: %w", name, err))
			continue
		}
		os.Remove(path)
	}
	return errors.Join(errs...)
}

// reapHolder waits for the init of Hold, which exits once its stdin
// closes.
func (c *Container) reapHolder() {
	c.mu.Lock()
	ch := c.child
	c.child = nil
	c.mu.Unlock()
	if ch != nil {
		ch.wait()
	}
}
