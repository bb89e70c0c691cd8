package e2e

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/libct/libct/internal/testutil"
	"github.com/libct/libct/oci"
)

// staticFlags are the Makefile's flags for binaries that start
// containers (STATIC): ct re-executes itself inside the container.
var staticFlags = []string{"-tags", "netgo,osusergo", "-ldflags", "-linkmode=external -extldflags=-static"}

// staticFlagsNoCgo are staticFlags for a build without cgo
// (CGO_ENABLED=0), which links statically by itself and cannot link
// externally.
var staticFlagsNoCgo = []string{"-tags", "netgo,osusergo"}

// fixture is what every engine test shares, made once: the ct binary,
// the busybox root filesystem as a layer tar, and the OCI image archive.
type fixture struct {
	dir      string // temporary directory holding the rest
	ct       string // absolute path of ct
	layerTar string // the busybox root as an uncompressed tar
	ociTar   string // an OCI image layout archive of that layer
	// dockerTar is the same image as `docker save` writes it.
	dockerTar string
	// enterStage tells whether ct has libct's enter stage, as its
	// features say: without it (built with CGO_ENABLED=0) ct exec into
	// the engines' containers, which have a mount namespace, is refused.
	enterStage bool
}

var (
	fixtureOnce sync.Once
	fixtureVal  *fixture
	fixtureErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if fixtureVal != nil {
		os.RemoveAll(fixtureVal.dir)
	}
	os.Exit(code)
}

// imageName is the image both engines import, under their own stores.
const (
	imageRepo = "localhost/libct-busybox"
	imageTag  = "e2e"
	imageName = imageRepo + ":" + imageTag
)

// shared returns the fixture, built on first use. It needs root.
func shared(t *testing.T) *fixture {
	t.Helper()
	testutil.RequireRoot(t)
	fixtureOnce.Do(func() { fixtureVal, fixtureErr = buildFixture() })
	if fixtureErr != nil {
		t.Fatalf("e2e fixture: %v", fixtureErr)
	}
	return fixtureVal
}

func buildFixture() (*fixture, error) {
	dir, err := os.MkdirTemp("", "libct-e2e-")
	if err != nil {
		return nil, err
	}
	// Containers reach the image through it as other users too.
	if err := os.Chmod(dir, 0o755); err != nil {
		return nil, err
	}
	f := &fixture{dir: dir}
	if f.ct, err = ctBinary(dir); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	if f.enterStage, err = hasEnterStage(f.ct); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	rootfs := filepath.Join(dir, "rootfs")
	if err := testutil.BuildBusyboxRootfs(rootfs); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("busybox rootfs: %w", err)
	}
	// The image's sender of sd_notify(3) messages, which busybox lacks.
	if err := testutil.BuildStaticTool("sdnotify", filepath.Join(rootfs, "bin", "sdnotify")); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	f.layerTar = filepath.Join(dir, "layer.tar")
	if err := writeLayerTar(rootfs, f.layerTar); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("layer tar: %w", err)
	}
	f.ociTar = filepath.Join(dir, "image-oci.tar")
	if err := writeOCIArchive(f.layerTar, f.ociTar, imageName); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("OCI archive: %w", err)
	}
	f.dockerTar = filepath.Join(dir, "image-docker.tar")
	if err := writeDockerArchive(f.layerTar, f.dockerTar, imageName); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("docker archive: %w", err)
	}
	return f, nil
}

// ctBinary is $CT_BINARY, or ct built from this working tree into dir.
func ctBinary(dir string) (string, error) {
	if p := os.Getenv("CT_BINARY"); p != "" {
		if !filepath.IsAbs(p) {
			return "", fmt.Errorf("CT_BINARY %q: must be an absolute path (engines run it from elsewhere)", p)
		}
		if _, err := os.Stat(p); err != nil {
			return "", fmt.Errorf("CT_BINARY: %w", err)
		}
		return p, nil
	}
	goBin, err := exec.LookPath("go")
	if err != nil {
		goBin = "/usr/local/go/bin/go"
	}
	modRoot, err := moduleRoot(goBin)
	if err != nil {
		return "", err
	}
	// ct is built as go would build it here: without cgo when the tests
	// run with CGO_ENABLED=0, so that such a run tests such a ct.
	cgo, err := exec.Command(goBin, "env", "CGO_ENABLED").Output()
	if err != nil {
		return "", fmt.Errorf("go env CGO_ENABLED: %v", err)
	}
	flags := staticFlags
	if strings.TrimSpace(string(cgo)) != "1" {
		flags = staticFlagsNoCgo
	}
	out := filepath.Join(dir, "ct")
	args := append([]string{"build"}, flags...)
	args = append(args, "-o", out, "./cmd/ct")
	cmd := exec.Command(goBin, args...)
	cmd.Dir = modRoot
	if msg, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build ./cmd/ct: %v\n%s", err, msg)
	}
	return out, nil
}

// hasEnterStage asks ct whether it has libct's enter stage: the
// annotation of its features (oci.EnterStageAnnotation).
func hasEnterStage(ct string) (bool, error) {
	out, err := exec.Command(ct, "features").Output()
	if err != nil {
		return false, fmt.Errorf("%s features: %v", ct, err)
	}
	var features struct{ Annotations map[string]string }
	if err := json.Unmarshal(out, &features); err != nil {
		return false, fmt.Errorf("%s features: %v", ct, err)
	}
	v, ok := features.Annotations[oci.EnterStageAnnotation]
	if !ok {
		return false, fmt.Errorf("%s features: no annotation %s (a ct older than this tree?)", ct, oci.EnterStageAnnotation)
	}
	return strconv.ParseBool(v)
}

// requireEnterStage skips t, through the one helper and with libct's own
// reason, when ct cannot exec into the engines' containers: ct built
// without cgo has no enter stage to join their mount namespace.
func requireEnterStage(t *testing.T, f *fixture) {
	t.Helper()
	testutil.RequireEnterStageIn(t, f.enterStage)
}

// moduleRoot is the directory of this module's go.mod.
func moduleRoot(goBin string) (string, error) {
	out, err := exec.Command(goBin, "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %v", err)
	}
	mod := strings.TrimSpace(string(out))
	if mod == "" || mod == os.DevNull {
		return "", fmt.Errorf("not inside the libct module (go env GOMOD is %q)", mod)
	}
	return filepath.Dir(mod), nil
}

// requireBinaries skips t when one of the engine's programs is missing,
// with what to install, unless CI=true, where it fails: CI installs the
// engines (make deps). A name with a slash is that file, not looked up
// in PATH.
func requireBinaries(t *testing.T, pkg string, names ...string) map[string]string {
	t.Helper()
	paths := map[string]string{}
	var missing []string
	for _, n := range names {
		p, err := exec.LookPath(n)
		if err != nil {
			missing = append(missing, n)
			continue
		}
		paths[n] = p
	}
	if len(missing) == 0 {
		return paths
	}
	msg := fmt.Sprintf("%s not found: apt-get install %s (or make deps)", strings.Join(missing, ", "), pkg)
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s; CI=true forbids skipping this test", msg)
	}
	t.Skip(msg)
	return nil
}
