package libct_test

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/libct/libct"
	"github.com/libct/libct/internal/testutil"
)

var nsFiles = []struct {
	ns   libct.Namespaces
	file string
}{
	{libct.NewMount, "mnt"}, {libct.NewUTS, "uts"}, {libct.NewIPC, "ipc"}, {libct.NewPID, "pid"},
	{libct.NewNet, "net"}, {libct.NewUser, "user"}, {libct.NewCgroup, "cgroup"}, {libct.NewTime, "time"},
}

// nsScript prints "name link" for every namespace of the shell's process.
// pid and time show the namespace of the process itself, not of its
// children.
const nsScript = `for n in mnt uts ipc pid net user cgroup time; do echo "$n $(readlink /proc/self/ns/$n)"; done`

// TestNamespaceMask starts containers with various clone masks and checks,
// from inside, that exactly the asked namespaces differ from the caller's.
func TestNamespaceMask(t *testing.T) {
	s := newSession(t)
	for _, tc := range []struct {
		name string
		ns   libct.Namespaces
	}{
		{"none", 0},
		{"uts", libct.NewUTS},
		{"ipc and net", libct.NewIPC | libct.NewNet},
		{"pid and mnt", libct.NewPID | libct.NewMount},
		{"cgroup", libct.NewCgroup},
		{"time", libct.NewTime},
		{"user", libct.NewUser},
		{"all", libct.NewMount | libct.NewUTS | libct.NewIPC | libct.NewPID | libct.NewNet | libct.NewUser | libct.NewCgroup | libct.NewTime},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// The host's /bin/sh and /proc serve: no root of its own.
			out := mustRun(t, s, &libct.Config{Namespaces: tc.ns}, sh(nsScript))
			inside := map[string]string{}
			for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
				name, link, _ := strings.Cut(line, " ")
				inside[name] = link
			}
			for _, n := range nsFiles {
				host := nsLink(t, os.Getpid(), n.file)
				differs := inside[n.file] != host
				if differs != tc.ns.Has(n.ns) {
					t.Errorf("%s namespace: inside %s, host %s; asked for a new one: %t", n.file, inside[n.file], host, tc.ns.Has(n.ns))
				}
			}
		})
	}
}

func TestPIDNamespaceInitIsOne(t *testing.T) {
	s := newSession(t)
	out := mustRun(t, s, busybox(t), sh(`echo $$; exec ps -o pid,comm`))
	if f := strings.Fields(out); len(f) != 5 || f[0] != "1" || f[3] != "1" || f[4] != "ps" {
		t.Errorf("inside a pid namespace: %q; want the shell as pid 1, then ps alone as pid 1", out)
	}
}

// TestJoinNamespaces joins the namespaces of a running container by path
// (libct's set_nspath) and checks the new container is in those very ones.
func TestJoinNamespaces(t *testing.T) {
	s := newSession(t)
	holder := sleeper(t, s, &libct.Config{Namespaces: libct.NewNet | libct.NewIPC | libct.NewUTS | libct.NewPID | libct.NewCgroup})
	pid, _ := holder.Pid()
	for _, tc := range []struct {
		ns   libct.Namespaces
		file string
	}{
		{libct.NewNet, "net"}, {libct.NewIPC, "ipc"}, {libct.NewUTS, "uts"}, {libct.NewPID, "pid"}, {libct.NewCgroup, "cgroup"},
	} {
		t.Run(tc.file, func(t *testing.T) {
			path := fmt.Sprintf("/proc/%d/ns/%s", pid, tc.file)
			cfg := &libct.Config{NamespacePaths: map[libct.Namespaces]string{tc.ns: path}}
			out := mustRun(t, s, cfg, sh("readlink /proc/self/ns/"+tc.file))
			if want := nsLink(t, pid, tc.file); strings.TrimSpace(out) != want {
				t.Errorf("joined %s namespace is %q, want %q", tc.file, strings.TrimSpace(out), want)
			}
		})
	}
	// The caller's own threads are untouched by the joins.
	for _, f := range []string{"net", "ipc", "uts", "cgroup"} {
		if self, _ := os.Readlink("/proc/thread-self/ns/" + f); self != nsLink(t, os.Getpid(), f) {
			t.Errorf("caller thread left in another %s namespace: %s", f, self)
		}
	}
}

func TestJoinNamespaceErrors(t *testing.T) {
	s := newSession(t)
	for _, tc := range []struct {
		name  string
		paths map[libct.Namespaces]string
		ns    libct.Namespaces
		want  string
	}{
		{"missing file", map[libct.Namespaces]string{libct.NewNet: "/nonexistent/ns"}, 0, "no such file"},
		{"wrong kind", map[libct.Namespaces]string{libct.NewNet: "/proc/self/ns/ipc"}, 0, "is a ipc namespace, not net"},
		{"not a namespace", map[libct.Namespaces]string{libct.NewUTS: "/etc/hostname"}, 0, "not a namespace file"},
		{"created and joined", map[libct.Namespaces]string{libct.NewNet: "/proc/self/ns/net"}, libct.NewNet, "both created"},
		{"new user namespace with a joined mount one", map[libct.Namespaces]string{libct.NewMount: "/proc/self/ns/mnt"}, libct.NewUser, "join the user namespace too"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := s.Create(uniqueName(t), &libct.Config{Namespaces: tc.ns, NamespacePaths: tc.paths})
			var ce *libct.ConfigError
			if !errors.As(err, &ce) || !strings.HasPrefix(ce.Field, "namespacePaths[") || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Create = %v; want a ConfigError on namespacePaths containing %q", err, tc.want)
			}
		})
	}
}

// TestTimeNamespaceOffsets shifts the boot and monotonic clocks by 1000
// hours inside the container: /proc/uptime follows the boot clock.
func TestTimeNamespaceOffsets(t *testing.T) {
	s := newSession(t)
	offset := 1000 * time.Hour
	cfg := &libct.Config{Namespaces: libct.NewTime, TimeOffsets: libct.TimeOffsets{Monotonic: offset, Boottime: offset}}
	out := mustRun(t, s, cfg, sh("cut -d' ' -f1 /proc/uptime"))
	inside, err := strconv.ParseFloat(strings.TrimSpace(out), 64)
	if err != nil {
		t.Fatal(err)
	}
	host := hostUptime(t)
	if d := inside - host - offset.Seconds(); d < -5 || d > 5 {
		t.Errorf("uptime inside %.0fs, host %.0fs: offset %.0fs, want %.0fs", inside, host, inside-host, offset.Seconds())
	}

	// A Go function in a time namespace sees the offset too.
	cfg.TimeOffsets.Boottime = -time.Duration(host*float64(time.Second)) / 2
	cfg.TimeOffsets.Monotonic = cfg.TimeOffsets.Boottime
	out = mustRun(t, s, cfg, sh("cut -d' ' -f1 /proc/uptime"))
	if inside, _ := strconv.ParseFloat(strings.TrimSpace(out), 64); inside > host*0.6 {
		t.Errorf("negative offset: uptime inside %.0fs, host %.0fs", inside, host)
	}

	if _, err := s.Create(uniqueName(t), &libct.Config{TimeOffsets: libct.TimeOffsets{Boottime: time.Hour}}); !errors.Is(err, libct.ErrInvalidConfig) {
		t.Errorf("offsets without a time namespace: %v, want ErrInvalidConfig", err)
	}
}

func hostUptime(t testing.TB) float64 {
	data, err := os.ReadFile("/proc/uptime")
	if err != nil {
		t.Fatal(err)
	}
	v, err := strconv.ParseFloat(strings.Fields(string(data))[0], 64)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestParseNamespaces(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want libct.Namespaces
		err  string
	}{
		{"", 0, ""},
		{"mnt,pid", libct.NewMount | libct.NewPID, ""},
		{"mount, network,user", libct.NewMount | libct.NewNet | libct.NewUser, ""},
		{"mnt,uts,ipc,pid,net,user,cgroup,time", libct.NewMount | libct.NewUTS | libct.NewIPC | libct.NewPID | libct.NewNet | libct.NewUser | libct.NewCgroup | libct.NewTime, ""},
		{"mnt,bogus", 0, `unknown namespace "bogus"`},
	} {
		got, err := libct.ParseNamespaces(tc.in)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) || !errors.Is(err, libct.ErrInvalidConfig) {
				t.Errorf("ParseNamespaces(%q) error = %v, want %q", tc.in, err, tc.err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("ParseNamespaces(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
		}
		if back, _ := libct.ParseNamespaces(got.String()); back != got {
			t.Errorf("String() of %v does not parse back", got)
		}
	}
}

// TestLoopbackUp: a new network namespace comes with lo up.
func TestLoopbackUp(t *testing.T) {
	s := newSession(t)
	out := mustRun(t, s, &libct.Config{Namespaces: libct.NewNet}, sh("ip -o link show lo"))
	if !strings.Contains(out, "<LOOPBACK,UP,") {
		t.Errorf("lo inside a new network namespace: %s", out)
	}
}

// TestJoinUserAndMountNamespaces: a new container joins the user and
// network namespaces of a running one, through the enter stage, and makes
// its own mount, pid and uts namespaces inside the joined user namespace.
func TestJoinUserAndMountNamespaces(t *testing.T) {
	s := newSession(t)
	testutil.RequireEnterStage(t) // it joins a user namespace by path
	owner := busybox(t)
	owner.Namespaces |= libct.NewUser | libct.NewNet
	owner.UIDMappings = []libct.IDMap{{ContainerID: 0, HostID: 100000, Size: 65536}}
	owner.GIDMappings = owner.UIDMappings
	a := sleeper(t, s, owner)
	pid, _ := a.Pid()
	cfg := busybox(t)
	cfg.Hostname = "joiner"
	cfg.NamespacePaths = map[libct.Namespaces]string{
		libct.NewUser: fmt.Sprintf("/proc/%d/ns/user", pid),
		libct.NewNet:  fmt.Sprintf("/proc/%d/ns/net", pid),
	}
	out := mustRun(t, s, cfg, sh(nsScript+`; echo "uid $(id -u) pid $$ host $(hostname)"`))
	for _, n := range []string{"user", "net"} {
		if want := n + " " + nsLink(t, pid, n); !strings.Contains(out, want) {
			t.Errorf("missing %q in:\n%s", want, out)
		}
	}
	for _, n := range []string{"mnt", "uts"} {
		if strings.Contains(out, n+" "+nsLink(t, pid, n)) || strings.Contains(out, n+" "+nsLink(t, os.Getpid(), n)) {
			t.Errorf("%s namespace not new:\n%s", n, out)
		}
	}
	if !strings.Contains(out, "uid 0 pid 1 host joiner") {
		t.Errorf("inside:\n%s", out)
	}
	if _, err := s.Create(uniqueName(t), &libct.Config{Namespaces: libct.NewUser, NamespacePaths: map[libct.Namespaces]string{libct.NewMount: "/proc/self/ns/mnt"}}); !errors.Is(err, libct.ErrInvalidConfig) {
		t.Errorf("a new user namespace with a joined mount namespace: %v", err)
	}
}

// TestJoinUserNamespaceAndAnotherOwnersNetwork: a container joins a user
// namespace and a network namespace the host's user namespace owns, which
// is out of reach from inside the joined one: the stage joins the network
// namespace first. Enter joins both again the same way.
func TestJoinUserNamespaceAndAnotherOwnersNetwork(t *testing.T) {
	s := newSession(t)
	testutil.RequireEnterStage(t)
	owner := busybox(t)
	owner.Namespaces |= libct.NewUser
	owner.UIDMappings = []libct.IDMap{{ContainerID: 0, HostID: 100000, Size: 65536}}
	owner.GIDMappings = owner.UIDMappings
	a := sleeper(t, s, owner)
	pid, _ := a.Pid()
	cfg := busybox(t)
	cfg.Namespaces &^= libct.NewNet
	cfg.NamespacePaths = map[libct.Namespaces]string{
		libct.NewUser: fmt.Sprintf("/proc/%d/ns/user", pid),
		libct.NewNet:  "/proc/self/ns/net",
	}
	want := "user " + nsLink(t, pid, "user") + "\nnet " + nsLink(t, os.Getpid(), "net") + "\n"
	script := `echo "user $(readlink /proc/self/ns/user)"; echo "net $(readlink /proc/self/ns/net)"`
	if out := mustRun(t, s, cfg, sh(script)); out != want {
		t.Errorf("run: %q, want %q", out, want)
	}
	b := sleeper(t, s, cfg)
	r, w := pipe(t)
	task, err := b.Enter(&libct.Process{Args: []string{"/bin/sh", "-c", script}, Stdout: w, Stderr: w})
	if err != nil {
		t.Fatal(err)
	}
	w.Close()
	if st, err := task.Wait(); err != nil || st != (libct.ExitStatus{}) {
		t.Errorf("entered task: %v, %v", st, err)
	}
	if out := readAll(t, r); out != want {
		t.Errorf("enter: %q, want %q", out, want)
	}
}
