package cgroups

import (
	"encoding/json"
	"testing"
	"time"
)

// TestStats reads every section of a live cgroup.
func TestStats(t *testing.T) {
	m := create(t, Config{Resources: Resources{MemoryLimit: 256 << 20, PidsMax: 100}})
	h := startHelper(t, m, "sleep")
	h.line(10 * time.Second)
	s, err := m.Stats()
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(s)
	t.Logf("%s", b)
	if s.Memory.Usage == 0 || s.Memory.Limit != 256<<20 {
		t.Errorf("memory %+v", s.Memory)
	}
	if s.CPU.Usage == 0 {
		t.Errorf("cpu %+v", s.CPU)
	}
	if s.Pids.Current == 0 || s.Pids.Limit != 100 {
		t.Errorf("pids %+v", s.Pids)
	}
}
