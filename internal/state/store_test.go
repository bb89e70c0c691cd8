package state

import (
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"
)

func TestCreateOpenRemove(t *testing.T) {
	s, err := NewStore(filepath.Join(t.TempDir(), "root"))
	if err != nil {
		t.Fatal(err)
	}
	d, err := s.Create("a", map[string]any{"doc.json": map[string]int{"n": 1}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Create("a", nil); !errors.Is(err, ErrExist) {
		t.Errorf("second Create = %v, want ErrExist", err)
	}
	if _, err := s.Open("missing"); !errors.Is(err, ErrNotExist) {
		t.Errorf("Open(missing) = %v, want ErrNotExist", err)
	}
	var doc map[string]int
	if err := d.Read("doc.json", &doc); err != nil || doc["n"] != 1 {
		t.Errorf("Read = %v, %v", doc, err)
	}
	if names, err := s.List(); err != nil || len(names) != 1 || names[0] != "a" {
		t.Errorf("List = %v, %v", names, err)
	}
	if err := d.Remove(); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Lock(); !errors.Is(err, ErrNotExist) {
		t.Errorf("Lock after Remove = %v, want ErrNotExist", err)
	}
	entries, _ := os.ReadDir(s.Root())
	if len(entries) != 0 {
		t.Errorf("root not empty: %v", entries)
	}
}

// TestLockWaitsForRemoval: a locker that waited while the holder removed
// the directory learns that it is gone.
func TestLockWaitsForRemoval(t *testing.T) {
	s, _ := NewStore(t.TempDir())
	d, err := s.Create("a", nil)
	if err != nil {
		t.Fatal(err)
	}
	unlock, err := d.Lock()
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Add(1)
	var waiterErr error
	go func() {
		defer wg.Done()
		u, err := (&Dir{path: d.Path()}).Lock()
		if err == nil {
			u()
		}
		waiterErr = err
	}()
	d.Remove()
	unlock()
	wg.Wait()
	if !errors.Is(waiterErr, ErrNotExist) {
		t.Errorf("waiter got %v, want ErrNotExist", waiterErr)
	}
}

// TestConcurrentCreate: of many creators of one name, exactly one wins.
func TestConcurrentCreate(t *testing.T) {
	s, _ := NewStore(t.TempDir())
	var wg sync.WaitGroup
	var mu sync.Mutex
	wins := 0
	for i := 0; i < 16; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := s.Create("same", map[string]any{"x.json": 1}); err == nil {
				mu.Lock()
				wins++
				mu.Unlock()
			} else if !errors.Is(err, ErrExist) {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if wins != 1 {
		t.Errorf("%d creators won", wins)
	}
	entries, _ := os.ReadDir(s.Root())
	if len(entries) != 1 {
		t.Errorf("root holds %d entries, want 1 (no temporary directories)", len(entries))
	}
}

func TestWriteIsAtomic(t *testing.T) {
	s, _ := NewStore(t.TempDir())
	d, _ := s.Create("a", nil)
	if err := d.Write("doc.json", map[string]int{"n": 0}); err != nil {
		t.Fatal(err)
	}
	// A reader sees one whole document or the next, and the file never
	// goes missing between them.
	stop := make(chan struct{})
	readErr := make(chan error, 1)
	go func() {
		defer close(readErr)
		for {
			select {
			case <-stop:
				return
			default:
			}
			var doc map[string]int
			if err := d.Read("doc.json", &doc); err != nil {
				readErr <- err
				return
			}
		}
	}()
	for i := 1; i < 200; i++ {
		if err := d.Write("doc.json", map[string]int{"n": i}); err != nil {
			t.Fatal(err)
		}
	}
	close(stop)
	if err := <-readErr; err != nil {
		t.Errorf("Read during the writes: %v", err)
	}
	var doc map[string]int
	if err := d.Read("doc.json", &doc); err != nil || doc["n"] != 199 {
		t.Errorf("Read = %v, %v", doc, err)
	}
	entries, _ := os.ReadDir(d.Path())
	if len(entries) != 1 {
		t.Errorf("directory holds %d files, want 1 (no temporary files)", len(entries))
	}
}
