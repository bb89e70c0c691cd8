package sysfile

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRead(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name string
		size int
	}{
		{"empty", 0},
		{"small", 100},
		{"the smallest buffer", minSize},
		{"larger than the smallest buffer", 3*minSize + 17},
		{"large", 1<<20 + 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			want := bytes.Repeat([]byte{'x'}, tc.size)
			path := filepath.Join(dir, strings.ReplaceAll(tc.name, " ", "-"))
			if err := os.WriteFile(path, want, 0o600); err != nil {
				t.Fatal(err)
			}
			for name, read := range map[string]func(string) ([]byte, error){"Read": Read, "ReadPseudo": ReadPseudo} {
				got, err := read(path)
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(got, want) {
					t.Errorf("%s returned %d bytes, want %d", name, len(got), len(want))
				}
			}
		})
	}
}

func TestReadProcFile(t *testing.T) {
	// /proc files report a size of 0: Read must go on to end of file.
	got, err := ReadPseudo("/proc/self/status")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(got, []byte("Name:")) || !bytes.Contains(got, []byte("\nPid:")) {
		t.Fatalf("ReadPseudo(/proc/self/status) = %q", got)
	}
}

func TestErrors(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "missing")
	for _, tc := range []struct {
		name   string
		err    error
		op     string
		target error
	}{
		{"read of a missing file", func() error { _, err := Read(missing); return err }(), "open", fs.ErrNotExist},
		{"create under a missing directory", Create(filepath.Join(missing, "f"), nil, 0, 0o600), "open", fs.ErrNotExist},
		{"exclusive create of an existing file", func() error {
			p := filepath.Join(dir, "exists")
			if err := Create(p, nil, 0, 0o600); err != nil {
				return err
			}
			return Create(p, nil, os.O_EXCL, 0o600)
		}(), "open", fs.ErrExist},
		{"read of a directory", func() error { _, err := Read(dir); return err }(), "read", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var pe *os.PathError
			if !errors.As(tc.err, &pe) {
				t.Fatalf("error %v (%T), want an *os.PathError", tc.err, tc.err)
			}
			if pe.Op != tc.op {
				t.Errorf("Op = %q, want %q", pe.Op, tc.op)
			}
			if tc.target != nil && !errors.Is(tc.err, tc.target) {
				t.Errorf("errors.Is(%v, %v) = false", tc.err, tc.target)
			}
		})
	}
}

func TestCreate(t *testing.T) {
	path := filepath.Join(t.TempDir(), "doc.json")
	if err := Create(path, []byte("first, and longer"), 0, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := Create(path, []byte("second"), os.O_TRUNC, 0o600); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(path)
	if err != nil || string(got) != "second" {
		t.Fatalf("after O_TRUNC: %q, %v", got, err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want 0600", fi.Mode().Perm())
	}
}
