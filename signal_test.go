package libct_test

import (
	"errors"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/libct/libct"
)

// TestKillReachesEveryProcess: in a pid namespace the init, a shell with
// no SIGTERM handler, ignores the signal from its parent namespace, so
// Signal leaves the container running; Kill reaches the shell's child too,
// whose death ends the shell's wait.
func TestKillReachesEveryProcess(t *testing.T) {
	s := newSession(t)
	c, err := s.Create(uniqueName(t), busybox(t))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Destroy()
	started, ready := pipe(t)
	p := &libct.Process{Args: []string{"/bin/sh", "-c", "sleep 100 & echo started >&3; wait; echo waited >&3"}, ExtraFiles: []*os.File{ready}}
	if err := c.Spawn(p); err != nil {
		t.Fatal(err)
	}
	ready.Close()
	buf := make([]byte, 64)
	if n, _ := started.Read(buf); !strings.Contains(string(buf[:n]), "started") {
		t.Fatalf("container did not start its child: %q", buf[:n])
	}
	if err := c.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	time.Sleep(50 * time.Millisecond)
	expectState(t, c, libct.Running)
	if err := c.Kill(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	st, err := c.Wait()
	if err != nil || st.Code != 0 {
		t.Errorf("Wait() = %v, %v; want the shell to end its wait and exit 0", st, err)
	}
	if n, _ := started.Read(buf); !strings.Contains(string(buf[:n]), "waited") {
		t.Errorf("shell did not see its child die: %q", buf[:n])
	}
}

// TestHostBinaryProtected: the init stage runs from a sealed copy of the
// caller's binary, so /proc/<init>/exe leads neither to the host's file
// nor to anything writable (CVE-2019-5736).
func TestHostBinaryProtected(t *testing.T) {
	s := newSession(t)
	c, err := s.Create(uniqueName(t), busybox(t))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Destroy()
	// A prepared container's init is still the libct binary.
	if err := c.Prepare(&libct.Process{Args: []string{"true"}}); err != nil {
		t.Fatal(err)
	}
	pid, _ := c.Pid()
	exe := "/proc/" + strconvItoa(pid) + "/exe"
	target, _ := os.Readlink(exe)
	self, _ := os.Executable()
	if target == self {
		t.Errorf("init runs the host's binary %q itself", target)
	}
	f, err := os.OpenFile(exe, os.O_WRONLY, 0)
	if err == nil {
		_, err = f.Write([]byte("overwrite"))
		f.Close()
	}
	if err == nil {
		t.Fatal("wrote into the init's binary")
	}
	if !errors.Is(err, syscall.ETXTBSY) && !errors.Is(err, syscall.EPERM) && !errors.Is(err, syscall.EROFS) {
		t.Errorf("write to the init's binary: %v, want ETXTBSY, EPERM or EROFS", err)
	}
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	if st, err := c.Wait(); err != nil || st.Code != 0 {
		t.Errorf("Wait() = %v, %v", st, err)
	}
	// The protection lives in descriptors only: the session's root holds
	// the container's state and nothing of libct's own, which an engine
	// would find left in its runtime root after its last container.
	entries, err := os.ReadDir(s.Root())
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.Name() != c.Name() {
			t.Errorf("%s holds %q besides the container", s.Root(), e.Name())
		}
	}
}
