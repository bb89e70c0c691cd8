package main

import (
	"errors"
	"flag"
	"fmt"
	"strconv"
	"strings"

	"github.com/libct/libct/internal/quote"
)

// cmdFlags is the flag set of one command and how it reads its
// positional arguments.
type cmdFlags struct {
	*flag.FlagSet
	name string
	// synopsis is the usage line after "ct NAME".
	synopsis string
}

func newFlags(g *globals, name, synopsis string) *cmdFlags {
	f := &cmdFlags{FlagSet: flag.NewFlagSet("ct "+name, flag.ContinueOnError), name: name, synopsis: synopsis}
	f.SetOutput(g.stderr)
	f.Usage = func() {
		fmt.Fprintf(f.Output(), "usage: ct %s %s\n", name, synopsis)
		f.PrintDefaults()
	}
	return f
}

// errHelp is returned by parse for -h: the usage was printed, exit 0.
var errHelp = flag.ErrHelp

// usageError is a command line ct cannot use: exit status 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error {
	return &usageError{fmt.Sprintf(format, args...)}
}

// parse reads the flags and returns the positional arguments. With
// interspersed, flags may also follow positional arguments (`ct delete ID
// --force`), as runc's parser allows; "--" ends the flags either way.
// Without it, the first positional argument ends the flags, so that what
// follows a container ID (exec's command) is left alone.
func (f *cmdFlags) parse(args []string, interspersed bool) ([]string, error) {
	var pos []string
	for {
		if err := f.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, errHelp
			}
			// The flag package printed the problem and the usage.
			return nil, &usageError{"bad command line: " + err.Error()}
		}
		rest := f.Args()
		consumed := len(args) - len(rest)
		if !interspersed || len(rest) == 0 || (consumed > 0 && args[consumed-1] == "--") {
			return append(pos, rest...), nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

// parseID reads the flags and exactly one container ID.
func (f *cmdFlags) parseID(args []string) (string, error) {
	pos, err := f.parse(args, true)
	if err != nil {
		return "", err
	}
	if len(pos) != 1 {
		f.Usage()
		if len(pos) == 0 {
			return "", usagef("missing container ID")
		}
		return "", usagef("want one container ID, got %s", quote.Values(pos))
	}
	return pos[0], nil
}

// result turns a parse error into the command's result: exit 0 for -h,
// 2 for a usage error.
func parseResult(err error) (int, error) {
	if errors.Is(err, errHelp) {
		return 0, nil
	}
	var ue *usageError
	if errors.As(err, &ue) {
		return exitUsage, err
	}
	return exitError, err
}

// fail is the result of a command that failed at run time: exit 1 as
// runc, and usage errors found late exit 2.
func fail(err error) (int, error) {
	if err == nil {
		return 0, nil
	}
	var ue *usageError
	if errors.As(err, &ue) {
		return exitUsage, err
	}
	return exitError, err
}

// sizeFlag is a byte count: a number with an optional k, m, g or t suffix
// (powers of 1024, "b" and "i"/"ib" tolerated), or -1 for unlimited.
type sizeFlag struct {
	v   int64
	set bool
}

func (s *sizeFlag) String() string {
	if !s.set {
		return ""
	}
	return strconv.FormatInt(s.v, 10)
}

func (s *sizeFlag) Set(v string) error {
	n, err := parseSize(v)
	if err != nil {
		return err
	}
	s.v, s.set = n, true
	return nil
}

func parseSize(v string) (int64, error) {
	t := strings.ToLower(strings.TrimSpace(v))
	if t == "-1" {
		return -1, nil
	}
	t = strings.TrimSuffix(t, "b")
	t = strings.TrimSuffix(t, "i")
	mult := int64(1)
	if t != "" {
		switch t[len(t)-1] {
		case 'k':
			mult = 1 << 10
		case 'm':
			mult = 1 << 20
		case 'g':
			mult = 1 << 30
		case 't':
			mult = 1 << 40
		}
		if mult != 1 {
			t = t[:len(t)-1]
		}
	}
	n, err := strconv.ParseInt(t, 10, 64)
	if err != nil || n < 0 || n > (1<<62)/mult {
		return 0, fmt.Errorf("%s is not a size in bytes (a number, optionally with k, m, g or t; -1: unlimited)", quote.Value(v))
	}
	return n * mult, nil
}

// intFlag and uintFlag remember whether they were given.
type intFlag struct {
	v   int64
	set bool
}

func (f *intFlag) String() string {
	if !f.set {
		return ""
	}
	return strconv.FormatInt(f.v, 10)
}

func (f *intFlag) Set(v string) error {
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return fmt.Errorf("%s is not an integer", quote.Value(v))
	}
	f.v, f.set = n, true
	return nil
}

type uintFlag struct {
	v   uint64
	set bool
}

func (f *uintFlag) String() string {
	if !f.set {
		return ""
	}
	return strconv.FormatUint(f.v, 10)
}

func (f *uintFlag) Set(v string) error {
	n, err := strconv.ParseUint(v, 10, 64)
	if err != nil {
		return fmt.Errorf("%s is not a non-negative integer", quote.Value(v))
	}
	f.v, f.set = n, true
	return nil
}

type stringFlag struct {
	v   string
	set bool
}

func (f *stringFlag) String() string { return f.v }

func (f *stringFlag) Set(v string) error {
	f.v, f.set = v, true
	return nil
}
