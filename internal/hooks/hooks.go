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
	"os/exec"
	"time"

	"github.com/libct/libct/internal/quote"
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
			return fmt.Errorf("%s[%d] %s: %w", field, i, quote.Value(list[i].Path), err)
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
			errs = append(errs, fmt.Errorf("%s[%d] %s: %w", field, i, quote.Value(list[i].Path), err))
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
	cmd.Stdin = bytes.NewReader(state)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return fmt.Errorf("timed out after %v", h.Timeout)
	}
	if err != nil {
		if msg := bytes.TrimSpace(out.Bytes()); len(msg) > 0 {
			return fmt.Errorf("%w: %s", err, msg)
		}
		return err
	}
	return nil
}
