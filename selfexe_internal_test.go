package libct

import (
	"debug/elf"
	"os"
	"path/filepath"
	"testing"
)

// TestHasInterpreter compares the header reading of selfDynamic with
// debug/elf's on binaries of both kinds and on what is not one.
func TestHasInterpreter(t *testing.T) {
	dir := t.TempDir()
	notELF := filepath.Join(dir, "script")
	if err := os.WriteFile(notELF, []byte("#!/bin/sh\nexit 0\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	truncated := filepath.Join(dir, "truncated")
	if err := os.WriteFile(truncated, []byte("\x7fELF\x02\x01\x01"), 0o755); err != nil {
		t.Fatal(err)
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dynamic, static := true, false
	for _, tc := range []struct {
		name, path string
		// want, when set, is the answer; debug/elf must agree.
		want *bool
	}{
		{name: "this test binary", path: self},
		{name: "dynamic (coreutils)", path: "/bin/true", want: &dynamic},
		{name: "static (busybox-static)", path: "/bin/busybox", want: &static},
		{name: "a script", path: notELF, want: &static},
		{name: "a truncated header", path: truncated, want: &static},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, err := os.Open(tc.path)
			if err != nil {
				t.Skipf("%s: %v", tc.path, err)
			}
			defer f.Close()
			want := false
			if e, err := elf.NewFile(f); err == nil {
				for _, p := range e.Progs {
					want = want || p.Type == elf.PT_INTERP
				}
			}
			if tc.want != nil && *tc.want != want {
				t.Fatalf("debug/elf says %v for %s, the test expects %v", want, tc.path, *tc.want)
			}
			if got := hasInterpreter(f); got != want {
				t.Errorf("hasInterpreter(%s) = %v, debug/elf says %v", tc.path, got, want)
			}
		})
	}
}
