package cgroups

import (
	"reflect"
	"testing"
)

// TestPlanMatchesCreate: the State Plan describes before anything exists is
// the one Create then makes, for a default-parent path and for one of
// its own whose parents Create makes (so Top is its highest new parent);
// Load of the plan destroys it all.
func TestPlanMatchesCreate(t *testing.T) {
	for _, path := range []string{testPath(t), "/libctplan-" + testPath(t) + "/a/b"} {
		requireCgroups(t)
		cfg := Config{Path: path}
		plan, err := Plan(&cfg)
		if err != nil {
			t.Fatalf("Plan(%q): %v", path, err)
		}
		m := create(t, cfg)
		if got := m.State(); !reflect.DeepEqual(plan, got) {
			t.Errorf("Plan(%q) = %+v, Create made %+v", path, plan, got)
		}
		loaded, err := Load(plan)
		if err != nil {
			t.Fatalf("Load(plan): %v", err)
		}
		if err := loaded.Destroy(); err != nil {
			t.Fatalf("Destroy of the plan: %v", err)
		}
		for _, dir := range m.(*manager).dirs() {
			if exists(dir, "") {
				t.Errorf("%s left after Destroy of the plan", dir)
			}
		}
	}
}
