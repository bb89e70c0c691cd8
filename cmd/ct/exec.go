package main

import (
	"encoding/json"
	"errors"
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

// exitExecFailed is exec's status when ct could not run the process at
// all, as runc's: apart from the statuses a program commonly exits with.
const exitExecFailed = 255

func runExec(g *globals, args []string) (int, error) {
	code, err := execProcess(g, args)
	if err != nil && code == exitError {
		code = exitExecFailed
	}
	return code, err
}

func execProcess(g *globals, args []string) (int, error) {
	f := newFlags(g, "exec", "[options] CONTAINER_ID [COMMAND [ARGS...]]")
	var (
		processFile, pidFile, consoleSocket string
		pidfdSocketPath                     string
		cwd, userSpec, apparmor, label      stringFlag
		tty, detach, ignorePaused           bool
		noNewPrivs                          bool
		env, caps, groups, cgroupPaths      listFlag
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
	f.StringVar(&pidfdSocketPath, "pidfd-socket", "", "unix socket to send a pidfd of the process to")
	f.Var(&cgroupPaths, "cgroup", "run in this sub-cgroup of the container's cgroup: PATH, or CONTROLLER[,CONTROLLER]:PATH (repeatable)")
	f.BoolVar(&ignorePaused, "ignore-paused", false, "start the process in a paused container too (it runs once resumed)")
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
	subCgroups, err := parseSubCgroups(cgroupPaths)
	if err != nil {
		return exitUsage, err
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
	base, personality := bundleDefaults(cfg)
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
		sp = base
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
	if proc.Personality == nil {
		proc.Personality = personality
	}
	proc.SubCgroups, proc.EnterPaused = subCgroups, ignorePaused
	pidfdSock, err := dialPidfdSocket(pidfdSocketPath)
	if err != nil {
		return fail(err)
	}
	defer pidfdSock.close()

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
		var se *libct.StateError
		if errors.As(err, &se) && se.State == libct.Paused {
			return fail(fmt.Errorf("cannot exec in a paused container (use --ignore-paused to override): %w", err))
		}
		return fail(configError(source, err))
	}
	err = nil
	if pidFile != "" {
		err = writePidFile(pidFile, task.Pid())
	}
	if err == nil {
		err = pidfdSock.send(task.Pid())
	}
	if err != nil {
		// A process that cannot be told about goes: nobody could
		// follow it.
		task.Signal(9)
		if !detach {
			task.Wait()
		}
		return fail(err)
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

// bundleDefaults are what an exec'd process takes from the bundle's
// config.json, as runc's does: the process a bare `exec ID COMMAND`
// starts from (its environment, user, capabilities, ...), and the
// container's personality, which every process of the container gets.
// When the bundle is gone, the process is a plain root one with the
// default PATH. libct keeps no process description of its own.
func bundleDefaults(cfg *libct.Config) (specs.Process, *uint32) {
	if cfg.Bundle != "" {
		if proc, personality, err := oci.LoadExecDefaults(cfg.Bundle); err == nil && proc != nil {
			p := *proc
			p.ConsoleSize = nil
			return p, personality
		}
	}
	return specs.Process{Env: []string{defaultExecPath}, Cwd: "/"}, nil
}

// parseSubCgroups reads exec's --cgroup values, as runc's: PATH (every
// hierarchy) or CONTROLLER[,CONTROLLER]:PATH, each controller and the
// bare form at most once.
func parseSubCgroups(values []string) (map[string]string, error) {
	if len(values) == 0 {
		return nil, nil
	}
	subs := make(map[string]string, len(values))
	for _, v := range values {
		ctls, sub, hasCtl := strings.Cut(v, ":")
		if !hasCtl {
			if _, dup := subs[""]; dup {
				return nil, usagef("--cgroup %s: a path for every controller was given already", quote.Value(v))
			}
			subs[""] = v
			continue
		}
		for _, ctl := range strings.Split(ctls, ",") {
			if ctl == "" {
				return nil, usagef("--cgroup %s: empty controller name (want CONTROLLER[,CONTROLLER]:PATH)", quote.Value(v))
			}
			if _, dup := subs[ctl]; dup {
				return nil, usagef("--cgroup %s: controller %s was given a path already", quote.Value(v), quote.Value(ctl))
			}
			subs[ctl] = sub
		}
	}
	return subs, nil
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
