package cgroups

import (
	"errors"
	"fmt"
	"strings"

	"github.com/libct/libct/internal/quote"
)

// Sentinel errors, to be tested with errors.Is. Every error of this package
// that concerns a controller, a parameter or a value is an *Error naming
// them; these say what kind of problem it is.
var (
	// ErrUnknownController: a controller name this package does not know.
	ErrUnknownController = errors.New("unknown controller")
	// ErrNotAvailable: a known controller this host does not offer (not in
	// the kernel, not mounted, or absent from this cgroup version).
	ErrNotAvailable = errors.New("controller not available on this host")
	// ErrNotEnabled: the controller is not enabled in this cgroup.
	ErrNotEnabled = errors.New("controller not enabled in this cgroup")
	// ErrUnknownParam: the controller has no such parameter (file).
	ErrUnknownParam = errors.New("unknown parameter")
	// ErrInvalidValue: a value rejected before it reached the kernel
	// (negative, non-numeric, out of range, malformed). A value the kernel
	// rejects wraps the kernel's errno instead (usually EINVAL).
	ErrInvalidValue = errors.New("invalid value")
)

// Error is a failure that concerns one controller, parameter or value. Any
// of the three may be empty when it does not apply. Param is a cgroup file
// ("memory.max") when the kernel is involved, or the name of a Resources
// field ("memoryLimit") when validation rejected it.
type Error struct {
	Controller string
	Param      string
	Value      string
	Err        error
}

// Error reads `cgroup controller "memory" parameter "memory.max" value
// "abc": invalid value: ...`.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("cgroup")
	if e.Controller != "" {
		fmt.Fprintf(&b, " controller %q", e.Controller)
	}
	if e.Param != "" {
		fmt.Fprintf(&b, " parameter %q value %s", e.Param, quote.Value(e.Value))
	}
	b.WriteString(": ")
	b.WriteString(e.Err.Error())
	return b.String()
}

// Unwrap returns the cause: a sentinel of this package, an errno, or both.
func (e *Error) Unwrap() error { return e.Err }

func ctlErr(ctl string, err error) error {
	return &Error{Controller: ctl, Err: err}
}

func paramErr(ctl, param, value string, err error) error {
	return &Error{Controller: ctl, Param: param, Value: value, Err: err}
}

// invalidValue is a validation failure of one value.
func invalidValue(ctl, param, value, format string, args ...any) error {
	return paramErr(ctl, param, value, fmt.Errorf("%w: "+format, append([]any{ErrInvalidValue}, args...)...))
}
