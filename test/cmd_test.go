package e2e

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/containerd/console"
	"golang.org/x/sys/unix"
)

// Time limits of the engines' commands. A command that overruns its limit
// is killed by its PID and the test fails with what it printed so far.
const (
	cmdTimeout  = 30 * time.Second
	execTimeout = 10 * time.Second // exec: a lost exit hangs the engine's client
)

// command is one program the tests run, with its environment and
// working directory.
type command struct {
	name    string
	args    []string
	env     []string // added to the tests' own environment
	dir     string
	stdin   string // its standard input; none when empty
	timeout time.Duration
}

// result is what a finished command did.
type result struct {
	cmdline        string
	stdout, stderr string
	code           int   // exit status; -1 when it did not exit normally
	err            error // failure to start, or the timeout
}

func (r result) String() string {
	s := fmt.Sprintf("%s: exit %d", r.cmdline, r.code)
	if r.err != nil {
		s += fmt.Sprintf(" (%v)", r.err)
	}
	if o := strings.TrimSpace(r.stdout); o != "" {
		s += "\n  stdout: " + indent(o)
	}
	if e := strings.TrimSpace(r.stderr); e != "" {
		s += "\n  stderr: " + indent(e)
	}
	return s
}

func indent(s string) string { return strings.ReplaceAll(s, "\n", "\n          ") }

// errTimeout marks a command that was killed at its time limit.
var errTimeout = errors.New("timed out and killed")

func (c command) cmd(ctx context.Context) *exec.Cmd {
	cmd := exec.CommandContext(ctx, c.name, c.args...)
	cmd.Env = append(os.Environ(), c.env...)
	cmd.Dir = c.dir
	if c.stdin != "" {
		cmd.Stdin = strings.NewReader(c.stdin)
	}
	// Only the engine's client is ended at the time limit; a grandchild
	// still holding the output pipes must not hang the test.
	cmd.WaitDelay = 2 * time.Second
	return cmd
}

func (c command) cmdline() string {
	return strings.Join(append([]string{c.name}, c.args...), " ")
}

// run runs c to its end and logs it.
func (c command) run(t testing.TB) result {
	t.Helper()
	if c.timeout == 0 {
		c.timeout = cmdTimeout
	}
	ctx, cancel := context.WithTimeout(context.Background(), c.timeout)
	defer cancel()
	cmd := c.cmd(ctx)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err := cmd.Run()
	r := result{cmdline: c.cmdline(), stdout: stdout.String(), stderr: stderr.String(), code: -1}
	r.code, r.err = exitOf(ctx, cmd, err)
	t.Logf("%s (%.2fs)", r, time.Since(start).Seconds())
	return r
}

// exitOf reads the exit status of a finished command.
func exitOf(ctx context.Context, cmd *exec.Cmd, err error) (int, error) {
	if ctx.Err() == context.DeadlineExceeded {
		return -1, errTimeout
	}
	if cmd.ProcessState != nil && cmd.ProcessState.Exited() {
		return cmd.ProcessState.ExitCode(), nil
	}
	if err == nil {
		err = errors.New("did not exit normally")
	}
	return -1, err
}

// output runs c without logging it and returns its standard output (for
// polling the engine's state).
func (c command) output() (string, error) {
	if c.timeout == 0 {
		c.timeout = cmdTimeout
	}
	ctx, cancel := context.WithTimeout(context.Background(), c.timeout)
	defer cancel()
	out, err := c.cmd(ctx).Output()
	return string(out), err
}

// quiet runs c without logging it and returns its error.
func (c command) quiet() error {
	_, err := c.output()
	return err
}

// mustRun runs c and fails t unless it exits 0.
func (c command) mustRun(t testing.TB) result {
	t.Helper()
	r := c.run(t)
	if r.code != 0 || r.err != nil {
		t.Fatalf("command failed: %s", r)
	}
	return r
}

// background is a command running while the test goes on.
type background struct {
	c      command
	cmd    *exec.Cmd
	cancel context.CancelFunc
	out    *syncBuffer
	errOut *syncBuffer
	done   chan struct{}
	res    result
}

// syncBuffer is a bytes.Buffer written by a command and read by the test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// start starts c in the background. Its end is awaited with wait; the
// test's cleanup kills it (by its PID) if it still runs.
func (c command) start(t testing.TB) *background {
	t.Helper()
	if c.timeout == 0 {
		c.timeout = cmdTimeout
	}
	ctx, cancel := context.WithTimeout(context.Background(), c.timeout)
	b := &background{c: c, cancel: cancel, out: &syncBuffer{}, errOut: &syncBuffer{}, done: make(chan struct{})}
	b.cmd = c.cmd(ctx)
	b.cmd.Stdout, b.cmd.Stderr = b.out, b.errOut
	t.Logf("start %s", c.cmdline())
	if err := b.cmd.Start(); err != nil {
		cancel()
		t.Fatalf("start %s: %v", c.cmdline(), err)
	}
	go func() {
		err := b.cmd.Wait()
		b.res = result{cmdline: c.cmdline(), stdout: b.out.String(), stderr: b.errOut.String()}
		b.res.code, b.res.err = exitOf(ctx, b.cmd, err)
		cancel()
		close(b.done)
	}()
	t.Cleanup(func() { b.stop() })
	return b
}

// wait waits for the command's end, at most its time limit.
func (b *background) wait(t testing.TB) result {
	t.Helper()
	<-b.done
	t.Logf("%s", b.res)
	return b.res
}

// stop ends the command by its PID, if it still runs, and reaps it.
func (b *background) stop() {
	select {
	case <-b.done:
	default:
		b.cmd.Process.Signal(syscall.SIGKILL)
		<-b.done
	}
}

// waitFor polls cond every 20ms until it holds or d has passed.
func waitFor(d time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(d)
	for {
		if cond() {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// ttyRows and ttyCols are the window size of the terminal the tests give
// the engines' clients; the container's terminal must get it.
const ttyRows, ttyCols = 31, 97

// runTTY runs c with a new pseudo-terminal as its controlling terminal and
// standard streams, as a user at a terminal would (ctr -t and podman -t
// insist on one), and returns what it printed there, carriage returns and
// NULs removed.
func (c command) runTTY(t testing.TB) result {
	t.Helper()
	if c.timeout == 0 {
		c.timeout = cmdTimeout
	}
	r := result{cmdline: c.cmdline() + " (on a tty)", code: -1}
	master, slavePath, err := console.NewPty()
	if err != nil {
		t.Fatalf("new pty: %v", err)
	}
	defer master.Close()
	if err := master.Resize(console.WinSize{Height: ttyRows, Width: ttyCols}); err != nil {
		t.Fatalf("pty size: %v", err)
	}
	slave, err := os.OpenFile(slavePath, os.O_RDWR|unix.O_NOCTTY|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatalf("open %s: %v", slavePath, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), c.timeout)
	defer cancel()
	cmd := c.cmd(ctx)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = slave, slave, slave
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true, Ctty: 0}
	start := time.Now()
	err = cmd.Start()
	slave.Close()
	if err != nil {
		t.Fatalf("start %s: %v", c.cmdline(), err)
	}
	var out syncBuffer
	copied := make(chan struct{})
	go func() {
		// Ends with EIO once nothing holds the slave any more.
		io.Copy(&out, master)
		close(copied)
	}()
	err = cmd.Wait()
	r.code, r.err = exitOf(ctx, cmd, err)
	select {
	case <-copied:
	case <-time.After(2 * time.Second):
	}
	r.stdout = strings.NewReplacer("\r", "", "\x00", "").Replace(out.String())
	t.Logf("%s (%.2fs)", r, time.Since(start).Seconds())
	return r
}
