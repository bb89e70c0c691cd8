package libct_test

import (
	"os"
	"strings"
	"testing"

	"github.com/libct/libct"
	"github.com/libct/libct/internal/testutil"
)

func registerTestFuncs() {}

func TestSmoke(t *testing.T) {
	testutil.RequireRoot(t)
	rootfs := testutil.BusyboxRootfs(t)
	s, err := libct.Open("local", libct.WithRoot(t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	c, err := s.Create("smoke", &libct.Config{Namespaces: libct.NewMount | libct.NewPID | libct.NewUTS | libct.NewIPC | libct.NewNet, Root: rootfs, Hostname: "box"})
	if err != nil {
		t.Fatal(err)
	}
	r, w, _ := os.Pipe()
	err = c.Spawn(&libct.Process{Args: []string{"/bin/sh", "-c", "hostname; echo $$; ls /dev; cat /proc/self/mountinfo"}, Stdout: w, Stderr: w})
	w.Close()
	if err != nil {
		t.Fatal(err)
	}
	st, err := c.Wait()
	out := new(strings.Builder)
	buf := make([]byte, 65536)
	for {
		n, err := r.Read(buf)
		out.Write(buf[:n])
		if err != nil {
			break
		}
	}
	t.Logf("status %v %v\n%s", st, err, out)
	if err := c.Destroy(); err != nil {
		t.Fatal(err)
	}
}
