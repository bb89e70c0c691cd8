package cgroups

import (
	"fmt"
	"slices"
)

// The driver of a controller is chosen per controller, which makes one
// manager serve every layout: v1 (every controller in its hierarchy), v2
// (every controller in the unified one) and hybrid, where a controller
// goes to the v1 hierarchy that binds it and otherwise to the unified
// tree (hugetlb on this project's machines). The unified tree, where there
// is one, also holds every process of the container: CLONE_INTO_CGROUP,
// cgroup.kill and cgroup.events work there even on a hybrid host.

// route tells where the controller ctl (canonical) lives: in a v1
// hierarchy (h), in the unified tree (h nil), or nowhere (an error that
// says why).
func (l *layout) route(ctl string) (*hierarchy, error) {
	if h := l.v1[ctl]; h != nil {
		return h, nil
	}
	info := controllers[ctl]
	switch {
	case l.unified == "":
		if !l.kernel[ctl] {
			return nil, ctlErr(ctl, fmt.Errorf("%w: not in this kernel", ErrNotAvailable))
		}
		return nil, ctlErr(ctl, fmt.Errorf("%w: not mounted", ErrNotAvailable))
	case info.v2 != "" && l.v2[info.v2]:
		return nil, nil
	case ctl == "perf_event" && l.kernel[ctl]:
		return nil, nil
	case info.implicit && ctl != "perf_event":
		return nil, nil
	case info.v2 == "":
		return nil, ctlErr(ctl, fmt.Errorf("%w: not mounted, and cgroup v2 has no %s", ErrNotAvailable, ctl))
	default:
		return nil, ctlErr(ctl, fmt.Errorf("%w: not mounted, and not in the unified hierarchy's cgroup.controllers", ErrNotAvailable))
	}
}

// available lists every controller the host offers.
func (l *layout) available() []string {
	var out []string
	for _, c := range sortedControllers() {
		if _, err := l.route(c); err == nil {
			out = append(out, c)
		}
	}
	return out
}

// Available lists the controllers this host offers, by this package's
// names.
func Available() ([]string, error) {
	l, err := hostLayout()
	if err != nil {
		return nil, err
	}
	return l.available(), nil
}

// v2Controllers lists the unified hierarchy's names of the controllers
// that must be enabled in subtree_control.
func (m *manager) v2Controllers(l *layout) []string {
	var out []string
	for _, ctl := range m.st.Controllers {
		if m.st.V1[ctl] != "" {
			continue
		}
		name := controllers[ctl].v2
		if ctl == "cpuacct" {
			name = "cpu"
		}
		if name != "" && l.v2[name] && !slices.Contains(out, name) {
			out = append(out, name)
		}
	}
	return out
}
