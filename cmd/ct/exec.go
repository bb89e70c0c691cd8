package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/libct/libct"
	"github.com/libct/libct/internal/quote"
	"github.com/libct/libct/oci"
)

// defaultExecPath is the PATH of a process exec'd into a container whose
// bundle no longer tells the container's own environment.
const defaultExecPath = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

func runExec(g *globals, args []string) (int, error) {
	f := newFlags(g, "exec", "[options] CONTAINER_ID [COMMAND [ARGS...]]")
	var (
		processFile, pidFile, consoleSocket string
		cwd, userSpec, apparmor, label      stringFlag
		tty, detach                         bool
		noNewPrivs                          bool
		env, caps, groups                   listFlag
		preserveFDs                         int
	)
	f.StringVar(&processFile, "process", "", "JSON file of the process (an OCI process object); replaces COMMAND")
	f.StringVar(&processFile, "p", "", "short for --process")
	f.BoolVar(&tty, "tty", false, "give the process a terminal")
	f.BoolVar(&tty, "t", false, "short for --tty")
	f.BoolVar(&detach, "detach", false, "return once the process runs")
	f.BoolVar(&detach, "d", false, "short for --detach")
	f.StringVar(&pidFile, "pid-file", "", "write the process's pid to this file")
	f.StringVar(&consoleSocket, "console-socket", "", "unix socket to send the master of the process's terminal to")
	f.Var(&env, "env", "KEY=value added to the environment (repeatable)")
	f.Var(&env, "e", "short for --env")
	f.Var(&cwd, "cwd", "working directory inside the container")
	f.Var(&userSpec, "user", "UID[:GID] to run as")
	f.Var(&userSpec, "u", "short for --user")
	f.Var(&groups, "additional-gids", "supplementary group id (repeatable)")
	f.Var(&groups, "g", "short for --additional-gids")
	f.Var(&caps, "cap", "capability to add, CAP_NAME or NAME (repeatable)")
	f.Var(&caps, "c", "short for --cap")
	f.BoolVar(&noNewPrivs, "no-new-privs", false, "set no_new_privs for the process")
	f.Var(&apparmor, "apparmor", "AppArmor profile of the process")
	f.Var(&label, "process-label", "SELinux label of the process")
	f.IntVar(&preserveFDs, "preserve-fds", 0, "pass ct's fds 3 .. 3+N-1 to the process")
	pos, err := f.parse(args, false)
	if err != nil {
		return parseResult(err)
	}
	if len(pos) == 0 {
		f.Usage()
		return exitUsage, usagef("missing container ID")
	}
	id, cmdArgs := pos[0], pos[1:]
	if processFile == "" && len(cmdArgs) == 0 {
		f.Usage()
		return exitUsage, usagef("missing the command to run (or --process)")
	}
	if preserveFDs < 0 {
		return exitUsage, usagef("--preserve-fds %d: must be >= 0", preserveFDs)
	}

	s, c, err := g.open(id)
	if err != nil {
		return fail(err)
	}
	defer s.Close()
	cfg, err := c.Config()
	if err != nil {
		return fail(err)
	}
	source := "exec"
	var sp specs.Process
	if processFile != "" {
		source = processFile
		data, err := os.ReadFile(processFile)
		if err != nil {
			return fail(fmt.Errorf("--process: %w", err))
		}
		if err := json.Unmarshal(data, &sp); err != nil {
			return fail(fmt.Errorf("--process %s: %w", processFile, err))
		}
	} else {
		sp = baseProcess(cfg)
		sp.Terminal = tty
	}
	if len(cmdArgs) > 0 {
		sp.Args, sp.CommandLine = cmdArgs, ""
	}
	if tty {
		sp.Terminal = true
	}
	sp.Env = mergeEnv(sp.Env, env)
	if cwd.set {
		sp.Cwd = cwd.v
	}
	if userSpec.set {
		uid, gid, err := parseUser(userSpec.v)
		if err != nil {
			return exitUsage, err
		}
		sp.User.UID, sp.User.GID = uid, gid
	}
	for _, gs := range groups {
		gid, err := strconv.ParseUint(gs, 10, 32)
		if err != nil {
			return exitUsage, usagef("--additional-gids %s: not a group id", quote.Value(gs))
		}
		sp.User.AdditionalGids = append(sp.User.AdditionalGids, uint32(gid))
	}
	if len(caps) > 0 {
		if sp.Capabilities == nil {
			sp.Capabilities = &specs.LinuxCapabilities{}
		}
		for _, name := range caps {
			name = strings.ToUpper(name)
			if !strings.HasPrefix(name, "CAP_") {
				name = "CAP_" + name
			}
			sp.Capabilities.Bounding = append(sp.Capabilities.Bounding, name)
			sp.Capabilities.Effective = append(sp.Capabilities.Effective, name)
			sp.Capabilities.Permitted = append(sp.Capabilities.Permitted, name)
			// An ambient capability needs the inheritable one too, which
			// --cap does not add: as runc's exec, it goes to the ambient
			// set when the spec has an inheritable set to take it from.
			if sp.Capabilities.Inheritable != nil {
				sp.Capabilities.Ambient = append(sp.Capabilities.Ambient, name)
			}
		}
	}
	if noNewPrivs {
		sp.NoNewPrivileges = true
	}
	if apparmor.set {
		sp.ApparmorProfile = apparmor.v
	}
	if label.set {
		sp.SelinuxLabel = label.v
	}

	proc, err := oci.ConvertProcess(&sp, cfg, g.specWarnings(source))
	if err != nil {
		return fail(nameFile(source, err))
	}
	if proc.Terminal {
		if consoleSocket != "" {
			if proc.ConsoleSocket, err = filepath.Abs(consoleSocket); err != nil {
				return fail(fmt.Errorf("--console-socket: %w", err))
			}
		} else if detach {
			return exitUsage, usagef("--detach with a terminal needs --console-socket to hand the terminal to")
		} else {
			// ct relays the terminal itself (proxyConsole).
			proc.ConsoleRawOutput = true
		}
	} else {
		if consoleSocket != "" {
			return exitUsage, usagef("--console-socket is only for a process with a terminal (--tty)")
		}
		proc.Stdin, proc.Stdout, proc.Stderr = os.Stdin, os.Stdout, os.Stderr
	}
	if proc.ExtraFiles, err = preservedFiles(3, preserveFDs); err != nil {
		return fail(err)
	}

	enter := c.Enter
	var signals *signalForwarder
	if detach {
		// The engine's shim, ct's subreaper, reaps it and reads its
		// status once ct is gone.
		enter = c.EnterDetached
	} else {
		// In the foreground ct's signals go to the process: caught from
		// before it starts, so that none ends ct in between, and sent
		// once it runs.
		if signals, err = catchForwardedSignals(); err != nil {
			return fail(err)
		}
		defer signals.stop()
	}
	task, err := enter(proc)
	if err != nil {
		return fail(configError(source, err))
	}
	if pidFile != "" {
		if err := writePidFile(pidFile, task.Pid()); err != nil {
			if !detach {
				task.Signal(9)
				task.Wait()
			}
			return fail(err)
		}
	}
	if detach {
		return 0, nil
	}
	signals.forward(task.Signal)
	var endConsole func()
	if con := task.Console(); con != nil {
		endConsole = proxyConsole(con)
	}
	st, err := task.Wait()
	signals.stop()
	if endConsole != nil {
		endConsole()
	}
	if err != nil {
		return fail(err)
	}
	return st.ExitCode(), nil
}

// baseProcess is what a bare `exec ID COMMAND` starts from: the process of
// the bundle's config.json (its environment, user, capabilities, ...), as
// runc does, or a plain root process with the default PATH when the bundle
// is gone. libct keeps no process description of its own.
func baseProcess(cfg *libct.Config) specs.Process {
	if cfg.Bundle != "" {
		if proc, err := oci.LoadProcess(cfg.Bundle); err == nil && proc != nil {
			p := *proc
			p.ConsoleSize = nil
			return p
		}
	}
	return specs.Process{Env: []string{defaultExecPath}, Cwd: "/"}
}

// parseUser reads UID[:GID].
func parseUser(s string) (uid, gid uint32, err error) {
	us, gs, hasGID := strings.Cut(s, ":")
	u, err := strconv.ParseUint(us, 10, 32)
	if err != nil {
		return 0, 0, usagef("--user %s: want UID[:GID] (numbers)", quote.Value(s))
	}
	if hasGID {
		g, err := strconv.ParseUint(gs, 10, 32)
		if err != nil {
			return 0, 0, usagef("--user %s: want UID[:GID] (numbers)", quote.Value(s))
		}
		return uint32(u), uint32(g), nil
	}
	return uint32(u), 0, nil
}
