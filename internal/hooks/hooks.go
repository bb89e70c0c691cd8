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
	// Env is the environment, "KEY=value"; empty gets the Runner's.
	Env []string `json:"env,omitempty"`
	// Timeout, when positive, is how long the hook may run before it is
	// killed and fails.
	Timeout time.Duration `json:"timeout,omitempty"`
}

// Runner runs the hooks of one kind.
type Runner struct {
	// Kind is the kind of hooks ("prestart", "createContainer"), for
	// errors.
	Kind string
	// Env is the environment of a hook that sets none: runc's hooks
	// inherit the runtime's (the container's process's, for those run in
	// the container), and hooks written for runc rely on it (PATH, HOME).
	Env []string
	// Dir is the hooks' working directory; empty keeps the caller's.
	Dir string
}

// Run runs hooks in order, each with state on its stdin, and stops at the
// first failure.
func (r Runner) Run(list []Hook, state []byte) error {
	for i := range list {
		if err := list[i].run(r, state); err != nil {
			return r.hookErr(list, i, err)
		}
	}
	return nil
}

// RunAll runs every hook, whatever the others do, and returns what failed:
// for hooks whose failure must not stop the lifecycle (poststart,
// poststop).
func (r Runner) RunAll(list []Hook, state []byte) error {
	var errs []error
	for i := range list {
		if err := list[i].run(r, state); err != nil {
			errs = append(errs, r.hookErr(list, i, err))
		}
	}
	return errors.Join(errs...)
}

// hookErr reads `error running prestart hook #1: hooks.prestart[1]
// "/bin/false": exit status 1`: the words of runc's error, which tools
// and tests look for, then the field.
func (r Runner) hookErr(list []Hook, i int, err error) error {
	return fmt.Errorf("error running %s hook #%d: hooks.%s[%d] %s: %w", r.Kind, i, r.Kind, i, quote.Value(list[i].Path), err)
}

func (h *Hook) run(r Runner, state []byte) error {
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
	if len(cmd.Env) == 0 {
		cmd.Env = r.Env
	}
	if cmd.Env == nil {
		cmd.Env = []string{}
	}
	cmd.Dir = r.Dir
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
