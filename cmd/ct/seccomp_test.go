package main

import (
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/libct/libct/internal/testutil"
	"github.com/libct/libct/security"
)

// denyMkdirProfile refuses mkdir with EPERM and allows the rest.
func denyMkdirProfile() *specs.LinuxSeccomp {
	return &specs.LinuxSeccomp{
		DefaultAction: specs.ActAllow,
		Architectures: []specs.Arch{specs.ArchX86, specs.ArchX32, specs.ArchX86_64},
		Syscalls:      []specs.LinuxSyscall{{Names: []string{"mkdir", "mkdirat"}, Action: specs.ActErrno}},
	}
}

// TestRunSeccompFlags: ct --debug logs the flags the filter goes in with:
// SPEC_ALLOW when the profile names none, none for "flags": [], and
// TSYNC accepted and left out.
func TestRunSeccompFlags(t *testing.T) {
	e := newOCIEnv(t)
	specAllow := 0
	if security.FlagSupported(specs.LinuxSeccompFlagSpecAllow) {
		specAllow = unix.SECCOMP_FILTER_FLAG_SPEC_ALLOW
	}
	for _, tc := range []struct {
		name  string
		flags []specs.LinuxSeccompFlag
		want  int
	}{
		{"absent", nil, specAllow},
		{"empty", []specs.LinuxSeccompFlag{}, 0},
		{"tsync", []specs.LinuxSeccompFlag{security.FlagTsync}, 0},
		{"log", []specs.LinuxSeccompFlag{specs.LinuxSeccompFlagLog}, unix.SECCOMP_FILTER_FLAG_LOG},
		{"all three", []specs.LinuxSeccompFlag{security.FlagTsync, specs.LinuxSeccompFlagLog, specs.LinuxSeccompFlagSpecAllow},
			unix.SECCOMP_FILTER_FLAG_LOG | unix.SECCOMP_FILTER_FLAG_SPEC_ALLOW},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := e.sub(t)
			bundle := e.bundle([]string{"mkdir", "/tmp/d"}, func(s *specs.Spec) {
				s.Linux.Seccomp = denyMkdirProfile()
			})
			if tc.flags != nil {
				// Set in the JSON itself: a spec marshals "flags": []
				// as no flags at all.
				setSeccompFlags(t, bundle, tc.flags)
			}
			res := e.ct("--debug", "run", "--bundle", bundle, e.id("flags"))
			want := `msg="seccomp filter flags: ` + strconv.Itoa(tc.want) + `"`
			if res.code == 0 || !strings.Contains(res.stderr, "Operation not permitted") || !strings.Contains(res.stderr, want) {
				t.Errorf("exit %d, stderr:\n%s\nwant a refused mkdir and %s", res.code, res.stderr, want)
			}
		})
	}
}

// setSeccompFlags sets linux.seccomp.flags in the bundle's config.json.
func setSeccompFlags(t *testing.T, bundle string, flags []specs.LinuxSeccompFlag) {
	t.Helper()
	path := filepath.Join(bundle, "config.json")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	doc["linux"].(map[string]any)["seccomp"].(map[string]any)["flags"] = flags
	if data, err = json.Marshal(doc); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestSeccompAgentThroughCT: ct hands the listener of a profile with a
// listenerPath to the agent there, for run, create and start, and exec;
// the agent's answer (EXDEV for mkdir) reaches the container.
func TestSeccompAgentThroughCT(t *testing.T) {
	e := newOCIEnv(t)
	testutil.RequireEnterStage(t) // exec enters a container with a mount namespace
	agent := filepath.Join(t.TempDir(), "agent.sock")
	visits := serveAgent(t, agent)
	const script = "mkdir /tmp/d 2>&1; test -d /tmp/d || echo no-dir"
	withAgent := func(args []string) string {
		return e.bundle(args, func(s *specs.Spec) {
			s.Linux.Seccomp = &specs.LinuxSeccomp{
				DefaultAction:    specs.ActAllow,
				Architectures:    []specs.Arch{specs.ArchX86, specs.ArchX32, specs.ArchX86_64},
				ListenerPath:     agent,
				ListenerMetadata: "meta",
				Syscalls:         []specs.LinuxSyscall{{Names: []string{"mkdir"}, Action: specs.ActNotify}},
			}
		})
	}
	check := func(t *testing.T, out string, status specs.ContainerState) {
		t.Helper()
		select {
		case st := <-visits:
			if st.Metadata != "meta" || st.State.Status != status {
				t.Errorf("agent got %+v; want metadata meta, status %s", st, status)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("the agent got no listener")
		}
		if !strings.Contains(out, "Invalid cross-device link") || !strings.Contains(out, "no-dir") {
			t.Errorf("container output %q; want the agent's EXDEV", out)
		}
	}
	t.Run("run", func(t *testing.T) {
		e := e.sub(t)
		res := e.ok("run", "--bundle", withAgent([]string{"sh", "-c", script}), e.id("agent-run"))
		check(t, res.stdout, specs.StateCreating)
	})
	t.Run("create and start", func(t *testing.T) {
		e := e.sub(t)
		id := e.id("agent-start")
		// The output outlives ct create, whose stdout the container has.
		dir := t.TempDir()
		bundle := withAgent([]string{"sh", "-c", "(" + script + ") > /home/alice/out"})
		addBind(t, bundle, dir, "/home/alice")
		e.ok("create", "--bundle", bundle, id)
		e.ok("start", id)
		e.waitStatus(id, specs.StateStopped)
		data, _ := os.ReadFile(filepath.Join(dir, "out"))
		check(t, string(data), specs.StateCreating)
		e.ok("delete", id)
	})
	t.Run("exec", func(t *testing.T) {
		e := e.sub(t)
		id := e.id("agent-exec")
		e.ok("run", "--detach", "--bundle", withAgent([]string{"sleep", "100"}), id)
		<-visits // the init's
		res := e.ok("exec", id, "sh", "-c", script)
		check(t, res.stdout, specs.StateRunning)
		e.ok("delete", "--force", id)
	})
}

// addBind adds a bind mount of host directory src at dst to the bundle's config.
func addBind(t *testing.T, bundle, src, dst string) {
	t.Helper()
	path := filepath.Join(bundle, "config.json")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var s specs.Spec
	if err := json.Unmarshal(data, &s); err != nil {
		t.Fatal(err)
	}
	s.Mounts = append(s.Mounts, specs.Mount{Source: src, Destination: dst, Type: "bind", Options: []string{"rbind"}})
	if data, err = json.Marshal(&s); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// serveAgent is a seccomp agent at path: it sends on the channel the
// state of each listener it gets, and answers each mkdir with EXDEV.
func serveAgent(t *testing.T, path string) <-chan specs.ContainerProcessState {
	l, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	visits := make(chan specs.ContainerProcessState, 4)
	go func() {
		for {
			conn, err := l.AcceptUnix()
			if err != nil {
				return
			}
			buf := make([]byte, 4096)
			oob := make([]byte, unix.CmsgSpace(4))
			n, oobn, _, _, err := conn.ReadMsgUnix(buf, oob)
			conn.Close()
			fds := security.ReceivedFds(oob[:max(oobn, 0)])
			var st specs.ContainerProcessState
			if err != nil || len(fds) != 1 || json.Unmarshal(buf[:n], &st) != nil {
				for _, fd := range fds {
					unix.Close(fd)
				}
				continue
			}
			visits <- st
			go func(listener int) {
				defer unix.Close(listener)
				for {
					n, err := security.NotifyReceive(listener)
					if err == nil {
						security.NotifyRespond(listener, n.ID, 0, syscall.EXDEV)
					} else if !strings.Contains(err.Error(), unix.ENOENT.Error()) {
						return
					}
				}
			}(fds[0])
		}
	}()
	return visits
}
