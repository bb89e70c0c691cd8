package libct_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/libct/libct"
	"github.com/libct/libct/internal/cinit"
)

// initFdTarget is what a descriptor of a prepared container's init may
// name: its standard streams (/dev/null here), the exec fifo, the control
// socket, the root of the host's /proc through which it reopens the fifo,
// what the Go runtime opens for itself, and the Go init's own smaps, which
// it reads once it said it is ready, to drop its file pages before the
// wait (internal/initstage/idle.go).
var initFdTarget = regexp.MustCompile(`^(/dev/null|/|.*/exec\.fifo|socket:\[\d+\]|pipe:\[\d+\]|anon_inode:\[[a-z]+\]|/proc/1/smaps)$`)

// TestInitHoldsNoHostFiles: a prepared container's init, which waits for
// Start inside the container, holds no descriptor of the host but the
// ones it needs: not the caller's (one it left open across exec, here),
// not the binary it runs, not the cgroup files the Go runtime would read;
// and the program starts with its standard streams only. For both inits.
func TestInitHoldsNoHostFiles(t *testing.T) {
	s := newSession(t)
	leak := filepath.Join(t.TempDir(), "caller-file")
	if err := os.WriteFile(leak, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	// Not close-on-exec: what a caller inherited from its own parent
	// looks like (a lock a shell script holds, say).
	fd, err := unix.Open(leak, unix.O_RDONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fd)
	for _, tc := range []struct {
		name   string
		goInit bool
	}{
		{"C init", false},
		{"Go init", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if !tc.goInit && !cinit.Available {
				t.Skip("the C init is not linked in")
			}
			if tc.goInit {
				t.Setenv("LIBCT_INIT", "go")
			} else {
				t.Setenv("LIBCT_INIT", "")
			}
			c, err := s.Create(uniqueName(t), busybox(t))
			if err != nil {
				t.Fatal(err)
			}
			defer c.Destroy()
			r, w, err := os.Pipe()
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			p := &libct.Process{Args: []string{"/bin/ls", "/proc/self/fd"}, Stdout: w}
			err = c.Prepare(p)
			w.Close()
			if err != nil {
				t.Fatal(err)
			}
			pid, err := c.Pid()
			if err != nil {
				t.Fatal(err)
			}
			dir := "/proc/" + strconv.Itoa(pid) + "/fd"
			entries, err := os.ReadDir(dir)
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range entries {
				target, err := os.Readlink(filepath.Join(dir, e.Name()))
				if err != nil {
					continue
				}
				if !initFdTarget.MatchString(target) {
					t.Errorf("the prepared init holds fd %s -> %q", e.Name(), target)
				}
			}
			if err := c.Start(); err != nil {
				t.Fatal(err)
			}
			out := readUntil(r, "\x00") // until the program ends
			if _, err := c.Wait(); err != nil {
				t.Fatal(err)
			}
			// ls lists its own directory descriptor too.
			if fds := regexp.MustCompile(`\d+`).FindAllString(out, -1); len(fds) != 4 {
				t.Errorf("the program started with descriptors %q, want 0, 1, 2 and ls's own", fds)
			}
		})
	}
}
