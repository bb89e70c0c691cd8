package state

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
)

// TestSweepTemp: the temporary directory of a create whose creator is
// dead goes with the next List, and the next Open of a missing name; that
// of a live creator, and every other dot-entry, stays.
func TestSweepTemp(t *testing.T) {
	root := t.TempDir()
	s, err := NewStore(root)
	if err != nil {
		t.Fatal(err)
	}
	// A creator that has exited: its pid names no process with its start
	// time any more.
	cmd := exec.Command("true")
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	deadPid := cmd.Process.Pid
	dead := filepath.Join(root, ".web.x."+strconv.Itoa(deadPid)+"-1.123")
	live := filepath.Join(root, s.tempPrefix("web.x")+"456")
	reused := filepath.Join(root, ".db."+strconv.Itoa(os.Getpid())+"-1.789") // our pid, another start time
	other := filepath.Join(root, ".unrelated")
	for _, d := range []string{dead, live, reused, other} {
		if err := os.MkdirAll(filepath.Join(d, "sub"), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.List(); err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{dead, reused} {
		if _, err := os.Lstat(d); !os.IsNotExist(err) {
			t.Errorf("%s of a dead creator survived List (%v)", d, err)
		}
	}
	for _, d := range []string{live, other} {
		if _, err := os.Lstat(d); err != nil {
			t.Errorf("%s removed: %v", d, err)
		}
	}
	if err := os.Mkdir(dead, 0o700); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Open("missing"); err == nil {
		t.Fatal("Open of a missing container succeeded")
	}
	if _, err := os.Lstat(dead); !os.IsNotExist(err) {
		t.Errorf("%s of a dead creator survived Open of a missing name (%v)", dead, err)
	}
}

// TestCreateTempName: Create's temporary directory names its creator.
func TestCreateTempName(t *testing.T) {
	s, err := NewStore(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	pid, start, ok := creatorOf(s.tempPrefix("a.b") + "99")
	now, alive := processStartTime(os.Getpid())
	if !ok || pid != os.Getpid() || !alive || start != now {
		t.Errorf("creatorOf(%q) = %d, %d, %v; want %d, %d", s.tempPrefix("a.b")+"99", pid, start, ok, os.Getpid(), now)
	}
	if _, err := s.Create("a.b", map[string]any{"x.json": 1}); err != nil {
		t.Fatal(err)
	}
}
