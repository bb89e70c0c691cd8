package libct

import (
	"errors"
	"fmt"
	"io/fs"
	"syscall"

	"github.com/libct/libct/internal/nsenter"
	"github.com/libct/libct/internal/quote"
)

// Sentinel errors, to be tested with errors.Is.
var (
	// ErrExist: a container of that name already exists.
	ErrExist = fs.ErrExist
	// ErrNotExist: no container of that name.
	ErrNotExist = fs.ErrNotExist
	// ErrWrongState: the operation needs the container in another state;
	// the error is a *StateError saying which.
	ErrWrongState = errors.New("container is in the wrong state")
	// ErrInvalidConfig: a Config, Process or argument was rejected before
	// anything was created; the error is a *ConfigError naming the field.
	ErrInvalidConfig = errors.New("invalid configuration")
	// ErrUnsupportedURL: Open was given a backend this build does not have.
	ErrUnsupportedURL = errors.New("unsupported session URL")
	// ErrNotParent: the exit status of a container is known only to the
	// process that spawned it; Wait from another process returns this
	// once the container has stopped.
	ErrNotParent = errors.New("exit status is known only to the spawning process")
	// ErrClosed: the session was closed.
	ErrClosed = errors.New("session is closed")
	// ErrNoEnterStage: the operation joins a user, mount or time
	// namespace, which needs the enter stage, and this binary was built
	// without cgo, so without it. Enter into such a container returns it
	// wrapped with the container's name; a Config that joins such a
	// namespace by path is refused with a *ConfigError wrapping it.
	ErrNoEnterStage = nsenter.ErrMissing
)

// ConfigError rejects one field of a configuration or one argument.
type ConfigError struct {
	Field string // "mounts[2].source", "name", "process.args"
	// Value is the rejected value, when the cause does not show it.
	Value string
	Err   error
}

// Error reads "field: cause", or `field "value": cause`, the value cut
// as quote.Value cuts it: a refused value may be a 100 KB string.
func (e *ConfigError) Error() string {
	if e.Value != "" {
		return e.Field + " " + quote.Value(e.Value) + ": " + e.Err.Error()
	}
	return e.Field + ": " + e.Err.Error()
}

// Unwrap returns the cause; errors.Is(err, ErrInvalidConfig) holds too.
func (e *ConfigError) Unwrap() []error { return []error{e.Err, ErrInvalidConfig} }

func invalid(field string, format string, args ...any) error {
	return &ConfigError{Field: field, Err: fmt.Errorf(format, args...)}
}

// StateError is returned by an operation that needs another state.
type StateError struct {
	Container string
	Op        string
	State     State
}

// Error names the container, the operation and the state.
func (e *StateError) Error() string {
	return fmt.Sprintf("container %q: cannot %s: container is %s", e.Container, e.Op, e.State)
}

// Is makes errors.Is(err, ErrWrongState) hold.
func (e *StateError) Is(target error) bool { return target == ErrWrongState }

// StartError is a failure of the start of a container, inside the init
// stage or in the parent's work around it. Step is the phase that failed
// ("rootfs", "exec", "user", "timens", "sysctl", "uts", "mount-action",
// "clone", ...); Errno the errno when the kernel gave one.
type StartError struct {
	Container string
	Step      string
	Text      string
	Errno     syscall.Errno
	// Signal is the signal that killed the init before it could exec the
	// program (a crash, or a kill from outside), when that is how the
	// start failed.
	Signal syscall.Signal
}

// Error names the container, the step and what failed in it.
func (e *StartError) Error() string {
	if e.Step == "exec" {
		// "exec "/bin/nope": no such file or directory" names itself.
		return fmt.Sprintf("container %q: %s", e.Container, e.Text)
	}
	return fmt.Sprintf("container %q: %s: %s", e.Container, e.Step, e.Text)
}

// Unwrap returns the errno, so errors.Is(err, fs.ErrNotExist) works.
func (e *StartError) Unwrap() error {
	if e.Errno == 0 {
		return nil
	}
	return e.Errno
}

// startError is the StartError of a failure in the parent's part of a
// start, with the errno of err when it has one.
func startError(container, step string, err error) *StartError {
	var errno syscall.Errno
	errors.As(err, &errno)
	return &StartError{Container: container, Step: step, Text: err.Error(), Errno: errno}
}

// URLError rejects the URL given to Open.
type URLError struct {
	URL string
}

// Error names the URL.
func (e *URLError) Error() string {
	return fmt.Sprintf("session URL %q: unsupported backend (want \"local\")", e.URL)
}

// Is makes errors.Is(err, ErrUnsupportedURL) hold.
func (e *URLError) Is(target error) bool { return target == ErrUnsupportedURL }

// ErrDamagedState: a container's state document is missing or cannot be
// decoded; the error is a *StateFileError. Destroy still removes such a
// container, finding its processes through its cgroups.
var ErrDamagedState = errors.New("container state is damaged")

// StateFileError says what is wrong with a container's state document.
type StateFileError struct {
	Container string
	Path      string
	// Problem reads "is missing", "is empty" or "cannot be decoded".
	Problem string
	// Err is the decoder's error, when there is one.
	Err error
}

func (e *StateFileError) Error() string {
	msg := fmt.Sprintf("container %q: state file %s %s", e.Container, e.Path, e.Problem)
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg + " (delete --force removes the container)"
}

// Unwrap returns ErrDamagedState and the decoder's error.
func (e *StateFileError) Unwrap() []error {
	if e.Err == nil {
		return []error{ErrDamagedState}
	}
	return []error{ErrDamagedState, e.Err}
}
