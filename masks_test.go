package libct_test

import (
	"strings"
	"testing"

	"github.com/libct/libct"
)

// TestMaskedAndReadonlyPaths attacks the OCI default masks from inside:
// masked files read empty, masked directories list nothing (to a root
// without CAP_DAC_OVERRIDE too, as runc's default set is) and refuse new
// files, read-only paths refuse writes.
func TestMaskedAndReadonlyPaths(t *testing.T) {
	s := newSession(t)
	cfg := busybox(t)
	cfg.Namespaces |= libct.NewNet
	cfg.Mounts = []libct.Mount{{Source: "sysfs", Destination: "/sys", Type: "sysfs", Flags: libct.MountReadOnly}}
	cfg.MaskedPaths = append(libct.DefaultMaskedPaths(), "/etc/hostname")
	cfg.ReadonlyPaths = libct.DefaultReadonlyPaths()
	runcDefault := []string{"CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"}
	cfg.Security.Capabilities = &libct.Capabilities{Bounding: runcDefault, Effective: runcDefault, Permitted: runcDefault}
	out := mustRun(t, s, cfg, sh(`
		ls /sys/firmware >/dev/null && echo firmware-listable
		echo "timer_list=$(cat /proc/timer_list | wc -c)"
		echo "keys=$(cat /proc/keys | wc -c)"
		echo "hostname=$(cat /etc/hostname | wc -c)"
		echo "firmware=$(ls /sys/firmware | wc -l)"
		touch /sys/firmware/x 2>/dev/null && echo firmware-writable
		echo 1 > /proc/sys/kernel/domainname 2>/dev/null && echo sys-writable
		echo h > /proc/sysrq-trigger 2>/dev/null && echo sysrq-writable
		grep -E ' /proc/(sys|keys) ' /proc/self/mountinfo | awk '{print $5, $6}'`))
	for _, want := range []string{"firmware-listable", "timer_list=0", "keys=0", "hostname=0", "firmware=0", "/proc/sys ro,", "/proc/keys "} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %q in:\n%s", want, out)
		}
	}
	for _, bad := range []string{"firmware-writable", "sys-writable", "sysrq-writable"} {
		if strings.Contains(out, bad) {
			t.Errorf("%s:\n%s", bad, out)
		}
	}
}
