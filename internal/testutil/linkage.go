package testutil

import (
	"debug/elf"
	"testing"
)

// DynamicallyLinked tells whether the running test binary names a program
// interpreter: a plain `go test` with cgo links dynamically against the C
// library, the Makefile's release flags and CGO_ENABLED=0 statically.
// Tests whose outcome depends on it check both outcomes.
func DynamicallyLinked(t testing.TB) bool {
	t.Helper()
	f, err := elf.Open("/proc/self/exe")
	if err != nil {
		t.Fatalf("open the test binary: %v", err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			return true
		}
	}
	return false
}
