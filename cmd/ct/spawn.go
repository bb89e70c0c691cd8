package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/libct/libct"
	"github.com/libct/libct/internal/quote"
)

// listFlag collects a repeatable flag.
type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error { *l = append(*l, v); return nil }

// runSpawn is `ct spawn`: create a container, run CMD in it with ct's own
// standard streams, forward termination signals to it, and exit with its
// status (128+signal when it was killed).
func runSpawn(g *globals, args []string) (int, error) {
	fs := flag.NewFlagSet("ct spawn", flag.ContinueOnError)
	fs.SetOutput(g.stderr)
	var (
		rootfs   = fs.String("rootfs", "", "host directory that becomes the container's root")
		private  = fs.String("private", "", "directory bind-mounted as the root (private area); needs --rootfs")
		hostname = fs.String("hostname", "", "host name (needs the uts namespace)")
		nsList   = fs.String("ns", "", "namespaces to create: mnt,pid,uts,ipc,net,user,cgroup,time")
		cwd      = fs.String("cwd", "", "working directory inside the container")
		userSpec = fs.String("user", "", "UID[:GID] or NAME[:GROUP] to run as")
		name     = fs.String("name", "", "container name (default: spawn-<pid of ct>)")
		binds    listFlag
		env      listFlag
	)
	fs.Var(&binds, "bind", "SRC:DST[:ro] bind mount (repeatable; needs the mnt namespace)")
	fs.Var(&env, "env", "K=V environment variable, added to PATH and TERM or replacing them (repeatable)")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: ct spawn [options] [--] CMD [ARGS...]")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0, nil
		}
		return exitUsage, nil
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return exitUsage, errors.New("missing command to run")
	}
	ns, err := libct.ParseNamespaces(*nsList)
	if err != nil {
		return exitUsage, fmt.Errorf("--ns: %w", err)
	}
	cfg := &libct.Config{Namespaces: ns, Root: *rootfs, Private: *private, Hostname: *hostname}
	for _, b := range binds {
		m, err := parseBind(b)
		if err != nil {
			return exitUsage, err
		}
		cfg.Mounts = append(cfg.Mounts, m)
	}
	if *name == "" {
		*name = "spawn-" + strconv.Itoa(os.Getpid())
	}
	proc := &libct.Process{
		Args: fs.Args(), Dir: *cwd, User: *userSpec,
		Env:   mergeEnv([]string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "TERM=" + os.Getenv("TERM")}, env),
		Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr,
	}

	s, err := libct.Open("local", libct.WithRoot(g.root), g.traceOption())
	if err != nil {
		return exitFailure, err
	}
	defer s.Close()
	c, err := s.Create(*name, cfg)
	if err != nil {
		return exitFailure, err
	}
	defer c.Destroy()

	// Signals that would end ct go to the container instead; it decides.
	signals, err := catchForwardedSignals()
	if err != nil {
		return exitFailure, err
	}
	defer signals.stop()
	if err := c.Spawn(proc); err != nil {
		return exitFailure, err
	}
	signals.forward(c.Signal)
	st, err := c.Wait()
	if err != nil {
		return exitFailure, err
	}
	return st.ExitCode(), nil
}

// parseBind reads SRC:DST[:ro].
func parseBind(spec string) (libct.Mount, error) {
	parts := strings.Split(spec, ":")
	if len(parts) < 2 || len(parts) > 3 || parts[0] == "" || parts[1] == "" {
		return libct.Mount{}, fmt.Errorf("--bind %s: want SRC:DST[:ro]", quote.Value(spec))
	}
	m := libct.Mount{Source: parts[0], Destination: parts[1], Flags: libct.MountBind | libct.MountRecursive}
	if len(parts) == 3 {
		if parts[2] != "ro" {
			return libct.Mount{}, fmt.Errorf("--bind %s: unknown option %s (want ro)", quote.Value(spec), quote.Value(parts[2]))
		}
		m.Flags |= libct.MountReadOnly | libct.MountRecursiveAttrs
	}
	return m, nil
}

// mergeEnv returns base with each K=V of extra replacing the variable of
// the same name or added after it.
func mergeEnv(base, extra []string) []string {
	env := append([]string(nil), base...)
	for _, kv := range extra {
		key, _, _ := strings.Cut(kv, "=")
		replaced := false
		for i, old := range env {
			if strings.HasPrefix(old, key+"=") {
				env[i], replaced = kv, true
				break
			}
		}
		if !replaced {
			env = append(env, kv)
		}
	}
	return env
}
