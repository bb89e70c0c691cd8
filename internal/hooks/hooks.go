// Package hooks runs OCI-style hooks: programs given the container's
// state on their standard input, each with an optional timeout. The
// parent runs those of the runtime namespace, the init stage those of the
// container namespace; both use this package.
package hooks

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"time"

	"golang.org/x/sys/unix"
)

// Hook is one program to run.
type Hook struct {
	// Path is the absolute path of the program, resolved in the
	// namespace the hook runs in.
	Path string `json:"path"`
	// Args is the argument vector, Args[0] included; empty means {Path}.
	Args []string `json:"args,omitempty"`
	// Env is the environment, "KEY=value".
	Env []string `json:"env,omitempty"`
	// Timeout, when positive, is how long the hook may run before it is
	// killed and fails.
	Timeout time.Duration `json:"timeout,omitempty"`
}

// Run runs hooks in order, each with state on its stdin, and stops at the
// first failure. field names the list in errors ("hooks.prestart").
func Run(field string, list []Hook, state []byte) error {
	for i := range list {
		if err := list[i].run(state); err != nil {
			return fmt.Errorf("%s[%d] %q: %w", field, i, list[i].Path, err)
		}
	}
	return nil
}

// RunAll runs every hook, whatever the others do, and returns what failed:
// for hooks whose failure must not stop the lifecycle (poststart,
// poststop).
func RunAll(field string, list []Hook, state []byte) error {
	var errs []error
	for i := range list {
		if err := list[i].run(state); err != nil {
			errs = append(errs, fmt.Errorf("%s[%d] %q: %w", field, i, list[i].Path, err))
		}
	}
	return errors.Join(errs...)
}

func (h *Hook) run(state []byte) error {
	ctx := context.Background()
	if h.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, h.Timeout)
		defer cancel()
	}
	cmd := exec.CommandContext(ctx, h.Path)
	if len(h.Args) > 0 {
		cmd.Args = h.Args
	}
	cmd.Env = h.Env
	if cmd.Env == nil {
		cmd.Env = []string{}
	}
	// The state and the output go through memory files rather than
	// pipes that os/exec would serve with goroutines: in an init stage
	// (one P, its thread locked) a goroutine ready to run while the hook
	// runs makes the runtime start a thread.
	stdin, err := memFile("libct-hook-state", state)
	if err != nil {
		return err
	}
	defer stdin.Close()
	out, err := memFile("libct-hook-output", nil)
	if err != nil {
		return err
	}
	defer out.Close()
	cmd.Stdin, cmd.Stdout, cmd.Stderr = stdin, out, out
	err = cmd.Run()
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return fmt.Errorf("timed out after %v", h.Timeout)
	}
	if err != nil {
		msg, _ := io.ReadAll(io.NewSectionReader(out, 0, 64<<10))
		if msg := bytes.TrimSpace(msg); len(msg) > 0 {
			return fmt.Errorf("%w: %s", err, msg)
		}
		return err
	}
	return nil
}

// memFile is an anonymous file holding data, at offset 0.
func memFile(name string, data []byte) (*os.File, error) {
	fd, err := unix.MemfdCreate(name, unix.MFD_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("memfd_create: %w", err)
	}
	f := os.NewFile(uintptr(fd), name)
	if len(data) > 0 {
		if _, err := f.Write(data); err != nil {
			f.Close()
			return nil, err
		}
		if _, err := f.Seek(0, io.SeekStart); err != nil {
			f.Close()
			return nil, err
		}
	}
	return f, nil
}
