package testutil

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
)

// StaticTool builds the command internal/testutil/cmd/<name> as a static
// binary in a directory of the test's and returns its path: a container's
// busybox root has no C library for a dynamically linked one.
func StaticTool(t testing.TB, name string) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), name)
	if err := BuildStaticTool(name, out); err != nil {
		t.Fatal(err)
	}
	return out
}

// BuildStaticTool builds the command internal/testutil/cmd/<name> as a
// static binary at dst.
func BuildStaticTool(name, dst string) error {
	goTool, err := exec.LookPath("go")
	if err != nil {
		goTool = filepath.Join(runtime.GOROOT(), "bin", "go")
	}
	_, self, _, _ := runtime.Caller(0)
	cmd := exec.Command(goTool, "build", "-o", dst, "./cmd/"+name)
	cmd.Dir = filepath.Dir(self)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if msg, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("build %s: %w\n%s", name, err, msg)
	}
	return nil
}
