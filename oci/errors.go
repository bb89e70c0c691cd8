// Package oci translates between the OCI runtime specification
// (config.json, the state document, the features document) and libct's
// types. It never executes anything: Convert turns a spec into a
// libct.Config and a libct.Process, and the caller (the ct command line)
// hands them to libct.
//
// Every field of a spec is either mapped or refused with a *FieldError
// naming its JSON path; a spec is never half applied. The one exception is
// the spec's own: capabilities that cannot be granted are dropped and
// reported as warnings (WithWarnings). Fields that libct
// cannot honour are refused with an error that matches ErrUnsupported.
package oci

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/libct/libct"
	"github.com/libct/libct/internal/quote"
)

// ErrUnsupported is matched (errors.Is) by the cause of a FieldError that
// refuses a well-formed field libct or this host cannot honour, as opposed
// to a malformed one.
var ErrUnsupported = errors.New("not supported")

// FieldError rejects one field of a spec. Path is its JSON path
// ("linux.resources.memory.limit", "mounts[2].options[1]"); Value, when
// set, is the rejected value, when the cause does not show it.
type FieldError struct {
	Path  string
	Value string
	Err   error
	// shown is the value as a leaf package's message already showed it,
	// cut (`"aaaa…" (100000 bytes)`), when rebase found it so: the whole
	// value is not known then.
	shown string
}

// Error reads "PATH: cause", or `PATH "VALUE": cause`, the value cut as
// quote.Value cuts it: a refused value may be a 100 KB string.
func (e *FieldError) Error() string {
	switch {
	case e.shown != "":
		return e.Path + " " + e.shown + ": " + e.Err.Error()
	case e.Value != "":
		return e.Path + " " + quote.Value(e.Value) + ": " + e.Err.Error()
	}
	return e.Path + ": " + e.Err.Error()
}

// Unwrap returns the cause.
func (e *FieldError) Unwrap() error { return e.Err }

// Is makes errors.Is(err, libct.ErrInvalidConfig) hold, as it does for
// the library's own configuration errors.
func (e *FieldError) Is(target error) bool { return target == libct.ErrInvalidConfig }

// invalid rejects a malformed field.
func invalid(path, format string, args ...any) *FieldError {
	return &FieldError{Path: path, Err: fmt.Errorf(format, args...)}
}

// invalidValue rejects a malformed field, showing its value.
func invalidValue(path, value, format string, args ...any) *FieldError {
	return &FieldError{Path: path, Value: value, Err: fmt.Errorf(format, args...)}
}

// unsupportedError is the cause of a refusal of a well-formed field;
// cause, when set, is a sentinel of libct's that the refusal is (such as
// libct.ErrNoEnterStage), for errors.Is.
type unsupportedError struct {
	msg   string
	cause error
}

func (e *unsupportedError) Error() string        { return e.msg }
func (e *unsupportedError) Is(target error) bool { return target == ErrUnsupported }
func (e *unsupportedError) Unwrap() error        { return e.cause }

// unsupported refuses a field libct or this host cannot honour.
func unsupported(path, format string, args ...any) *FieldError {
	return &FieldError{Path: path, Err: &unsupportedError{msg: fmt.Sprintf(format, args...)}}
}

// unsupportedValue is unsupported showing the value.
func unsupportedValue(path, value, format string, args ...any) *FieldError {
	fe := unsupported(path, format, args...)
	fe.Value = value
	return fe
}

// unsupportedBecause refuses a field, showing its value, with cause as
// the whole reason, so that the text is the cause's own.
func unsupportedBecause(path, value string, cause error) *FieldError {
	return &FieldError{Path: path, Value: value, Err: &unsupportedError{msg: cause.Error(), cause: cause}}
}

// rebase turns an error of a leaf package's validator, which starts with
// the field it names ("capabilities.bounding[2] \"CAP_X\": unknown
// capability"), into a FieldError whose path starts with prefix instead of
// from ("process.capabilities.bounding[2]").
func rebase(err error, from, prefix string) *FieldError {
	msg := err.Error()
	if !strings.HasPrefix(msg, from) {
		return &FieldError{Path: prefix, Err: err}
	}
	rest := msg[len(from):]
	end := strings.IndexAny(rest, " :")
	if end < 0 {
		return &FieldError{Path: prefix + rest, Err: err}
	}
	fe := &FieldError{Path: prefix + rest[:end]}
	rest = rest[end:]
	if strings.HasPrefix(rest, " \"") {
		if q, e := strconv.QuotedPrefix(rest[1:]); e == nil {
			fe.Value, _ = strconv.Unquote(q)
			rest = rest[1+len(q):]
			// A value quote.Value cut is followed by its length.
			if n, ok := cutLength(rest); ok {
				fe.Value, fe.shown = "", q+rest[:n]
				rest = rest[n:]
			}
		}
	}
	rest = strings.TrimPrefix(rest, ":")
	fe.Err = errors.New(strings.TrimSpace(rest))
	return fe
}

// cutLength finds the ` (N bytes)` that quote.Value writes after a cut
// value at the start of rest, and returns its length.
func cutLength(rest string) (int, bool) {
	digits, ok := strings.CutPrefix(rest, " (")
	if !ok {
		return 0, false
	}
	end := strings.Index(digits, " bytes)")
	if end <= 0 {
		return 0, false
	}
	if _, err := strconv.Atoi(digits[:end]); err != nil {
		return 0, false
	}
	return len(" (") + end + len(" bytes)"), true
}

// index renders "path[i]".
func index(path string, i int) string { return path + "[" + strconv.Itoa(i) + "]" }

// key renders `path["k"]`, the path of a map entry.
func key(path, k string) string { return path + "[" + strconv.Quote(k) + "]" }
