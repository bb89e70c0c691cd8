package libct_test

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/libct/libct"
	"github.com/libct/libct/internal/testutil"
	"github.com/libct/libct/security"
)

// capMask is the /proc/PID/status hex form of a set of capabilities.
func capMask(t testing.TB, names ...string) string {
	var m uint64
	for _, n := range names {
		nr, ok := security.CapabilityNumber(n)
		if !ok {
			t.Fatalf("unknown capability %s", n)
		}
		m |= 1 << nr
	}
	return fmt.Sprintf("%016x", m)
}

// TestCapabilities: a container whose sets lack CAP_CHOWN and
// CAP_SYS_ADMIN cannot chown or set its hostname, and /proc/self/status
// shows exactly the configured sets.
func TestCapabilities(t *testing.T) {
	s := newSession(t)
	names := []string{"CAP_KILL", "CAP_SETUID", "CAP_SETGID", "CAP_NET_RAW"}
	cfg := busybox(t)
	cfg.Security.Capabilities = &libct.Capabilities{Bounding: names, Effective: names, Permitted: names}
	out, st := run(t, s, cfg, sh(`
		touch /tmp/f; chown 1 /tmp/f 2>&1 || echo chown-refused
		hostname other 2>&1 || echo hostname-refused
		grep ^Cap /proc/self/status`))
	if st.Code != 0 {
		t.Fatalf("%v\n%s", st, out)
	}
	want := capMask(t, names...)
	for _, line := range []string{"chown-refused", "hostname-refused", "CapInh:\t0000000000000000",
		"CapPrm:\t" + want, "CapEff:\t" + want, "CapBnd:\t" + want, "CapAmb:\t0000000000000000"} {
		if !strings.Contains(out, line) {
			t.Errorf("missing %q in:\n%s", line, out)
		}
	}

	// The default set: chown works, sethostname does not.
	out = mustRun(t, s, busybox(t), sh(`touch /tmp/f; chown 1 /tmp/f && echo chown-ok; hostname other 2>/dev/null || echo hostname-refused; grep ^CapBnd /proc/self/status`))
	def := security.DefaultCapabilities()
	for _, line := range []string{"chown-ok", "hostname-refused", "CapBnd:\t" + capMask(t, def.Bounding...)} {
		if !strings.Contains(out, line) {
			t.Errorf("default set: missing %q in:\n%s", line, out)
		}
	}
}

// TestAmbientCapabilities: a non-root user keeps an ambient capability
// across exec.
func TestAmbientCapabilities(t *testing.T) {
	s := newSession(t)
	caps := []string{"CAP_NET_BIND_SERVICE"}
	cfg := busybox(t)
	cfg.Security.Capabilities = &libct.Capabilities{Bounding: caps, Effective: caps, Permitted: caps, Inheritable: caps, Ambient: caps}
	out := mustRun(t, s, cfg, &libct.Process{Args: []string{"/bin/sh", "-c", "id -u; grep -E '^Cap(Eff|Amb)' /proc/self/status"}, User: "1000:1000"})
	want := capMask(t, caps...)
	if !strings.Contains(out, "1000\n") || !strings.Contains(out, "CapEff:\t"+want) || !strings.Contains(out, "CapAmb:\t"+want) {
		t.Errorf("ambient capability as uid 1000:\n%s", out)
	}
}

func TestNoNewPrivileges(t *testing.T) {
	s := newSession(t)
	cfg := busybox(t)
	cfg.Security.NoNewPrivileges = true
	if out := mustRun(t, s, cfg, sh("grep NoNewPrivs /proc/self/status")); !strings.Contains(out, "NoNewPrivs:\t1") {
		t.Errorf("no_new_privs: %s", out)
	}
}

func denyMkdir() *libct.Seccomp {
	eperm := uint(syscall.EPERM)
	return &libct.Seccomp{
		DefaultAction: specs.ActAllow,
		Architectures: []specs.Arch{specs.ArchX86_64},
		Syscalls: []specs.LinuxSyscall{{
			Names: []string{"mkdir", "mkdirat"}, Action: specs.ActErrno, ErrnoRet: &eperm,
		}},
	}
}

// TestSeccomp: a profile denying mkdir with EPERM leaves other calls
// working, and a process entered later gets the same filter.
func TestSeccomp(t *testing.T) {
	s := newSession(t)
	cfg := busybox(t)
	cfg.Security.Seccomp = denyMkdir()
	c, err := s.Create(uniqueName(t), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Destroy()
	r, w := pipe(t)
	if err := c.Spawn(&libct.Process{Args: []string{"/bin/sh", "-c", "mkdir /tmp/d 2>&1; touch /tmp/f && echo touch-ok; exec sleep 100"}, Stdout: w, Stderr: w}); err != nil {
		t.Fatal(err)
	}
	w.Close()
	if out := readUntil(r, "touch-ok"); !strings.Contains(out, "Operation not permitted") || !strings.Contains(out, "touch-ok") {
		t.Errorf("init under the profile:\n%s", out)
	}
	testutil.RequireEnterStage(t) // the rest enters a container with a mount namespace
	er, ew := pipe(t)
	task, err := c.Enter(&libct.Process{Args: []string{"/bin/sh", "-c", "mkdir /tmp/e 2>&1; grep Seccomp: /proc/self/status"}, Stdout: ew, Stderr: ew})
	if err != nil {
		t.Fatal(err)
	}
	ew.Close()
	task.Wait()
	if out := readAll(t, er); !strings.Contains(out, "Operation not permitted") || !strings.Contains(out, "Seccomp:\t2") {
		t.Errorf("entered process:\n%s", out)
	}
}

// TestSeccompNotify: the listener of a SCMP_ACT_NOTIFY rule reaches the
// caller, who answers the container's mkdir with EXDEV.
func TestSeccompNotify(t *testing.T) {
	s := newSession(t)
	cfg := busybox(t)
	cfg.Security.Seccomp = &libct.Seccomp{
		DefaultAction: specs.ActAllow,
		Architectures: []specs.Arch{specs.ArchX86_64},
		Syscalls:      []specs.LinuxSyscall{{Names: []string{"mkdir", "mkdirat"}, Action: specs.ActNotify}},
	}
	cfg.Security.NoNewPrivileges = true
	c, err := s.Create(uniqueName(t), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Destroy()
	r, w := pipe(t)
	if err := c.Spawn(&libct.Process{Args: []string{"/bin/sh", "-c", "mkdir /tmp/d 2>&1; test -d /tmp/d || echo no-dir"}, Stdout: w, Stderr: w}); err != nil {
		t.Fatal(err)
	}
	w.Close()
	listener := c.SeccompListener()
	if listener == nil {
		t.Fatal("no seccomp listener")
	}
	defer listener.Close()
	n, err := security.NotifyReceive(int(listener.Fd()))
	if err != nil {
		t.Fatal(err)
	}
	if err := security.NotifyRespond(int(listener.Fd()), n.ID, 0, syscall.EXDEV); err != nil {
		t.Fatal(err)
	}
	c.Wait()
	if out := readAll(t, r); !strings.Contains(out, "Invalid cross-device link") || !strings.Contains(out, "no-dir") {
		t.Errorf("container:\n%s", out)
	}
}

// TestDefaultSeccompProfile: a shell works under the default profile and
// what the profile denies (unshare, mount) is refused.
func TestDefaultSeccompProfile(t *testing.T) {
	s := newSession(t)
	cfg := busybox(t)
	p, err := libct.SeccompProfile("default")
	if err != nil {
		t.Fatal(err)
	}
	cfg.Security.Seccomp = p
	out := mustRun(t, s, cfg, sh("ls / >/dev/null && echo shell-ok; unshare -m true 2>&1 || echo unshare-refused"))
	if !strings.Contains(out, "shell-ok") || !strings.Contains(out, "unshare-refused") {
		t.Errorf("default profile:\n%s", out)
	}
}

// TestSymlinkSwapDuringStart: a pre-mount action swaps the destination
// directory for a symlink to a host directory just before the mount; the
// mount never lands outside the root.
func TestSymlinkSwapDuringStart(t *testing.T) {
	s := newSession(t)
	hostDir := t.TempDir()
	cfg := busybox(t)
	os.Mkdir(filepath.Join(cfg.Root, "data"), 0o755)
	cfg.Mounts = []libct.Mount{{
		Source: "tmpfs", Destination: "/data", Type: "tmpfs",
		PreAction: []string{"/bin/sh", "-c", "rmdir $LIBCT_ROOT/data && ln -s " + hostDir + " $LIBCT_ROOT/data"},
	}}
	mounts := len(mountPoints(t, hostDir))
	c, err := s.Create(uniqueName(t), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Destroy()
	err = c.Spawn(&libct.Process{Args: []string{"sleep", "100"}})
	if err == nil {
		pid, _ := c.Pid()
		if n := len(mountPoints(t, hostDir)); n != mounts {
			t.Errorf("a mount landed on the host directory")
		}
		// The symlink resolves inside the root, as chroot would: the tmpfs
		// is at the host directory's path under the container's root.
		var fs unix.Statfs_t
		inRoot := fmt.Sprintf("/proc/%d/root%s", pid, hostDir)
		if err := unix.Statfs(inRoot, &fs); err != nil || fs.Type != unix.TMPFS_MAGIC {
			t.Errorf("the tmpfs is not at %s inside the root (%v, type %#x)", hostDir, err, fs.Type)
		}
		return
	}
	if !strings.Contains(err.Error(), "mounts[0].destination") {
		t.Errorf("Spawn = %v; want a refusal naming mounts[0].destination", err)
	}
}

func mountPoints(t testing.TB, under string) []string {
	data, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, line := range strings.Split(string(data), "\n") {
		if f := strings.Fields(line); len(f) > 4 && strings.HasPrefix(f[4], under) {
			out = append(out, f[4])
		}
	}
	return out
}

// TestHostBinaryUnchanged: a process entered into a prepared container,
// whose init is still the libct binary, tries to write it through
// /proc/1/exe; the host's binary keeps its checksum.
func TestHostBinaryUnchanged(t *testing.T) {
	s := newSession(t)
	testutil.RequireEnterStage(t) // it enters a container with a mount namespace
	before := fileSum(t, os.Args[0])
	c, err := s.Create(uniqueName(t), busybox(t))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Destroy()
	if err := c.Prepare(&libct.Process{Args: []string{"true"}}); err != nil {
		t.Fatal(err)
	}
	r, w := pipe(t)
	task, err := c.Enter(&libct.Process{Args: []string{"/bin/sh", "-c", "readlink /proc/1/exe; echo x >> /proc/1/exe && echo WROTE; cat /proc/1/exe > /proc/1/exe && echo WROTE"}, Stdout: w, Stderr: w})
	if err != nil {
		t.Fatal(err)
	}
	w.Close()
	task.Wait()
	out := readAll(t, r)
	if strings.Contains(out, "WROTE") {
		t.Errorf("wrote into the init's binary:\n%s", out)
	}
	if after := fileSum(t, os.Args[0]); after != before {
		t.Errorf("the host binary changed")
	}
}

func fileSum(t testing.TB, path string) [32]byte {
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return sha256.Sum256(data)
}

func TestSecurityErrors(t *testing.T) {
	s := newSession(t)
	bogus := specs.LinuxSeccompAction("SCMP_ACT_BOGUS")
	for _, tc := range []struct {
		name string
		sec  libct.Security
		want string
	}{
		{"unknown capability", libct.Security{Capabilities: &libct.Capabilities{Bounding: []string{"CAP_FOO"}}}, `capabilities.bounding[0] "CAP_FOO"`},
		{"unknown seccomp action", libct.Security{Seccomp: &libct.Seccomp{DefaultAction: bogus}}, "seccomp.defaultAction"},
		{"unknown seccomp operator", libct.Security{Seccomp: &libct.Seccomp{DefaultAction: specs.ActAllow, Syscalls: []specs.LinuxSyscall{{
			Names: []string{"read"}, Action: specs.ActErrno, Args: []specs.LinuxSeccompArg{{Index: 0, Op: "SCMP_CMP_BOGUS"}}}}}}, "seccomp.syscalls[0].args[0].op"},
		{"LSM the host lacks", libct.Security{Labels: libct.Labels{AppArmorProfile: "p"}}, "apparmorProfile"},
		{"OOM score out of range", libct.Security{OOMScoreAdj: ptr(2000)}, "oomScoreAdj"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.name == "LSM the host lacks" && security.DetectLSMs().AppArmor {
				t.Skip("this host has AppArmor")
			}
			_, err := s.Create(uniqueName(t), &libct.Config{Security: tc.sec})
			var ce *libct.ConfigError
			if !errors.As(err, &ce) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Create = %v; want a ConfigError naming %q", err, tc.want)
			}
		})
	}
}

func ptr[T any](v T) *T { return &v }
