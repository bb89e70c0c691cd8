package cgroups

import (
	"os"
	"path/filepath"
	"strings"
)

// Plan describes the cgroup Create would make for cfg, without making
// anything: its State, as Create's manager would report it, for a caller
// that records what it is about to create before it creates it (so that
// Load(plan).Destroy() removes the cgroup whatever point Create reached).
// Top is the highest directory of the path missing now in any hierarchy,
// which is the highest one Create will make.
func Plan(cfg *Config) (State, error) {
	l, err := hostLayout()
	if err != nil {
		return State{}, err
	}
	p, err := cfg.plan(l)
	if err != nil {
		return State{}, err
	}
	st := State{Mode: l.mode, Path: p.path, Controllers: p.ctls, V1: map[string]string{}}
	for _, ctl := range p.ctls {
		if h, _ := l.route(ctl); h != nil {
			st.V1[ctl] = filepath.Join(h.mount, p.path)
		}
	}
	if l.unified != "" {
		st.Unified = filepath.Join(l.unified, p.path)
	}
	st.Top = topOf(p.path, l, missingDirs(l.mounts(), p.path))
	return st, nil
}

// missingDirs lists, under every mount, the directories of path that do
// not exist.
func missingDirs(mounts []string, path string) []string {
	var missing []string
	for _, mnt := range mounts {
		dir := mnt
		for _, c := range strings.Split(strings.TrimPrefix(path, "/"), "/") {
			dir = filepath.Join(dir, c)
			if _, err := os.Lstat(dir); err != nil {
				missing = append(missing, dir)
			}
		}
	}
	return missing
}
