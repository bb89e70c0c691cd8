package cgroups

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestCreate: a cgroup with every controller the host offers, in every
// hierarchy, under /libct and not under the caller's cgroup; a process
// cloned into it and attached is in it everywhere.
func TestCreate(t *testing.T) {
	m := create(t, Config{})
	st := m.State()
	if want := DefaultParent + "/" + testPath(t); st.Path != want {
		t.Fatalf("Path = %q, want %q", st.Path, want)
	}
	mode, _ := Detect()
	if st.Mode != mode {
		t.Errorf("Mode = %q, host is %q", st.Mode, mode)
	}
	avail, _ := Available()
	for _, ctl := range avail {
		if _, _, err := m.(*manager).where(ctl); err != nil {
			t.Errorf("controller %s offered but not enabled: %v", ctl, err)
		}
	}
	t.Logf("mode %s, controllers %v", st.Mode, st.Controllers)
	for _, dir := range m.(*manager).dirs() {
		if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
			t.Errorf("no cgroup %s: %v", dir, err)
		}
		if !strings.HasSuffix(dir, "/libct/"+testPath(t)) {
			t.Errorf("cgroup %s is not under /libct", dir)
		}
	}
	if mode == ModeV1 && st.Unified != "" || mode != ModeV1 && st.Unified == "" {
		t.Errorf("Unified = %q on a %s host", st.Unified, mode)
	}

	// Cloned into the unified cgroup: there before any Attach.
	h := startUnattached(t, m, "sleep")
	if st.Unified != "" {
		if got := cgroupOf(t, h.pid())[""]; got != st.Path {
			t.Errorf("after CLONE_INTO_CGROUP the unified cgroup is %q, want %q", got, st.Path)
		}
	}
	if err := m.Attach(h.pid()); err != nil {
		t.Fatal(err)
	}
	h.send("go")
	h.line(10 * time.Second)
	for hier, p := range cgroupOf(t, h.pid()) {
		in := hier == "" && st.Unified != ""
		for _, c := range strings.Split(hier, ",") {
			in = in || st.V1[c] != ""
		}
		if in && p != st.Path {
			t.Errorf("hierarchy %q: the process is in %q, want %q", hier, p, st.Path)
		}
	}
	pids, err := m.Pids()
	if err != nil || len(pids) != 1 || pids[0] != h.pid() {
		t.Errorf("Pids() = %v, %v; want [%d]", pids, err, h.pid())
	}
}

// TestPaths: an absolute path is taken as it is; the parents Create
// made go with the Destroy of the cgroup that made them, once empty.
func TestPaths(t *testing.T) {
	requireCgroups(t)
	top := "/libct-cgtest-abs-" + testPath(t)
	m, err := Create(&Config{Path: top + "/a/b", Controllers: []string{"pids"}})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Destroy()
	if st := m.State(); st.Path != top+"/a/b" || st.Top != top {
		t.Errorf("Path %q Top %q, want %q %q", st.Path, st.Top, top+"/a/b", top)
	}
	m2, err := Create(&Config{Path: top + "/a/c", Controllers: []string{"pids"}})
	if err != nil {
		t.Fatal(err)
	}
	defer m2.Destroy()
	if got := m2.State().Top; got != top+"/a/c" {
		t.Errorf("sibling Top = %q: it made nothing above itself", got)
	}
	if err := m2.Destroy(); err != nil {
		t.Fatal(err)
	}
	noCgroup(t, top+"/a/c")
	for _, dir := range m.(*manager).dirs() {
		if _, err := os.Stat(dir); err != nil {
			t.Errorf("a sibling's Destroy removed %s: %v", dir, err)
		}
	}
	if err := m.Destroy(); err != nil {
		t.Fatal(err)
	}
	noCgroup(t, top)
	if err := m.Destroy(); err != nil {
		t.Errorf("second Destroy: %v", err)
	}
}

// TestDestroyBusy: Destroy kills what runs, orphans and sub-cgroups
// included, and removes everything.
func TestDestroyBusy(t *testing.T) {
	requireCgroups(t)
	bb := busybox(t)
	m, err := Create(&Config{Path: testPath(t), Controllers: []string{"memory", "pids", "cpu"}})
	if err != nil {
		t.Fatal(err)
	}
	h := startHelper(t, m, "exec", bb, "sh", "-c", "for i in 1 2 3 4 5; do (busybox sleep 1000 &); done; exec busybox sleep 1000")
	waitFor(t, 10*time.Second, "6 processes", func() bool { p, _ := m.Pids(); return len(p) == 6 })
	for _, dir := range m.(*manager).dirs() {
		if err := os.Mkdir(filepath.Join(dir, "sub"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := m.Destroy(); err != nil {
		t.Fatalf("Destroy: %v", err)
	}
	if err := h.wait(10 * time.Second); err == nil {
		t.Error("the container's process exited cleanly: not killed")
	}
	noCgroup(t, testPath(t))
	if p, err := m.Pids(); err != nil || len(p) != 0 {
		t.Errorf("after Destroy, Pids() = %v, %v", p, err)
	}
	if err := m.Destroy(); err != nil {
		t.Errorf("second Destroy: %v", err)
	}
}

// TestDestroyPartlyEmpty: a process has left the container's cgroup in one
// hierarchy but not in the others. Destroy's first pass removes what is
// empty until it meets the busy cgroup; then it kills the process and
// removes the rest.
func TestDestroyPartlyEmpty(t *testing.T) {
	requireCgroups(t)
	m, err := Create(&Config{Path: testPath(t), Controllers: []string{"memory", "pids", "cpu"}})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Destroy()
	dirs := m.(*manager).dirs()
	if len(dirs) < 2 {
		t.Skipf("one hierarchy (%v): a process cannot leave the container's cgroup in one and stay in another", dirs)
	}
	h := startHelper(t, m, "sleep")
	h.line(10 * time.Second)
	// The first hierarchy the first pass visits: there the cgroup is empty.
	root := strings.TrimSuffix(dirs[0], m.(*manager).st.Path)
	if err := os.WriteFile(filepath.Join(root, "cgroup.procs"), []byte(strconv.Itoa(h.pid())), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := m.Destroy(); err != nil {
		t.Fatalf("Destroy: %v", err)
	}
	if err := h.wait(10 * time.Second); err == nil {
		t.Error("the process still in the container's other cgroups was not killed")
	}
	noCgroup(t, testPath(t))
}

// TestLoadDestroyElsewhere: another process loads the persisted State and
// destroys the cgroup, with a process inside.
func TestLoadDestroyElsewhere(t *testing.T) {
	requireCgroups(t)
	m, err := Create(&Config{Path: testPath(t), Controllers: []string{"pids", "memory"}})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Destroy()
	h := startHelper(t, m, "sleep")
	h.line(10 * time.Second)
	raw, err := json.Marshal(m.State())
	if err != nil {
		t.Fatal(err)
	}
	exe, _ := os.Executable()
	cmd := exec.Command(exe, string(raw))
	cmd.Env = append(os.Environ(), helperEnv+"=destroy")
	out, err := cmd.CombinedOutput()
	if err != nil || strings.TrimSpace(string(out)) != "destroyed" {
		t.Fatalf("destroy from another process: %v: %s", err, out)
	}
	if err := h.wait(10 * time.Second); err == nil {
		t.Error("the process inside was not killed")
	}
	noCgroup(t, testPath(t))

	// A State that does not match the host is refused.
	var st State
	json.Unmarshal(raw, &st)
	bad := st
	bad.Path = "/elsewhere"
	if _, err := Load(bad); err == nil {
		t.Error("Load took a path that does not match the directories")
	}
	bad = st
	bad.Top = "/"
	if _, err := Load(bad); err == nil {
		t.Error("Load took top /")
	}
	bad = st
	bad.Mode = "v3"
	if _, err := Load(bad); err == nil {
		t.Error("Load took another mode")
	}
	if _, err := Load(st); err != nil {
		t.Errorf("Load of a destroyed cgroup's state: %v", err)
	}
}

// TestLoadChecksDirectories: Load refuses a State whose directories are
// not its path under a cgroup file system's root, without reading the
// mount table for the ones that are.
func TestLoadChecksDirectories(t *testing.T) {
	m := create(t, Config{Path: testPath(t)})
	defer m.Destroy()
	st := m.State()
	if _, err := Load(st); err != nil {
		t.Fatalf("Load of a good state: %v", err)
	}
	if !onCgroupFS(st) {
		t.Error("a good state needs the mount table")
	}
	for _, tc := range []struct {
		name  string
		spoil func(st *State)
	}{
		{"directory outside the cgroup file systems", func(st *State) {
			st.Unified, st.V1 = "", nil
			st.Mode = ModeV2
			st.Unified = t.TempDir() + st.Path
		}},
		{"directory below the root of a hierarchy", func(st *State) {
			for ctl, dir := range st.V1 {
				st.V1[ctl] = filepath.Join(filepath.Dir(dir), "x", filepath.Base(dir))
			}
			if st.Unified != "" {
				st.Unified = filepath.Join(filepath.Dir(st.Unified), "x", filepath.Base(st.Unified))
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			bad := m.State()
			tc.spoil(&bad)
			if onCgroupFS(bad) {
				t.Error("the quick check took it")
			}
			if _, err := Load(bad); err == nil {
				t.Error("Load took it")
			}
		})
	}
}
