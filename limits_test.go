package libct_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/libct/libct"
)

// shown is how an error shows a value of n bytes of c: cut, with its
// length (internal/quote).
func shown(c byte, n int) string {
	return fmt.Sprintf(`"%s…" (%d bytes)`, strings.Repeat(string(c), 64), n)
}

// TestOversizedFieldsRefused gives values the kernel cannot take, each in
// one field, and checks that they are refused before anything is created,
// with a *ConfigError naming the field, the value cut, and the message
// short; and that nothing is left behind.
func TestOversizedFieldsRefused(t *testing.T) {
	s := newSession(t)
	warmUp(t, s)
	big := func(c byte, n int) string { return strings.Repeat(string(c), n) }
	longPath := "/" + big('p', 5000)
	for _, tc := range []struct {
		name string
		// cfg changes a busybox config; proc, when set, is spawned in it
		// and must be the one refused.
		cfg   func(*libct.Config)
		proc  *libct.Process
		field string
		// show is how the message must show the value ("" when the
		// message shows none).
		show string
	}{
		{
			name:  "hostname of 100 KB",
			cfg:   func(c *libct.Config) { c.Hostname = big('h', 100000) },
			field: "hostname", show: shown('h', 100000),
		},
		{
			name:  "hostname of HOST_NAME_MAX+1 bytes",
			cfg:   func(c *libct.Config) { c.Hostname = big('h', 65) },
			field: "hostname", show: shown('h', 65),
		},
		{
			name:  "domainname with a NUL",
			cfg:   func(c *libct.Config) { c.Domainname = "a\x00b" },
			field: "domainname", show: `"a\x00b"`,
		},
		{
			name:  "root longer than PATH_MAX",
			cfg:   func(c *libct.Config) { c.Root = longPath },
			field: "root", show: `"/` + big('p', 63) + `…" (5001 bytes)`,
		},
		{
			name: "mount destination longer than PATH_MAX",
			cfg: func(c *libct.Config) {
				c.Mounts = []libct.Mount{{Source: "tmpfs", Type: "tmpfs", Destination: "/tmp"},
					{Source: "tmpfs", Type: "tmpfs", Destination: longPath}}
			},
			field: "mounts[1].destination",
		},
		{
			name: "mount source of 100 KB",
			cfg: func(c *libct.Config) {
				c.Mounts = []libct.Mount{{Source: big('s', 100000), Destination: "/mnt", Flags: libct.MountBind}}
			},
			field: "mounts[0].source", show: shown('s', 100000),
		},
		{
			name: "mount options longer than a page",
			cfg: func(c *libct.Config) {
				c.Mounts = []libct.Mount{{Source: "tmpfs", Type: "tmpfs", Destination: "/tmp", Data: big('o', 100000)}}
			},
			field: "mounts[0].data", show: shown('o', 100000),
		},
		{
			name:  "masked path longer than PATH_MAX",
			cfg:   func(c *libct.Config) { c.MaskedPaths = []string{"/proc/kcore", longPath} },
			field: "maskedPaths[1]",
		},
		{
			name:  "read-only path with a NUL",
			cfg:   func(c *libct.Config) { c.ReadonlyPaths = []string{"/proc/sys\x00/x"} },
			field: "readonlyPaths[0]",
		},
		{
			name: "sysctl value of 100 KB",
			cfg: func(c *libct.Config) {
				c.Namespaces |= libct.NewNet
				c.Sysctl = map[string]string{"net.ipv4.ip_forward": big('1', 100000)}
			},
			field: `sysctl["net.ipv4.ip_forward"]`, show: shown('1', 100000),
		},
		{
			name: "hook argument over MAX_ARG_STRLEN",
			cfg: func(c *libct.Config) {
				c.Hooks.Prestart = []libct.Hook{{Path: "/bin/true", Args: []string{"true", big('x', 200000)}}}
			},
			field: "hooks.prestart[0].args[1]", show: shown('x', 200000),
		},
		{
			name:  "env string over MAX_ARG_STRLEN",
			proc:  &libct.Process{Args: []string{"/bin/true"}, Env: []string{"BIG=" + big('e', 200000)}},
			field: "process.env[0]", show: `"BIG=` + big('e', 60) + `…" (200004 bytes)`,
		},
		{
			name:  "argument over MAX_ARG_STRLEN",
			proc:  &libct.Process{Args: []string{"/bin/echo", big('a', 131072)}},
			field: "process.args[1]", show: shown('a', 131072),
		},
		{
			name:  "program path longer than PATH_MAX",
			proc:  &libct.Process{Args: []string{longPath}},
			field: "process.args[0]",
		},
		{
			name:  "argument with a NUL",
			proc:  &libct.Process{Args: []string{"/bin/echo", "a\x00b"}},
			field: "process.args[1]", show: `"a\x00b"`,
		},
		{
			// 20 strings of 120 KB are 2.4 MB: over the 2 MiB an 8 MiB
			// stack limit allows.
			name: "args and env over what execve takes",
			proc: &libct.Process{Args: []string{"/bin/true"}, Env: repeatEnv(20, 120000),
				Rlimits: []libct.Rlimit{{Type: "RLIMIT_STACK", Soft: 8 << 20, Hard: 8 << 20}}},
			field: "process.args",
		},
		{
			// The stack limit the process sets for itself is what its
			// execve sees: a quarter of 256 KiB is below ARG_MAX, so
			// 128 KiB.
			name: "env over ARG_MAX with a small stack limit",
			proc: &libct.Process{Args: []string{"/bin/true"}, Env: repeatEnv(2, 100000),
				Rlimits: []libct.Rlimit{{Type: "STACK", Soft: 256 << 10, Hard: 256 << 10}}},
			field: "process.args",
		},
		{
			name:  "working directory longer than PATH_MAX",
			proc:  &libct.Process{Args: []string{"/bin/true"}, Dir: longPath},
			field: "process.dir",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			leaks := newLeakCheck(t)
			cfg := busybox(t)
			if tc.cfg != nil {
				tc.cfg(cfg)
			}
			name := uniqueName(t)
			c, err := s.Create(name, cfg)
			if tc.proc != nil {
				if err != nil {
					t.Fatalf("Create: %v", err)
				}
				err = c.Spawn(tc.proc)
			}
			var ce *libct.ConfigError
			if !errors.As(err, &ce) || !errors.Is(err, libct.ErrInvalidConfig) {
				t.Fatalf("error %v (%T) is no ConfigError", err, err)
			}
			msg := err.Error()
			if ce.Field != tc.field || !strings.HasPrefix(msg, tc.field+" ") && !strings.HasPrefix(msg, tc.field+":") {
				t.Errorf("error %q names field %q, want %q", msg, ce.Field, tc.field)
			}
			if tc.show != "" && !strings.Contains(msg, tc.show) {
				t.Errorf("error %q does not show the value as %s", msg, tc.show)
			}
			if len(msg) > 400 {
				t.Errorf("error of %d bytes: %.500s", len(msg), msg)
			}
			leaks.verify(t)
			checkRefusedLeftNothing(t, s, c, name, tc.proc != nil, true)
		})
	}
}

// repeatEnv is n environment strings E0=xxx..., each of size bytes.
func repeatEnv(n, size int) []string {
	env := make([]string, n)
	for i := range env {
		prefix := fmt.Sprintf("E%d=", i)
		env[i] = prefix + strings.Repeat("v", size-len(prefix))
	}
	return env
}

// TestLargeSpecStarts starts containers whose spec is far larger than a
// datagram of the control socket can be (its send buffer, 208 KiB by
// default), with each init: the spec travels in a memfd, and the program
// sees every byte of its environment.
func TestLargeSpecStarts(t *testing.T) {
	s := newSession(t)
	warmUp(t, s)
	value := strings.Repeat("0123456789", 10000) // 100 KB, under MAX_ARG_STRLEN
	for _, tc := range []struct {
		name string
		env  []string
		// want is what the script prints: the length of $BIG, its
		// ends, and how many E<n> variables it has.
		want string
	}{
		{
			name: "one env value of 100 KB",
			env:  []string{"BIG=" + value},
			want: "100000 0123456789 0123456789 0\n",
		},
		{
			// MAX_ARG_STRLEN with its NUL: the longest string execve takes.
			name: "one env string of MAX_ARG_STRLEN-1 bytes",
			env:  []string{"BIG=" + strings.Repeat("0123456789", 13106) + "0123456"},
			want: "131067 0123456789 7890123456 0\n",
		},
		{
			// 1.5 MB in all, past any default send buffer.
			name: "fifteen env values of 100 KB",
			env:  append(repeatEnv(14, 100000), "BIG="+value),
			want: "100000 0123456789 0123456789 14\n",
		},
	} {
		for _, goInit := range []bool{false, true} {
			initName := "C init"
			if goInit {
				initName = "Go init"
			}
			t.Run(tc.name+"/"+initName, func(t *testing.T) {
				if goInit {
					t.Setenv("LIBCT_INIT", "go")
				}
				leaks := newLeakCheck(t)
				cfg := busybox(t)
				cfg.Hostname = "large"
				p := sh(`echo ${#BIG} ${BIG:0:10} ${BIG: -10} $(env | grep -c '^E[0-9]*=')`)
				p.Env = append([]string{"PATH=/bin"}, tc.env...)
				out := mustRun(t, s, cfg, p)
				if out != tc.want {
					t.Errorf("the program printed %q, want %q", out, tc.want)
				}
				leaks.verify(t)
			})
		}
	}
}

// TestLargeHookStateStarts: the state document a start's hooks read goes
// to the init in its spec; a 300 KB annotation makes it larger than a
// datagram can be, and the hook still reads all of it.
func TestLargeHookStateStarts(t *testing.T) {
	s := newSession(t)
	warmUp(t, s)
	for _, goInit := range []bool{false, true} {
		t.Run(fmt.Sprintf("goInit=%v", goInit), func(t *testing.T) {
			if goInit {
				t.Setenv("LIBCT_INIT", "go")
			}
			leaks := newLeakCheck(t)
			counted := filepath.Join(t.TempDir(), "state-bytes")
			cfg := busybox(t)
			cfg.Annotations = map[string]string{"big": strings.Repeat("a", 300000)}
			cfg.Hooks.Prestart = []libct.Hook{{Path: "/bin/sh", Args: []string{"sh", "-c", "wc -c > " + counted}}}
			mustRun(t, s, cfg, sh("true"))
			data, err := os.ReadFile(counted)
			if err != nil {
				t.Fatal(err)
			}
			var n int
			if _, err := fmt.Sscan(string(data), &n); err != nil || n < 300000 {
				t.Errorf("the hook read %q bytes of state, want more than 300000", data)
			}
			leaks.verify(t)
		})
	}
}

// TestLargeSpecEnter: an entered process's spec goes to its init as a
// start's does; 1.5 MB of environment reaches it too, with either init.
func TestLargeSpecEnter(t *testing.T) {
	s := newSession(t)
	// No mount namespace: entering one needs the enter stage, which a
	// build without cgo lacks; the root is a chroot then.
	cfg := busybox(t)
	cfg.Namespaces = libct.NewPID | libct.NewUTS | libct.NewIPC
	c := sleeper(t, s, cfg)
	env := append(repeatEnv(14, 100000), "BIG="+strings.Repeat("0123456789", 10000), "PATH=/bin")
	for _, goInit := range []bool{false, true} {
		t.Run(fmt.Sprintf("goInit=%v", goInit), func(t *testing.T) {
			if goInit {
				t.Setenv("LIBCT_INIT", "go")
			}
			r, w := pipe(t)
			p := sh(`echo ${#BIG} $(env | grep -c '^E[0-9]*=')`)
			p.Env, p.Stdout, p.Stderr = env, w, w
			task, err := c.Enter(p)
			w.Close()
			if err != nil {
				t.Fatal(err)
			}
			if st, err := task.Wait(); err != nil || st != (libct.ExitStatus{}) {
				t.Errorf("entered task: %v, %v", st, err)
			}
			if out := readAll(t, r); out != "100000 14\n" {
				t.Errorf("the entered process printed %q, want %q", out, "100000 14\n")
			}
		})
	}
}

// TestStartErrorCutsValues: a failure inside the init quotes the value it
// failed on cut, as the parent's errors do, with either init.
func TestStartErrorCutsValues(t *testing.T) {
	s := newSession(t)
	warmUp(t, s)
	program := "/nope/" + strings.Repeat("n", 200)
	want := `exec "/nope/` + strings.Repeat("n", 58) + `…" (206 bytes): no such file or directory`
	for _, goInit := range []bool{false, true} {
		t.Run(fmt.Sprintf("goInit=%v", goInit), func(t *testing.T) {
			if goInit {
				t.Setenv("LIBCT_INIT", "go")
			}
			leaks := newLeakCheck(t)
			c, err := s.Create(uniqueName(t), busybox(t))
			if err != nil {
				t.Fatal(err)
			}
			defer c.Destroy()
			err = c.Spawn(&libct.Process{Args: []string{program}})
			var se *libct.StartError
			if !errors.As(err, &se) || se.Step != "exec" || !strings.HasSuffix(err.Error(), want) {
				t.Errorf("error %q, want a StartError of step exec ending in %q", err, want)
			}
			expectState(t, c, libct.Stopped)
			leaks.verify(t)
		})
	}
}
