package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/libct/libct/internal/testutil"
)

// TestDamagedState damages the state.json of a running container every
// way a crash or a hand can: truncated, emptied, garbled, deleted. Then
// state, kill and start each fail with one line naming the file and what
// is wrong, list shows the container as unknown with one line on stderr,
// and delete --force kills its processes and removes its cgroups and
// state all the same.
func TestDamagedState(t *testing.T) {
	e := newOCIEnv(t)
	bundle := e.bundle([]string{"sleep", "100"}, nil)
	damages := []struct {
		name    string
		problem string
		damage  func(path string) error
	}{
		{"truncated", "cannot be decoded", func(path string) error {
			data, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			return os.WriteFile(path, data[:len(data)/2], 0o600)
		}},
		{"empty", "is empty", func(path string) error { return os.WriteFile(path, nil, 0o600) }},
		{"garbled", "cannot be decoded", func(path string) error { return os.WriteFile(path, []byte("\x00garbage{"), 0o600) }},
		{"deleted", "is missing", os.Remove},
		// Without the intent record either, the cgroup named in the
		// config is where the processes are found.
		{"deleted-with-intent", "is missing", func(path string) error {
			if err := os.Remove(filepath.Join(filepath.Dir(path), "intent.json")); err != nil {
				return err
			}
			return os.Remove(path)
		}},
	}
	for _, d := range damages {
		t.Run(d.name, func(t *testing.T) {
			e := e.sub(t)
			id := e.id(d.name)
			e.ok("run", "--detach", "--bundle", bundle, id)
			path := filepath.Join(e.root, id, "state.json")
			if err := d.damage(path); err != nil {
				t.Fatal(err)
			}
			for _, args := range [][]string{{"state", id}, {"kill", id, "KILL"}, {"start", id}} {
				res := e.ct(args...)
				msg := strings.TrimSpace(res.stderr)
				if res.code == 0 || strings.Count(msg, "\n") != 0 || !strings.Contains(msg, path) || !strings.Contains(msg, d.problem) {
					t.Errorf("ct %q: exit %d, stderr %q; want one line naming %s, %q", args, res.code, res.stderr, path, d.problem)
				}
			}
			res := e.ok("list", "--format", "json")
			var states []containerState
			if err := json.Unmarshal([]byte(res.stdout), &states); err != nil || len(states) != 1 || states[0].ID != id || states[0].Status != "unknown" {
				t.Errorf("list json %q (%v): want %s, unknown", res.stdout, err, id)
			}
			if msg := strings.TrimSpace(res.stderr); strings.Count(msg, "\n") != 0 || !strings.Contains(msg, path) {
				t.Errorf("list stderr %q: want one line naming %s", res.stderr, path)
			}
			e.ok("delete", "--force", id)
			if leaks := testutil.ContainerLeaks("/libct/"+id, e.rootfs, e.root, "", e.rootfs, bundle); len(leaks) > 0 {
				t.Errorf("delete --force of a container with a %s state left %q", d.name, leaks)
			}
		})
	}
}
