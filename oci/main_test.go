package oci

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/libct/libct"
)

func TestMain(m *testing.M) {
	// The integration test runs containers: the test binary is also
	// their init stage.
	libct.Init()
	os.Exit(m.Run())
}

// testBundle makes a bundle directory with an empty rootfs in it.
func testBundle(t *testing.T) string {
	t.Helper()
	b := t.TempDir()
	if err := os.Mkdir(filepath.Join(b, "rootfs"), 0o755); err != nil {
		t.Fatal(err)
	}
	return b
}

// minimalSpec is a valid spec with a mount namespace and little else.
func minimalSpec() *specs.Spec {
	return &specs.Spec{
		Version: specs.Version,
		Root:    &specs.Root{Path: "rootfs"},
		Process: &specs.Process{Args: []string{"sh"}, Cwd: "/"},
		Linux: &specs.Linux{
			Namespaces: []specs.LinuxNamespace{
				{Type: specs.MountNamespace}, {Type: specs.PIDNamespace}, {Type: specs.UTSNamespace},
				{Type: specs.IPCNamespace}, {Type: specs.NetworkNamespace},
			},
		},
	}
}

// wantFieldError checks that err is a *FieldError for path whose message
// contains every one of parts.
func wantFieldError(t *testing.T, err error, path string, parts ...string) *FieldError {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want one at %s", path)
	}
	var fe *FieldError
	if !errors.As(err, &fe) {
		t.Fatalf("error %q (%T) is not a *FieldError", err, err)
	}
	if fe.Path != path {
		t.Fatalf("error %q names %q, want %q", err, fe.Path, path)
	}
	if !errors.Is(err, libct.ErrInvalidConfig) {
		t.Errorf("errors.Is(%q, libct.ErrInvalidConfig) is false", err)
	}
	for _, p := range parts {
		if !strings.Contains(err.Error(), p) {
			t.Errorf("error %q lacks %q", err, p)
		}
	}
	if !strings.HasPrefix(err.Error(), path+" ") && !strings.HasPrefix(err.Error(), path+":") {
		t.Errorf("error %q does not start with its path %q", err, path)
	}
	return fe
}

func ptr[T any](v T) *T { return &v }
