// Command ct runs containers with libct. It is an OCI runtime with runc's
// command line, so that containerd, podman and the tools built on them can
// drive it: create, start, state, kill, delete, run, exec, ps, list,
// pause, resume, update, events, spec and features, with runc's command
// and flag names. It also has spawn, libct's imperative way to run a
// container in the foreground.
//
// ct is a thin layer: it parses flags, has package oci translate the
// bundle's config.json, calls libct to act, and prints. It keeps no state
// of its own beyond what libct keeps under --root: the creation time and
// owner that state and list print are the birth time and owner of the
// container's state directory.
//
// Where ct differs from runc:
//
//   - --systemd-cgroup is refused by the commands that make a cgroup
//     (create, run): libct has only the cgroupfs driver. The other
//     commands accept and ignore it, as engines pass it to every command.
//   - --no-new-keyring is accepted and changes nothing: libct never makes
//     a session keyring. --rootless and --criu are accepted and ignored.
//   - delete without --force refuses a created container as well as a
//     running one, as the OCI runtime spec says (runc kills a created
//     one).
//   - a bare `exec ID CMD` starts from the process of the bundle's
//     config.json, as runc does; engines pass --process.
//
// Errors are one line on stderr, "ct: COMMAND: error", also written to the
// --log file (as {"level":"error","msg":...,"time":...} with --log-format
// json, which containerd reads). Exit status: 1 for a failed command, 2
// for a command line ct cannot use, the program's status for run and exec
// in the foreground (128+signal when it was killed); spawn keeps its own
// 125.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/libct/libct"
	// Grows the main goroutine's stack before the other packages' init.
	_ "github.com/libct/libct/cmd/ct/internal/mainstack"
	"github.com/libct/libct/internal/quote"
	"github.com/libct/libct/oci"
)

// version is ct's version, set at link time with
// -ldflags "-X main.version=...".
var version = "0.1.0-dev"

// command is one subcommand of ct.
type command struct {
	name  string
	short string
	// run parses its own arguments and returns the process exit code.
	run func(g *globals, args []string) (int, error)
}

// globals are the options every command shares, given before its name.
type globals struct {
	root          string
	logPath       string
	logFormat     string
	debug         bool
	systemdCgroup bool
	trace         bool
	stderr        io.Writer
	log           *logger
}

var commands = []command{
	{"create", "create a container from a bundle; its program waits for start", runCreate},
	{"delete", "delete a stopped container (--force: any)", runDelete},
	{"events", "print a container's resource usage and OOM events", runEvents},
	{"exec", "run a new process in a container", runExec},
	{"features", "print the OCI features this runtime supports", runFeatures},
	{"kill", "send a signal to a container's init (--all: every process)", runKill},
	{"list", "list containers", runList},
	{"pause", "freeze every process of a container", runPause},
	{"ps", "list a container's processes", runPs},
	{"resume", "thaw a paused container", runResume},
	{"run", "create and start a container", runRun},
	{"spawn", "run a container in the foreground (libct's own way)", runSpawn},
	{"spec", "write a default config.json in a bundle", runSpec},
	{"start", "run the program of a created container", runStart},
	{"state", "print a container's OCI state", runState},
	{"update", "change a container's resource limits", runUpdate},
}

// Exit codes: exitError for a runtime error, as runc exits; exitUsage for
// a command line ct cannot parse; exitFailure is spawn's own, above the
// range a container's program normally uses.
const (
	exitError   = 1
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
	fs.StringVar(&g.logPath, "log", "", "append log entries (and every error) to this file instead of stderr")
	fs.StringVar(&g.logFormat, "log-format", "text", "log format: text or json")
	fs.BoolVar(&g.debug, "debug", false, "log debug messages")
	fs.BoolVar(&g.trace, "trace", false, "print how long each phase of a container's start took, on stderr")
	fs.BoolVar(&g.systemdCgroup, "systemd-cgroup", false, "use the systemd cgroup driver (not available: libct has cgroupfs only)")
	var showVersion bool
	fs.BoolVar(&showVersion, "version", false, "print the version and exit")
	fs.BoolVar(&showVersion, "v", false, "print the version and exit (short for --version)")
	// Accepted for runc compatibility; they change nothing in ct.
	fs.String("rootless", "auto", "accepted for runc compatibility; ignored")
	fs.String("criu", "", "accepted for runc compatibility; ignored (no checkpoint/restore)")
	fs.Usage = func() { usage(fs, stderr) }
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return exitUsage
	}
	if showVersion {
		fmt.Fprintf(os.Stdout, "ct version %s\nspec: %s\n", version, specs.Version)
		return 0
	}
	if fs.NArg() == 0 {
		usage(fs, stderr)
		return exitUsage
	}
	name := fs.Arg(0)
	var cmd *command
	for i := range commands {
		if commands[i].name == name {
			cmd = &commands[i]
		}
	}
	if cmd == nil {
		fmt.Fprintf(stderr, "ct: unknown command %s\n", quote.Value(name))
		usage(fs, stderr)
		return exitUsage
	}
	log, err := newLogger(g.logPath, g.logFormat, g.debug, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "ct: %v\n", err)
		return exitUsage
	}
	defer log.close()
	g.log = log
	log.debugf("ct %s %q (root %s)", name, fs.Args()[1:], g.root)
	code, err := cmd.run(g, fs.Args()[1:])
	if err != nil {
		msg := oneLine(err.Error())
		fmt.Fprintf(stderr, "ct: %s: %s\n", name, msg)
		if log.toFile() {
			log.errorf("%s: %s", name, msg)
		}
		if code == 0 {
			code = exitError
		}
	}
	return code
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

// session opens the local session on --root; its warnings (failed
// poststop hooks) go to the log. A failed poststart hook is one of them:
// "the runtime MUST log a warning, but the remaining hooks and lifecycle
// continue as if the hook had succeeded" (runtime-spec, lifecycle), where
// runc kills the container instead (libct.WithFailingPoststart).
func (g *globals) session() (*libct.Session, error) {
	root, err := filepath.Abs(g.root)
	if err != nil {
		return nil, fmt.Errorf("--root: %w", err)
	}
	return libct.Open("local", libct.WithRoot(root), libct.WithWarnings(func(err error) {
		g.log.warnf("%s", oneLine(err.Error()))
	}), g.traceOption())
}

// specWarnings logs the fields of the spec in file that the conversion
// dropped, as the runtime spec lets it, naming the file and the field.
func (g *globals) specWarnings(file string) oci.Option {
	return oci.WithWarnings(func(fe *oci.FieldError) {
		g.log.warnf("%s: %s", file, oneLine(fe.Error()))
	})
}

// open opens the session and the container id in it; the caller closes
// the session.
func (g *globals) open(id string) (*libct.Session, *libct.Container, error) {
	s, err := g.session()
	if err != nil {
		return nil, nil, err
	}
	c, err := openContainer(s, id)
	if err != nil {
		s.Close()
		return nil, nil, err
	}
	return s, c, nil
}

// traceOption prints the phases of each start when --trace is given.
func (g *globals) traceOption() libct.SessionOption {
	if !g.trace {
		return libct.WithTrace(nil)
	}
	start := time.Now()
	// The CPU ct spent before it opened its session: the exec, the
	// dynamic loader's and the C library's start (next to nothing with a
	// static musl build), the Go runtime's, the packages' init, the
	// command line and the bundle's config.
	var before unix.Timespec
	unix.ClockGettime(unix.CLOCK_PROCESS_CPUTIME_ID, &before)
	return libct.WithTrace(func(container string, phases []libct.Phase) {
		var total time.Duration
		for _, p := range phases {
			fmt.Fprintf(g.stderr, "ct: trace: %s: %-34s %8.3f ms\n", container, p.Name, p.Duration.Seconds()*1000)
			total += p.Duration
		}
		fmt.Fprintf(g.stderr, "ct: trace: %s: %-34s %8.3f ms (since ct started: %.3f ms)\n", container, "total", total.Seconds()*1000, time.Since(start).Seconds()*1000)
		fmt.Fprintf(g.stderr, "ct: trace: %s: %-34s %8.3f ms of CPU (exec, loader and C library, Go runtime, flags, config)\n", container, "ct before its session", float64(before.Nano())/1e6)
	})
}
