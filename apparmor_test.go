package libct_test

import (
	_ "embed"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/libct/libct"
	"github.com/libct/libct/security"
)

// apparmorPolicy is the compiled test profile of package security: it
// denies reading /tmp/libct-apparmor-secret (see security/testdata).
//
//go:embed security/testdata/apparmor-deny-read.bin
var apparmorPolicy []byte

// TestAppArmorInContainer: where the host has AppArmor (the VM of
// ../shared/vm), a container under a profile that denies a file read is
// refused that read and allowed the others. On a host without AppArmor the
// profile is refused at Create (TestSecurityErrors).
func TestAppArmorInContainer(t *testing.T) {
	s := newSession(t)
	if !security.DetectLSMs().AppArmor {
		t.Log("no AppArmor on this host: enforcement is tested in the VM")
		return
	}
	f, err := os.OpenFile("/sys/kernel/security/apparmor/.replace", os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	_, err = f.Write(apparmorPolicy)
	f.Close()
	if err != nil {
		t.Fatalf("load the test profile: %v", err)
	}
	defer func() {
		if f, err := os.OpenFile("/sys/kernel/security/apparmor/.remove", os.O_WRONLY, 0); err == nil {
			f.Write([]byte("libct-test-deny-read"))
			f.Close()
		}
	}()
	cfg := busybox(t)
	os.WriteFile(filepath.Join(cfg.Root, "tmp", "libct-apparmor-secret"), []byte("secret\n"), 0o644)
	os.WriteFile(filepath.Join(cfg.Root, "tmp", "public"), []byte("public\n"), 0o644)
	cfg.Security.Labels = libct.Labels{AppArmorProfile: "libct-test-deny-read"}
	out, _ := run(t, s, cfg, sh("cat /proc/self/attr/current; cat /tmp/public; cat /tmp/libct-apparmor-secret 2>&1"))
	for _, want := range []string{"libct-test-deny-read (enforce)", "public", "Permission denied"} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %q in:\n%s", want, out)
		}
	}
	if strings.Contains(out, "secret\n") {
		t.Errorf("read the denied file:\n%s", out)
	}
}
