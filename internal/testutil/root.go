package testutil

import (
	"os"
	"testing"
)

// RequireRoot skips t when the effective user is not root. When the
// environment variable CI is "true" it fails t instead, so that nothing is
// skipped silently in CI.
func RequireRoot(t testing.TB) {
	t.Helper()
	requireRoot(t, os.Geteuid(), os.Getenv("CI"))
}

func requireRoot(t testing.TB, euid int, ci string) {
	t.Helper()
	if euid == 0 {
		return
	}
	if ci == "true" {
		t.Fatalf("test needs root (euid is %d) and CI=true forbids skipping it", euid)
		return
	}
	t.Skipf("test needs root (euid is %d); run it as root, e.g. sudo make test", euid)
}
