package libct_test

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/libct/libct"
	"github.com/libct/libct/internal/testutil"
)

// testNames makes container names unique within one test binary.
var testNames atomic.Int64

func uniqueName(t testing.TB) string {
	n := strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' {
			return r
		}
		return '_'
	}, t.Name())
	if len(n) > 70 {
		n = n[:70]
	}
	return fmt.Sprintf("libct-%s-%d-%d", n, os.Getpid(), testNames.Add(1))
}

// newSession opens a local session on a fresh root, closed at the end of
// the test. It requires root.
func newSession(t testing.TB) *libct.Session {
	t.Helper()
	testutil.RequireRoot(t)
	s, err := libct.Open("local", libct.WithRoot(t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// containerNS is the namespace set most tests use with a busybox root.
const containerNS = libct.NewMount | libct.NewPID | libct.NewUTS | libct.NewIPC

// run creates a container from cfg, spawns p in it with stdout and stderr
// captured, waits for it and destroys it. It returns what the container
// printed and its exit status.
func run(t testing.TB, s *libct.Session, cfg *libct.Config, p *libct.Process) (string, libct.ExitStatus) {
	t.Helper()
	c, err := s.Create(uniqueName(t), cfg)
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	defer func() {
		if err := c.Destroy(); err != nil {
			t.Errorf("destroy: %v", err)
		}
	}()
	out, st, err := spawnAndWait(c, p)
	if err != nil {
		t.Fatalf("spawn: %v", err)
	}
	return out, st
}

// spawnAndWait spawns p in c with its stdout and stderr on a pipe, and
// returns what it printed and how it exited.
func spawnAndWait(c *libct.Container, p *libct.Process) (string, libct.ExitStatus, error) {
	r, w, err := os.Pipe()
	if err != nil {
		return "", libct.ExitStatus{}, err
	}
	defer r.Close()
	p.Stdout, p.Stderr = w, w
	err = c.Spawn(p)
	w.Close()
	if err != nil {
		return "", libct.ExitStatus{}, err
	}
	out, _ := io.ReadAll(r)
	st, err := c.Wait()
	return string(out), st, err
}

// sh is a Process running a busybox shell script.
func sh(script string) *libct.Process {
	return &libct.Process{Args: []string{"/bin/sh", "-c", script}}
}

// busybox is a Config with a busybox root and the usual namespaces.
func busybox(t testing.TB) *libct.Config {
	return &libct.Config{Namespaces: containerNS, Root: testutil.BusyboxRootfs(t)}
}

// mustRun is run that also requires exit status 0.
func mustRun(t testing.TB, s *libct.Session, cfg *libct.Config, p *libct.Process) string {
	t.Helper()
	out, st := run(t, s, cfg, p)
	if st != (libct.ExitStatus{}) {
		t.Fatalf("container %v; output:\n%s", st, out)
	}
	return out
}

func strconvItoa(i int) string { return fmt.Sprint(i) }

// readUntil reads r until what it read contains want, or r ends, and
// returns all of it: for a container that reports and then lives on.
func readUntil(r io.Reader, want string) string {
	var b strings.Builder
	buf := make([]byte, 4096)
	for !strings.Contains(b.String(), want) {
		n, err := r.Read(buf)
		b.Write(buf[:n])
		if err != nil {
			break
		}
	}
	return b.String()
}

// sleeper creates a container from cfg running `sleep 100`, destroyed at
// the end of the test.
func sleeper(t testing.TB, s *libct.Session, cfg *libct.Config) *libct.Container {
	t.Helper()
	c, err := s.Create(uniqueName(t), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Destroy() })
	if err := c.Spawn(&libct.Process{Args: []string{"sleep", "100"}}); err != nil {
		t.Fatal(err)
	}
	return c
}
