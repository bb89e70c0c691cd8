package rootfs

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// TestBindPrivate works on the host's own mount table, as the parent does
// for a container without a mount namespace.
func TestBindPrivate(t *testing.T) {
	requireRoot(t)
	dir := t.TempDir()
	private, root := filepath.Join(dir, "private"), filepath.Join(dir, "root")
	writeFile(t, filepath.Join(private, "marker"), "")
	mustMkdir(t, root)
	before, err := countMounts()
	if err != nil {
		t.Fatal(err)
	}
	// The directory cannot be removed while the bind is there.
	t.Cleanup(func() { UnmountUnder(root) })

	if err := BindPrivate(private, root); err != nil {
		t.Fatalf("BindPrivate: %v", err)
	}
	if _, err := os.Stat(filepath.Join(root, "marker")); err != nil {
		t.Errorf("private area not visible at the root: %v", err)
	}
	if err := UnmountUnder(root); err != nil {
		t.Fatalf("UnmountUnder: %v", err)
	}
	if _, err := os.Stat(filepath.Join(root, "marker")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("private area still visible after UnmountUnder: %v", err)
	}
	if after, err := countMounts(); err != nil || after != before {
		t.Errorf("host mounts: %d before, %d after (%v)", before, after, err)
	}
	t.Run("again is not an error", func(t *testing.T) {
		if err := UnmountUnder(root); err != nil {
			t.Error(err)
		}
	})
	t.Run("gone root is not an error", func(t *testing.T) {
		if err := UnmountUnder(filepath.Join(dir, "missing")); err != nil {
			t.Error(err)
		}
	})
	t.Run("missing private area", func(t *testing.T) {
		err := BindPrivate(filepath.Join(dir, "missing"), root)
		if !errors.Is(err, os.ErrNotExist) {
			t.Errorf("BindPrivate: %v, want ENOENT", err)
		}
	})
}
