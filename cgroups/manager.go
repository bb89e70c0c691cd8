package cgroups

import (
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// Manager rules the cgroup of one container. A Manager is not safe for
// concurrent use; several Managers (in several processes) of one cgroup
// are, as far as the kernel's files are.
type Manager interface {
	// State describes the cgroup for Load; persist it with the container.
	State() State
	// OpenDir opens the cgroup's directory in the unified hierarchy
	// (O_PATH|O_DIRECTORY) for CLONE_INTO_CGROUP, so that a process starts
	// inside the cgroup (Go: SysProcAttr{UseCgroupFD: true, CgroupFD:
	// int(f.Fd())}). It returns nil, nil on a host without a unified
	// hierarchy. The caller closes the file.
	OpenDir() (*os.File, error)
	// Attach moves the process pid (all its threads) into the cgroup in
	// every hierarchy. After a clone into OpenDir's cgroup it is still
	// needed on v1 and hybrid hosts, and harmless on v2 (but each write
	// of a pid to a cgroup.procs waits for an RCU grace period, even
	// when the process is there already).
	Attach(pid int) error
	// V1Dirs lists the cgroup's directories in the v1 hierarchies, each
	// once, in the order Attach writes them: a single-threaded process
	// cloned into OpenDir's cgroup can move itself there ("0" to each
	// one's tasks file), which takes none of the locks that make Attach
	// wait.
	V1Dirs() []string
	// Set applies the set fields of r at once.
	Set(r *Resources) error
	// SetParam writes value to the file param of controller (a raw
	// parameter, checked as Config.Params are).
	SetParam(controller, param, value string) error
	// GetParam reads the file param of controller, without the trailing
	// newline.
	GetParam(controller, param string) (string, error)
	// Freeze stops every process of the cgroup and returns once the
	// kernel reports the cgroup frozen.
	Freeze() error
	// Thaw resumes a frozen cgroup and returns once it is thawed.
	Thaw() error
	// Frozen reports whether the cgroup is frozen.
	Frozen() (bool, error)
	// Kill sends sig to every process of the cgroup and of its
	// descendants, with no race against forks (cgroup.kill for SIGKILL
	// where the kernel has it; else freeze, signal, thaw). A frozen cgroup
	// stays frozen, except for SIGKILL.
	Kill(sig syscall.Signal) error
	// Pids lists the processes of the cgroup and of its descendants.
	Pids() ([]int, error)
	// Stats reads the usage counters.
	Stats() (*Stats, error)
	// Mounts tells what to mount, in order, inside the container so that
	// it sees its own cgroup at dest ("/sys/fs/cgroup" when empty) and can
	// make sub-cgroups there (CGROUP_SUBMOUNT). With cgroupNS the
	// container has a cgroup namespace whose root is this cgroup: fresh
	// cgroup file systems (cgroup2; on v1 a tmpfs and a cgroup file system
	// per hierarchy). Without, bind mounts of the cgroup's directories.
	Mounts(dest string, cgroupNS bool) []Mount
	// Destroy kills what runs in the cgroup, waits until it is empty and
	// removes the cgroup, its descendants and the empty parents it owns,
	// in every hierarchy. It is idempotent. The wait for the processes to
	// die is bounded by DefaultWaitLimit: past it Destroy returns a
	// *StuckError that says what holds them.
	Destroy() error
	// DestroyWithin is Destroy with another bound on the wait.
	DestroyWithin(limit time.Duration) error
}

// State is the persisted description of a created cgroup: enough for Load
// in another process. It is JSON-able.
type State struct {
	Mode Mode `json:"mode"`
	// Path is the cgroup's absolute path in every hierarchy.
	Path string `json:"path"`
	// Controllers are the enabled controllers.
	Controllers []string `json:"controllers"`
	// V1 maps each controller driven through a v1 hierarchy to the
	// cgroup's directory there.
	V1 map[string]string `json:"v1,omitempty"`
	// Unified is the cgroup's directory in the unified hierarchy, "" on a
	// v1 host.
	Unified string `json:"unified,omitempty"`
	// Top is the highest cgroup Destroy removes once it is empty: the
	// default parent for a path under it, else the highest one Create
	// made.
	Top string `json:"top"`
}

// manager is the cgroupfs driver of every layout: each controller is
// driven in the hierarchy that holds it (see route).
type manager struct {
	st State
}

// Create makes the cgroup in every hierarchy it needs, enables the
// controllers in the unified hierarchy's subtree_control of every parent,
// and applies the resources and parameters. On failure it removes every
// cgroup it made.
func Create(cfg *Config) (Manager, error) {
	l, err := hostLayout()
	if err != nil {
		return nil, err
	}
	p, err := cfg.plan(l)
	if err != nil {
		return nil, err
	}
	m := &manager{st: State{Mode: l.mode, Path: p.path, Controllers: p.ctls, V1: map[string]string{}}}
	mounts := []string{}
	for _, ctl := range p.ctls {
		if h, _ := l.route(ctl); h != nil {
			m.st.V1[ctl] = filepath.Join(h.mount, p.path)
			if !slices.Contains(mounts, h.mount) {
				mounts = append(mounts, h.mount)
			}
		}
	}
	if l.unified != "" {
		m.st.Unified = filepath.Join(l.unified, p.path)
	}
	var made []string // directories this Create made, in order
	ok := false
	defer func() {
		if !ok {
			for i := len(made) - 1; i >= 0; i-- {
				rmdir(made[i])
			}
		}
	}()
	for _, mnt := range mounts {
		isCpuset := l.v1["cpuset"] != nil && l.v1["cpuset"].mount == mnt
		if err := makePath(mnt, p.path, &made, isCpuset); err != nil {
			return nil, ctlErr(m.ctlOfDir(filepath.Join(mnt, p.path)), err)
		}
	}
	if l.unified != "" {
		if err := makePath(l.unified, p.path, &made, false); err != nil {
			return nil, &Error{Err: err}
		}
		if err := enableControllers(l, p.path, m.v2Controllers(l)); err != nil {
			return nil, err
		}
	}
	m.st.Top = topOf(p.path, l, made)
	if err := m.checkReusable(made); err != nil {
		return nil, err
	}
	// Every raw parameter's file must exist before anything is written.
	for _, prm := range cfg.Params {
		ctl, _ := canonical(prm.Controller)
		if dir, _, _ := m.where(ctl); !exists(dir, prm.Name) {
			return nil, fileErr(ctl, prm.Name, prm.Value, unix.ENOENT)
		}
	}
	if err := m.apply(&cfg.Resources); err != nil {
		return nil, err
	}
	for _, prm := range cfg.Params {
		if err := m.SetParam(prm.Controller, prm.Name, prm.Value); err != nil {
			return nil, err
		}
	}
	ok = true
	return m, nil
}

// makePath makes every missing directory of path under mnt and records
// the ones it made. A v1 cpuset on the way without cpus or mems gets its
// parent's, or no process could join the cgroup below it: a new one, and
// one made by someone else with a bare mkdir (a pod's cgroup). A parent
// removed meanwhile by another container's Destroy is made again.
func makePath(mnt, path string, made *[]string, cpuset bool) error {
	for attempt := 0; ; attempt++ {
		err := tryMakePath(mnt, path, made, cpuset)
		if err == unix.ENOENT && attempt < 10 {
			continue
		}
		if err != nil {
			return fmt.Errorf("mkdir %s: %w", filepath.Join(mnt, path), err)
		}
		return nil
	}
}

func tryMakePath(mnt, path string, made *[]string, cpuset bool) error {
	dir := mnt
	for _, c := range strings.Split(strings.TrimPrefix(path, "/"), "/") {
		parent := dir
		dir = filepath.Join(dir, c)
		err := unix.Mkdir(dir, 0o755)
		switch {
		case err == nil:
			*made = append(*made, dir)
		case err != unix.EEXIST:
			return err
		}
		if cpuset {
			if err := fillCpuset(parent, dir); err != nil {
				return err
			}
		}
	}
	return nil
}

// topOf is the highest cgroup Destroy may remove: DefaultParent for a
// path under it, else the highest directory Create made, else the path.
func topOf(path string, l *layout, made []string) string {
	if strings.HasPrefix(path, DefaultParent+"/") {
		return DefaultParent
	}
	top := path
	mounts := l.mounts()
	for _, d := range made {
		for _, mnt := range mounts {
			if rel, ok := strings.CutPrefix(d, mnt); ok && strings.HasPrefix(rel, "/") && len(rel) < len(top) {
				top = rel
			}
		}
	}
	return top
}

// mounts lists the mount points of every hierarchy.
func (l *layout) mounts() []string {
	var out []string
	for _, h := range l.v1 {
		if !slices.Contains(out, h.mount) {
			out = append(out, h.mount)
		}
	}
	if l.unified != "" {
		out = append(out, l.unified)
	}
	return out
}

// Load returns the Manager of a cgroup that Create made, possibly in
// another process, from its State. It checks the State against this
// host: every directory must be where the path puts it, in a hierarchy of
// the State's mode.
func Load(st State) (Manager, error) {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("cgroups: state of %q: "+format, append([]any{st.Path}, args...)...)
	}
	if p, err := resolvePath(st.Path); err != nil || p != st.Path {
		return nil, bad("not an absolute, clean cgroup path")
	}
	if st.Top == "" || st.Top != st.Path && !strings.HasPrefix(st.Path, st.Top+"/") || st.Top == "/" {
		return nil, bad("top %q is not a parent of the path", st.Top)
	}
	for _, ctl := range st.Controllers {
		if _, ok := controllers[ctl]; !ok {
			return nil, ctlErr(ctl, ErrUnknownController)
		}
	}
	for ctl := range st.V1 {
		if !slices.Contains(st.Controllers, ctl) {
			return nil, bad("%s directory for a controller it does not enable", ctl)
		}
	}
	// The quick check is a few statfs calls, where detecting the layout
	// reads and parses /proc/self/mountinfo, /proc/cgroups and
	// cgroup.controllers in every process that loads a cgroup (ct exec,
	// delete, kill...); the layout's check says precisely what does not
	// match.
	if !onCgroupFS(st) {
		l, err := hostLayout()
		if err != nil {
			return nil, err
		}
		if st.Mode != l.mode {
			return nil, bad("made on a %s host, this one is %s", st.Mode, l.mode)
		}
		for ctl, dir := range st.V1 {
			if h := l.v1[ctl]; h == nil || dir != filepath.Join(h.mount, st.Path) {
				return nil, bad("%s directory %q does not match this host", ctl, dir)
			}
		}
		if l.unified != "" && st.Unified != filepath.Join(l.unified, st.Path) || l.unified == "" && st.Unified != "" {
			return nil, bad("unified directory %q does not match this host", st.Unified)
		}
	}
	st.Controllers = slices.Clone(st.Controllers)
	st.V1 = maps.Clone(st.V1)
	return &manager{st: st}, nil
}

// onCgroupFS tells whether every directory of st is its path under the
// root of a cgroup file system of the right kind (cgroup for the v1
// directories, cgroup2 for the unified one), and st's mode is the one
// those directories make.
func onCgroupFS(st State) bool {
	mode := ModeV2
	switch {
	case len(st.V1) > 0 && st.Unified != "":
		mode = ModeHybrid
	case len(st.V1) > 0:
		mode = ModeV1
	case st.Unified == "":
		return false
	}
	if st.Mode != mode {
		return false
	}
	isRoot := func(dir string, magic int64) bool {
		mnt, ok := strings.CutSuffix(dir, st.Path)
		if !ok || mnt == "" || filepath.Clean(mnt) != mnt || !filepath.IsAbs(mnt) {
			return false
		}
		var fs, parent unix.Statfs_t
		return unix.Statfs(mnt, &fs) == nil && fs.Type == magic &&
			unix.Statfs(filepath.Dir(mnt), &parent) == nil && parent.Type != magic
	}
	if st.Unified != "" && !isRoot(st.Unified, unix.CGROUP2_SUPER_MAGIC) {
		return false
	}
	for _, dir := range st.V1 {
		if !isRoot(dir, unix.CGROUP_SUPER_MAGIC) {
			return false
		}
	}
	return true
}

func (m *manager) State() State {
	st := m.st
	st.Controllers = slices.Clone(m.st.Controllers)
	st.V1 = maps.Clone(m.st.V1)
	return st
}

// where returns the directory that drives ctl and whether it is a v1 one.
func (m *manager) where(ctl string) (string, bool, error) {
	if !slices.Contains(m.st.Controllers, ctl) {
		return "", false, ctlErr(ctl, ErrNotEnabled)
	}
	if dir := m.st.V1[ctl]; dir != "" {
		return dir, true, nil
	}
	return m.st.Unified, false, nil
}

// dirs lists the cgroup's directory in every hierarchy, the unified one
// first.
func (m *manager) dirs() []string {
	var out []string
	if m.st.Unified != "" {
		out = append(out, m.st.Unified)
	}
	for _, ctl := range slices.Sorted(maps.Keys(m.st.V1)) {
		if d := m.st.V1[ctl]; !slices.Contains(out, d) {
			out = append(out, d)
		}
	}
	return out
}

func (m *manager) OpenDir() (*os.File, error) {
	if m.st.Unified == "" {
		return nil, nil
	}
	fd, err := unix.Open(m.st.Unified, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("cgroups: open %s: %w", m.st.Unified, err)
	}
	return os.NewFile(uintptr(fd), m.st.Unified), nil
}

func (m *manager) V1Dirs() []string {
	dirs := m.dirs()
	if m.st.Unified != "" {
		dirs = dirs[1:]
	}
	return dirs
}

func (m *manager) Attach(pid int) error {
	v := strconv.Itoa(pid)
	for _, dir := range m.dirs() {
		if err := writeFile(dir, "cgroup.procs", v); err != nil {
			return paramErr(m.ctlOfDir(dir), "cgroup.procs", v, fmt.Errorf("attach to %s: %w", dir, err))
		}
	}
	return nil
}

// ctlOfDir names the controllers of a directory, for errors.
func (m *manager) ctlOfDir(dir string) string {
	var names []string
	for _, ctl := range m.st.Controllers {
		if d, _, _ := m.where(ctl); d == dir {
			names = append(names, ctl)
		}
	}
	return strings.Join(names, ",")
}

func (m *manager) SetParam(controller, param, value string) error {
	l, err := hostLayout()
	if err != nil {
		return err
	}
	ctl, err := checkParam(l, controller, param, value)
	if err != nil {
		return err
	}
	dir, _, err := m.where(ctl)
	if err != nil {
		return err
	}
	if err := writeFile(dir, param, value); err != nil {
		return fileErr(ctl, param, value, err)
	}
	return nil
}

func (m *manager) GetParam(controller, param string) (string, error) {
	ctl, err := canonical(controller)
	if err != nil {
		return "", err
	}
	dir, v1, err := m.where(ctl)
	if err != nil {
		return "", err
	}
	if err := checkParamName(ctl, param, "", v1); err != nil {
		return "", err
	}
	v, err := readFile(dir, param)
	if err != nil {
		return "", fileErr(ctl, param, "", err)
	}
	return v, nil
}

func (m *manager) Set(r *Resources) error {
	l, err := hostLayout()
	if err != nil {
		return err
	}
	if err := r.validate(l); err != nil {
		return err
	}
	for _, ctl := range r.controllers() {
		if _, _, err := m.where(ctl); err != nil {
			return err
		}
	}
	return m.apply(r)
}

// rmdir removes one cgroup directory, ignoring that it is gone.
func rmdir(dir string) error {
	if err := unix.Rmdir(dir); err != nil && err != unix.ENOENT {
		return err
	}
	return nil
}
