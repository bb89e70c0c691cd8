package libct_test

import (
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/libct/libct"
)

func TestAutoProc(t *testing.T) {
	s := newSession(t)
	for _, tc := range []struct {
		name    string
		ns      libct.Namespaces
		options libct.Options
		want    string
	}{
		{"pid and mount namespaces", containerNS, 0, "proc-mounted"},
		{"switched off", containerNS, libct.NoAutoProc, "no-proc"},
		{"no pid namespace", containerNS &^ libct.NewPID, 0, "no-proc"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := busybox(t)
			cfg.Namespaces, cfg.Options = tc.ns, tc.options
			out := mustRun(t, s, cfg, sh(`test -e /proc/self/stat && echo proc-mounted || echo no-proc`))
			if strings.TrimSpace(out) != tc.want {
				t.Errorf("got %q, want %q", out, tc.want)
			}
		})
	}
}

// TestMinimalDev checks the /dev a container with a root gets: every node
// there and usable, its own devpts, and the node added with AddDevNode.
func TestMinimalDev(t *testing.T) {
	s := newSession(t)
	c, err := s.Create(uniqueName(t), busybox(t))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Destroy()
	if err := c.AddDevNode("/dev/mynull", os.ModeDevice|os.ModeCharDevice|0o666, 1, 3); err != nil {
		t.Fatal(err)
	}
	out, st, err := spawnAndWait(c, sh(`
		for n in null zero full random urandom tty; do
			test -c /dev/$n && echo "$n $(stat -c '%t:%T %a' /dev/$n)"
		done
		echo hidden > /dev/null && echo null-writable
		test "$(head -c 8 /dev/zero | wc -c)" = 8 && echo zero-readable
		test "$(head -c 8 /dev/urandom | wc -c)" = 8 && echo urandom-readable
		echo x > /dev/full 2>/dev/null || echo full-is-full
		for l in ptmx fd stdin stdout stderr; do readlink /dev/$l; done
		test -d /dev/pts && test -d /dev/shm && echo dirs
		awk '$5 == "/dev" || $5 == "/dev/pts" || $5 == "/dev/shm" {print $5, $9}' /proc/self/mountinfo
		echo hi > /dev/mynull && stat -c 'mynull %t:%T %a' /dev/mynull
		echo shm > /dev/shm/x && cat /dev/shm/x`))
	if err != nil || st.Code != 0 {
		t.Fatalf("container: %v %v\n%s", st, err, out)
	}
	for _, want := range []string{
		"null 1:3 666", "zero 1:5 666", "full 1:7 666", "random 1:8 666", "urandom 1:9 666", "tty 5:0 666",
		"null-writable", "zero-readable", "urandom-readable", "full-is-full",
		"pts/ptmx\n/proc/self/fd\n/proc/self/fd/0\n/proc/self/fd/1\n/proc/self/fd/2",
		"dirs", "/dev tmpfs", "/dev/pts devpts", "/dev/shm tmpfs",
		"mynull 1:3 666", "shm",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %q in:\n%s", want, out)
		}
	}
}

// TestDevptsIsPrivate: the container's devpts is its own instance, so the
// host's terminals are not in it.
func TestDevptsIsPrivate(t *testing.T) {
	s := newSession(t)
	ptmx, err := os.OpenFile("/dev/ptmx", os.O_RDWR, 0)
	if err != nil {
		t.Skipf("no host ptmx: %v", err)
	}
	defer ptmx.Close()
	out := mustRun(t, s, busybox(t), sh(`ls /dev/pts | tr '\n' ' '`))
	if strings.TrimSpace(out) != "ptmx" {
		t.Errorf("/dev/pts inside lists %q, want only ptmx", out)
	}
}

func TestHostnameAndDomainname(t *testing.T) {
	s := newSession(t)
	cfg := busybox(t)
	cfg.Hostname, cfg.Domainname = "box", "example.org"
	out := mustRun(t, s, cfg, sh(`hostname; cat /proc/sys/kernel/domainname`))
	if out != "box\nexample.org\n" {
		t.Errorf("got %q", out)
	}
	host, _ := os.Hostname()
	if host == "box" {
		t.Errorf("the host's name changed")
	}
	if _, err := s.Create(uniqueName(t), &libct.Config{Hostname: "x"}); err == nil || !strings.Contains(err.Error(), "hostname") {
		t.Errorf("hostname without a UTS namespace: %v", err)
	}
}

func TestSysctl(t *testing.T) {
	s := newSession(t)
	cfg := busybox(t)
	cfg.Namespaces |= libct.NewNet
	cfg.Sysctl = map[string]string{
		"kernel.shmmax":               "65536",
		"fs.mqueue.msg_max":           "20",
		"net.ipv4.ip_forward":         "1",
		"net/ipv4/conf/lo/forwarding": "1",
	}
	out := mustRun(t, s, cfg, sh(`cat /proc/sys/kernel/shmmax /proc/sys/fs/mqueue/msg_max /proc/sys/net/ipv4/ip_forward /proc/sys/net/ipv4/conf/lo/forwarding`))
	if out != "65536\n20\n1\n1\n" {
		t.Errorf("sysctls inside: %q", out)
	}
	if host, _ := os.ReadFile("/proc/sys/kernel/shmmax"); strings.TrimSpace(string(host)) == "65536" {
		t.Errorf("the host's kernel.shmmax changed")
	}
	for _, tc := range []struct {
		name, key string
		ns        libct.Namespaces
		want      string
	}{
		{"not namespaced", "vm.swappiness", containerNS | libct.NewNet, "not a namespaced sysctl"},
		{"ipc key without ipc namespace", "kernel.shmmax", libct.NewMount, "needs a ipc namespace"},
		{"net key without net namespace", "net.ipv4.ip_forward", containerNS, "needs a net namespace"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := s.Create(uniqueName(t), &libct.Config{Namespaces: tc.ns, Sysctl: map[string]string{tc.key: "1"}})
			var ce *libct.ConfigError
			if !errors.As(err, &ce) || !strings.Contains(ce.Field, tc.key) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Create = %v; want a ConfigError on sysctl[%q]: %q", err, tc.key, tc.want)
			}
		})
	}
}
