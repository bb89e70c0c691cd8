package oci

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"golang.org/x/sys/unix"

	"github.com/libct/libct"
	"github.com/libct/libct/internal/testutil"
	"github.com/libct/libct/security"
)

// runSpec converts s for a bundle of its own, runs it with libct to its
// end and returns what it wrote; it fails t unless it exits with 0.
func runSpec(t *testing.T, name string, s *specs.Spec) string {
	t.Helper()
	bundle := saveBundle(t, s)
	id := fmt.Sprintf("oci-test-%s-%d", name, os.Getpid())
	cfg, proc, err := Convert(id, bundle, s)
	if err != nil {
		t.Fatal(err)
	}
	out, err := os.Create(filepath.Join(t.TempDir(), "out"))
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	proc.Stdout, proc.Stderr = out, out

	sess, err := libct.Open("local", libct.WithRoot(t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}
	defer sess.Close()
	c, err := sess.Create(id, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := c.Destroy(); err != nil {
			t.Errorf("destroy: %v", err)
		}
	}()
	if err := c.Spawn(proc); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	var st libct.ExitStatus
	go func() { st, err = c.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		c.Kill(9)
		<-done
		t.Fatal("the container did not exit")
	}
	if err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(out.Name())
	got := string(data)
	t.Logf("output:\n%s", got)
	if st.Code != 0 {
		t.Fatalf("exit %v, output:\n%s", st, got)
	}
	return got
}

// TestRunDefaultSpec converts the default spec for a busybox bundle, runs
// it with libct and looks from inside at what the spec asks for.
func TestRunDefaultSpec(t *testing.T) {
	testutil.RequireRoot(t)
	rootfs := testutil.BusyboxRootfs(t)

	s := DefaultSpec(false)
	s.Root.Path = rootfs
	s.Process.Terminal = false
	s.Process.Args = []string{"/bin/sh", "-c", strings.Join([]string{
		`echo "hostname=$(hostname)"`,
		`grep -q '^proc /proc proc ' /proc/mounts && echo proc=mounted`,
		`echo "keys=$(wc -c < /proc/keys)"`,
		`if echo x 2>/dev/null > /proc/sys/kernel/domainname; then echo procsys=rw; else echo procsys=ro; fi`,
		`grep '^CapEff:' /proc/self/status`,
		`echo "nofile=$(ulimit -n)"`,
		`grep '^NoNewPrivs:' /proc/self/status`,
		`echo "pid=$$"`,
		`if mkdir /sys/fs/cgroup/memory/sub 2>/dev/null; then echo cgroup=rw; else echo cgroup=ro; fi`,
		`test -d /sys/fs/cgroup/memory && echo cgroup=mounted`,
		`test -c /dev/null && echo > /dev/null && echo devnull=ok`,
		`grep -q ' /dev/pts devpts ' /proc/mounts && echo devpts=mounted`,
		`if touch /newfile 2>/dev/null; then echo root=rw; else echo root=ro; fi`,
	}, "; ")}
	got := runSpec(t, "default", s)

	var mask uint64
	for _, name := range s.Process.Capabilities.Effective {
		nr, ok := security.CapabilityNumber(name)
		if !ok {
			t.Fatalf("capability %s", name)
		}
		mask |= 1 << nr
	}
	for _, want := range []string{
		"hostname=ct\n",
		"proc=mounted\n",
		"keys=0\n",
		"procsys=ro\n",
		fmt.Sprintf("CapEff:\t%016x\n", mask),
		"nofile=1024\n",
		"NoNewPrivs:\t1\n",
		"pid=1\n",
		"cgroup=ro\n",
		"cgroup=mounted\n",
		"devnull=ok\n",
		"devpts=mounted\n",
		"root=ro\n",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("output lacks %q:\n%s", want, got)
		}
	}
}

// TestRunSpecFields runs a spec with mounts of every kind (as the
// runtime-tools suite makes them), devices, sysctls, a time namespace and
// a user, and looks from inside.
func TestRunSpecFields(t *testing.T) {
	testutil.RequireRoot(t)
	s := DefaultSpec(false)
	s.Root.Path = testutil.BusyboxRootfs(t)
	s.Root.Readonly = false
	s.Process.Terminal = false
	s.Process.User = specs.User{UID: testutil.AliceUID, GID: testutil.AliceGID, AdditionalGids: []uint32{testutil.StaffGID}}
	s.Process.Cwd = "/tmp"
	s.Process.Env = []string{"PATH=/bin", "FOO=bar"}
	s.Process.Args = []string{"/bin/sh", "-c", strings.Join([]string{
		`echo "ids=$(id -u):$(id -g):$(id -G)"`,
		`echo "cwd=$(pwd) foo=$FOO"`,
		`echo "fuse=$(stat -c '%F %t:%T %a %u:%g' /dev/fuse)"`,
		`echo "forward=$(cat /proc/sys/net/ipv4/ip_forward)"`,
		`echo "uptime=$(cut -d. -f1 /proc/uptime)"`,
		`cat /proc/self/mountinfo`,
	}, "; ")}
	// A shared mount on the host, for a slave bind of it to have a
	// master: the host's own root may well be private.
	shared := t.TempDir()
	if err := unix.Mount(shared, shared, "", unix.MS_BIND, ""); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Unmount(shared, unix.MNT_DETACH) })
	if err := unix.Mount("", shared, "", unix.MS_SHARED, ""); err != nil {
		t.Fatal(err)
	}
	opts := []string{"nosuid", "strictatime", "mode=755", "size=1k"}
	s.Mounts = append(s.Mounts,
		specs.Mount{Destination: "/tmp/test-shared", Type: "tmpfs", Source: "tmpfs", Options: append(opts, "shared")},
		specs.Mount{Destination: "/mnt/etc-slave", Source: shared, Options: append(opts, "bind", "slave")},
		specs.Mount{Destination: "/mnt/etc-rprivate", Source: "/etc", Options: append(opts, "rbind", "rprivate", "ro")},
	)
	s.Linux.Devices = []specs.LinuxDevice{{Path: "/dev/fuse", Type: "c", Major: 10, Minor: 229,
		FileMode: ptr(os.FileMode(0o640)), UID: ptr(uint32(1)), GID: ptr(uint32(2))}}
	s.Linux.Sysctl = map[string]string{"net.ipv4.ip_forward": "1"}
	s.Linux.Namespaces = append(s.Linux.Namespaces, specs.LinuxNamespace{Type: specs.TimeNamespace})
	s.Linux.TimeOffsets = map[string]specs.LinuxTimeOffset{"boottime": {Secs: 1000000}}

	got := runSpec(t, "fields", s)
	for _, want := range []string{
		fmt.Sprintf("ids=%d:%d:%d %d\n", testutil.AliceUID, testutil.AliceGID, testutil.AliceGID, testutil.StaffGID),
		"cwd=/tmp foo=bar\n",
		"fuse=character special file a:e5 640 1:2\n",
		"forward=1\n",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("output lacks %q", want)
		}
	}
	var uptime int
	for _, line := range strings.Split(got, "\n") {
		fmt.Sscanf(line, "uptime=%d", &uptime)
	}
	if uptime < 1000000 {
		t.Errorf("uptime %d: the boottime offset is missing", uptime)
	}
	mounts := map[string][]string{}
	for _, line := range strings.Split(got, "\n") {
		f := strings.Fields(line)
		if len(f) > 6 && strings.HasPrefix(f[4], "/") {
			mounts[f[4]] = f
		}
	}
	for dest, want := range map[string]string{
		"/tmp/test-shared":  "shared:",
		"/mnt/etc-slave":    "nosuid master:",
		"/mnt/etc-rprivate": "ro,",
	} {
		if !strings.Contains(strings.Join(mounts[dest], " "), want) {
			t.Errorf("mount %s is %v, want %q in it", dest, mounts[dest], want)
		}
	}
}

// TestRunRootlessDefaultSpec runs the rootless default spec: a user
// namespace mapping the caller to root, the host's /sys bound read-only.
func TestRunRootlessDefaultSpec(t *testing.T) {
	testutil.RequireRoot(t)
	s := DefaultSpec(true)
	s.Root.Path = testutil.BusyboxRootfs(t)
	s.Process.Terminal = false
	s.Process.Args = []string{"/bin/sh", "-c", strings.Join([]string{
		`echo "uidmap=$(cat /proc/self/uid_map | tr -s ' ')"`,
		`grep -q '^proc /proc proc ' /proc/mounts && echo proc=mounted`,
		`test -c /dev/null && echo > /dev/null && echo devnull=ok`,
		`if touch /sys/x 2>/dev/null; then echo sys=rw; else echo sys=ro; fi`,
		`echo "keys=$(wc -c < /proc/keys)"`,
	}, "; ")}
	got := runSpec(t, "rootless", s)
	for _, want := range []string{
		fmt.Sprintf("uidmap= 0 %d 1\n", os.Geteuid()),
		"proc=mounted\n", "devnull=ok\n", "sys=ro\n", "keys=0\n",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("output lacks %q", want)
		}
	}
}
