package libct_test

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/libct/libct"
	"github.com/libct/libct/internal/cinit"
	"github.com/libct/libct/internal/testutil"
)

// TestUserNamespaceMapping: with several mapped ranges the container's
// root is uid 0 inside and the mapped uid outside, as the host sees it.
func TestUserNamespaceMapping(t *testing.T) {
	s := newSession(t)
	cfg := busybox(t)
	cfg.Namespaces |= libct.NewUser
	cfg.UIDMappings = []libct.IDMap{{ContainerID: 0, HostID: 100000, Size: 1000}, {ContainerID: 1000, HostID: 200000, Size: 1000}}
	cfg.GIDMappings = []libct.IDMap{{ContainerID: 0, HostID: 100000, Size: 65536}}
	c, err := s.Create(uniqueName(t), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Destroy()
	outR, outW := pipe(t)
	if err := c.Spawn(&libct.Process{Args: []string{"/bin/sh", "-c", "id -u; id -G; cat /proc/self/uid_map; exec sleep 100"}, Stdout: outW, Stderr: outW}); err != nil {
		t.Fatal(err)
	}
	outW.Close()
	read := readUntil(outR, "200000")
	inside := read
	if !strings.HasPrefix(inside, "0\n0\n") || !strings.Contains(inside, "100000") || !strings.Contains(inside, "200000") {
		t.Errorf("inside:\n%s", inside)
	}
	pid, _ := c.Pid()
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(status), "\n") {
		if strings.HasPrefix(line, "Uid:") || strings.HasPrefix(line, "Gid:") {
			if f := strings.Fields(line); len(f) != 5 || f[1] != "100000" || f[2] != "100000" {
				t.Errorf("host sees %q, want the mapped id 100000", line)
			}
		}
	}
}

// TestUserNamespaceWithCgroup: a container with a user namespace of its
// own and a cgroup starts in its cgroup (the parent attaches its init:
// the init cannot write the host's cgroup files from its namespace).
func TestUserNamespaceWithCgroup(t *testing.T) {
	s := newSession(t)
	cfg := busybox(t)
	cfg.Namespaces |= libct.NewUser
	cfg.UIDMappings = []libct.IDMap{{ContainerID: 0, HostID: 100000, Size: 65536}}
	cfg.GIDMappings = cfg.UIDMappings
	cfg.Cgroup = &libct.Cgroup{}
	c, err := s.Create(uniqueName(t), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Destroy()
	if err := c.Spawn(&libct.Process{Args: []string{"sleep", "100"}}); err != nil {
		t.Fatal(err)
	}
	pids, err := c.Processes()
	if err != nil || len(pids) != 1 {
		t.Errorf("processes in the container's cgroup: %v, %v; want its init", pids, err)
	}
}

// TestUserNamespaceMappingErrors: maps the kernel would refuse are refused
// before anything is made, naming the field.
func TestUserNamespaceMappingErrors(t *testing.T) {
	s := newSession(t)
	for _, tc := range []struct {
		name  string
		uids  []libct.IDMap
		gids  []libct.IDMap
		ns    libct.Namespaces
		field string
	}{
		{"overlap inside", []libct.IDMap{{ContainerID: 0, HostID: 1000, Size: 10}, {ContainerID: 5, HostID: 2000, Size: 10}}, nil, libct.NewUser, "uidMappings[1]"},
		{"overlap outside", nil, []libct.IDMap{{ContainerID: 0, HostID: 1000, Size: 10}, {ContainerID: 100, HostID: 1005, Size: 10}}, libct.NewUser, "gidMappings[1]"},
		{"exceeds", []libct.IDMap{{ContainerID: 0, HostID: 4294967000, Size: 1000}}, nil, libct.NewUser, "uidMappings[0]"},
		{"empty range", []libct.IDMap{{ContainerID: 0, HostID: 1000, Size: 0}}, nil, libct.NewUser, "uidMappings[0].size"},
		{"no user namespace", []libct.IDMap{{ContainerID: 0, HostID: 1000, Size: 1}}, nil, 0, "uidMappings"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := s.Create(uniqueName(t), &libct.Config{Namespaces: tc.ns, UIDMappings: tc.uids, GIDMappings: tc.gids})
			var ce *libct.ConfigError
			if !errors.As(err, &ce) || ce.Field != tc.field {
				t.Fatalf("Create = %v; want a ConfigError on %s", err, tc.field)
			}
		})
	}
}

// TestRootless runs a container from a process that is not root on the
// host: its own uid mapped to root in a user namespace, no cgroups.
func TestRootless(t *testing.T) {
	testutil.RequireRoot(t)
	const uid = testutil.AliceUID
	rootfs := testutil.BusyboxRootfs(t)
	bin, state := rootlessBinary(t)
	cmd := exec.Command(bin, "-test.run=^TestHelperProcess$")
	cmd.Env = append(os.Environ(), helperEnv+"=rootless", "LIBCT_TEST_ROOT="+state, "LIBCT_TEST_NAME=rootless", "LIBCT_TEST_ROOTFS="+rootfs)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uid, Gid: uid}}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("rootless helper: %v\n%s", err, out)
	}
	// The helper ran as alice on the host; inside, root of its namespace.
	for _, want := range []string{"host-euid=1000", "inside-uid=0", "uid_map=0 1000 1", "hostname=rootless"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("missing %q in:\n%s", want, out)
		}
	}
}

// rootlessBinary gives alice a copy of the test binary she can run and a
// state root she can write.
func rootlessBinary(t testing.TB) (bin, state string) {
	dir, err := os.MkdirTemp("", "libct-rootless-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	os.Chmod(dir, 0o755)
	bin = filepath.Join(dir, "libct.test")
	if out, err := exec.Command("cp", os.Args[0], bin).CombinedOutput(); err != nil {
		t.Fatalf("copy test binary: %v %s", err, out)
	}
	state = filepath.Join(dir, "state")
	os.Mkdir(state, 0o700)
	os.Chown(state, testutil.AliceUID, testutil.AliceGID)
	return bin, state
}

// rootlessHelper is the body of TestRootless's helper process.
// With ranges, it maps alice's subordinate ids too and checks that a file
// made by the container's daemon user lands on a subordinate id.
func rootlessHelper(root, rootfs string, ranges bool) error {
	fmt.Printf("host-euid=%d\n", os.Geteuid())
	s, err := libct.Open("local", libct.WithRoot(root))
	if err != nil {
		return err
	}
	defer s.Close()
	cfg := &libct.Config{
		Namespaces: libct.NewUser | libct.NewMount | libct.NewPID | libct.NewUTS | libct.NewIPC | libct.NewNet,
		Root:       rootfs,
		Hostname:   "rootless",
	}
	script := `echo "inside-uid=$(id -u)"; echo "uid_map=$(cat /proc/self/uid_map | tr -s ' ' | sed 's/^ //' | tr '\n' ' ')"; echo "hostname=$(hostname)"; ls /dev/null /proc/self >/dev/null`
	if ranges {
		ids := []libct.IDMap{{ContainerID: 0, HostID: uint32(os.Geteuid()), Size: 1}, {ContainerID: 1, HostID: 300000, Size: 65536}}
		cfg.UIDMappings, cfg.GIDMappings = ids, ids
		script += `; echo "daemon-owned=$(su daemon -s /bin/sh -c 'touch /tmp/d; stat -c %u /tmp/d' 2>&1)"`
	}
	c, err := s.Create("rootless", cfg)
	if err != nil {
		return err
	}
	defer c.Destroy()
	out, st, err := spawnAndWait(c, sh(script))
	if err != nil {
		return err
	}
	fmt.Print(out)
	if st.Code != 0 {
		return fmt.Errorf("container %v", st)
	}
	return nil
}

// TestRootlessRanges maps ranges from /etc/subuid and /etc/subgid through
// newuidmap and newgidmap: the init gains the capabilities of its
// namespace's root by executing itself once more after the maps are in.
func TestRootlessRanges(t *testing.T) {
	testutil.RequireRoot(t)
	if _, err := exec.LookPath("newuidmap"); err != nil {
		t.Fatalf("newuidmap missing (Debian package uidmap, installed by make deps): %v", err)
	}
	for _, f := range []string{"/etc/subuid", "/etc/subgid"} {
		grantSubordinateIDs(t, f, "1000:300000:65536\n")
	}
	rootfs := testutil.BusyboxRootfs(t)
	bin, state := rootlessBinary(t)
	cmd := exec.Command(bin, "-test.run=^TestHelperProcess$")
	cmd.Env = append(os.Environ(), helperEnv+"=rootless-ranges", "LIBCT_TEST_ROOT="+state, "LIBCT_TEST_NAME=ranges", "LIBCT_TEST_ROOTFS="+rootfs)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: testutil.AliceUID, Gid: testutil.AliceGID}}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("rootless helper: %v\n%s", err, out)
	}
	for _, want := range []string{"host-euid=1000", "inside-uid=0", "uid_map=0 1000 1 1 300000 65536", "daemon-owned=1"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("missing %q in:\n%s", want, out)
		}
	}
}

// grantSubordinateIDs appends line to file for the test, and puts the
// file back as it was afterwards.
func grantSubordinateIDs(t testing.TB, file, line string) {
	old, err := os.ReadFile(file)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	if err := os.WriteFile(file, append(append([]byte(nil), old...), line...), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if old == nil {
			os.Remove(file)
			return
		}
		os.WriteFile(file, old, 0o644)
	})
}

// TestPrepareInUserNamespace: a container whose root is another host user
// is prepared and started in two steps (its init reopens the exec fifo as
// that user).
func TestPrepareInUserNamespace(t *testing.T) {
	s := newSession(t)
	cfg := busybox(t)
	cfg.Namespaces |= libct.NewUser
	cfg.UIDMappings = []libct.IDMap{{ContainerID: 0, HostID: 100000, Size: 65536}}
	cfg.GIDMappings = cfg.UIDMappings
	c, err := s.Create(uniqueName(t), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Destroy()
	if err := c.Prepare(sh("exit 5")); err != nil {
		t.Fatal(err)
	}
	expectState(t, c, libct.Created)
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	if st, err := c.Wait(); err != nil || st.Code != 5 {
		t.Errorf("Wait() = %v, %v", st, err)
	}
}

// TestUserNamespaceBindSourceOnlyHostRootReaches: in a user namespace, a
// bind source in a directory only the host's root may enter is mounted
// all the same (the parent opens it for the init), through either init.
func TestUserNamespaceBindSourceOnlyHostRootReaches(t *testing.T) {
	newSession(t) // root, or skip
	closed := t.TempDir()
	if err := os.Chmod(closed, 0o700); err != nil {
		t.Fatal(err)
	}
	src := filepath.Join(closed, "src")
	if err := os.Mkdir(src, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(src, "foo"), []byte("reached\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		useC bool
	}{{"C init", true}, {"Go init", false}} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := busybox(t)
			cfg.Namespaces |= libct.NewUser
			cfg.UIDMappings = []libct.IDMap{{ContainerID: 0, HostID: 100000, Size: 65536}}
			cfg.GIDMappings = []libct.IDMap{{ContainerID: 0, HostID: 100000, Size: 65536}}
			// The mount points exist: root in the namespace may not
			// write the host's root.
			if err := os.MkdirAll(filepath.Join(cfg.Root, "mnt", "a"), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(cfg.Root, "mnt", "b"), nil, 0o644); err != nil {
				t.Fatal(err)
			}
			cfg.Mounts = []libct.Mount{
				{Source: src, Destination: "/mnt/a", Flags: libct.MountBind},
				{Source: filepath.Join(src, "foo"), Destination: "/mnt/b", Flags: libct.MountBind | libct.MountReadOnly},
			}
			out, st, err, cInit := startWith(t, tc.useC, cfg, sh("cat /mnt/a/foo /mnt/b"))
			if err != nil || st != (libct.ExitStatus{}) || out != "reached\nreached\n" {
				t.Fatalf("cat = %q, %v, %v; want the source's content twice", out, st, err)
			}
			if want := tc.useC && cinit.Available; cInit != want {
				t.Errorf("the C init ran: %v, want %v", cInit, want)
			}
		})
	}
}
