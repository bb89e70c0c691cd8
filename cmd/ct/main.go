// Command ct runs containers with libct. Today it has one command, spawn,
// libct's imperative way to run a container in the foreground; the OCI
// runtime commands (create, start, state, kill, delete, run, exec, ...)
// join it with runc's names and flags.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"

	"github.com/libct/libct"
)

// command is one subcommand of ct.
type command struct {
	name  string
	short string
	// run parses its own arguments and returns the process exit code.
	run func(g *globals, args []string) (int, error)
}

// globals are the options every command shares, given before its name.
type globals struct {
	root   string
	stderr io.Writer
}

var commands = []command{
	{"spawn", "run a container in the foreground", runSpawn},
}

// exitUsage and exitFailure are ct's own exit codes, above the range a
// container's program normally uses, as engines expect of a runtime.
const (
	exitUsage   = 2
	exitFailure = 125
)

func main() {
	libct.Init()
	os.Exit(ct(os.Args[1:], os.Stderr))
}

func ct(args []string, stderr io.Writer) int {
	g := &globals{stderr: stderr}
	fs := flag.NewFlagSet("ct", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&g.root, "root", libct.DefaultRoot, "directory holding the containers' state")
	fs.Usage = func() { usage(fs, stderr) }
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return exitUsage
	}
	if fs.NArg() == 0 {
		usage(fs, stderr)
		return exitUsage
	}
	name := fs.Arg(0)
	for _, c := range commands {
		if c.name == name {
			code, err := c.run(g, fs.Args()[1:])
			if err != nil {
				fmt.Fprintf(stderr, "ct %s: %v\n", name, err)
			}
			return code
		}
	}
	fmt.Fprintf(stderr, "ct: unknown command %q\n", name)
	usage(fs, stderr)
	return exitUsage
}

func usage(fs *flag.FlagSet, w io.Writer) {
	fmt.Fprintln(w, "usage: ct [global options] COMMAND [options] [ARGS...]")
	fmt.Fprintln(w, "\ncommands:")
	sorted := append([]command(nil), commands...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].name < sorted[j].name })
	for _, c := range sorted {
		fmt.Fprintf(w, "  %-10s %s\n", c.name, c.short)
	}
	fmt.Fprintln(w, "\nglobal options:")
	fs.PrintDefaults()
}
