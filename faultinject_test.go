//go:build libct_faultinject

package libct_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"

	"github.com/libct/libct"
	"github.com/libct/libct/internal/faultpoint"
	"github.com/libct/libct/internal/testutil"
)

// faultHelperEnv makes the test binary the process that a fault test
// kills: it spawns the container described by the environment, and dies
// at the fault point faultpoint.EnvVar names.
const faultHelperEnv = "LIBCT_TEST_FAULT_HELPER"

// TestFaultHelper is not a test: it is the body of the killed process.
func TestFaultHelper(t *testing.T) {
	if os.Getenv(faultHelperEnv) == "" {
		t.Skip("fault helper body; runs only when re-executed by a test")
	}
	var cfg libct.Config
	if err := json.Unmarshal([]byte(os.Getenv(faultHelperEnv)), &cfg); err != nil {
		fmt.Println("error:", err)
		os.Exit(1)
	}
	cfg.Options |= libct.Detached
	s, err := libct.Open("local", libct.WithRoot(os.Getenv("LIBCT_TEST_ROOT")))
	if err == nil {
		var c *libct.Container
		if c, err = s.Create(os.Getenv("LIBCT_TEST_NAME"), &cfg); err == nil {
			err = c.Spawn(&libct.Process{Args: []string{"sleep", "100"}})
		}
	}
	if err != nil {
		fmt.Println("error:", err)
		os.Exit(1)
	}
	os.Exit(0)
}

// TestKilledAtEverySpawnPoint kills a process spawning a container at each
// point of the start, for containers that the cgroup finds (cloned into
// it), that only the init's recorded pid finds, and that mount in the
// caller's mount namespace; then Destroy from a new session, with
// state.json intact or damaged, must leave no process, cgroup, mount or
// state.
func TestKilledAtEverySpawnPoint(t *testing.T) {
	testutil.RequireRoot(t)
	points := []string{"state dir", "lock and state", "config", "intent", "cgroup", "spec", "clone",
		"attach, id maps, network", "exec", "state"}
	configs := map[string]func(t *testing.T, name string) *libct.Config{
		"cgroup": func(t *testing.T, name string) *libct.Config {
			cfg := busybox(t)
			cfg.Cgroup = &libct.Cgroup{}
			return cfg
		},
		"no cgroup": func(t *testing.T, name string) *libct.Config { return busybox(t) },
		// A veth pair whose host end is in a namespace of the test's.
		"veth": func(t *testing.T, name string) *libct.Config {
			_, hostNS := hostNetns(t)
			return netConfig(t, hostNS, "10.77.0.2/24")
		},
		"host mounts": func(t *testing.T, name string) *libct.Config {
			base := t.TempDir()
			root, private := filepath.Join(base, "root"), filepath.Join(base, "private")
			if err := os.Mkdir(root, 0o755); err != nil {
				t.Fatal(err)
			}
			if err := testutil.BuildBusyboxRootfs(private); err != nil {
				t.Fatal(err)
			}
			return &libct.Config{Namespaces: libct.NewPID | libct.NewUTS, Root: root, Private: private}
		},
	}
	for cfgName, makeConfig := range configs {
		for _, point := range points {
			for _, damaged := range []bool{false, true} {
				if damaged && point != "state" && point != "exec" {
					continue // nothing to damage before the record matters
				}
				t.Run(fmt.Sprintf("%s/%s/damaged=%v", cfgName, point, damaged), func(t *testing.T) {
					root := t.TempDir()
					name := uniqueName(t)
					cfg := makeConfig(t, name)
					data, err := json.Marshal(cfg)
					if err != nil {
						t.Fatal(err)
					}
					cmd := exec.Command(os.Args[0], "-test.run=^TestFaultHelper$")
					cmd.Env = append(os.Environ(), faultHelperEnv+"="+string(data), faultpoint.EnvVar+"="+point,
						"LIBCT_TEST_ROOT="+root, "LIBCT_TEST_NAME="+name)
					out, err := cmd.CombinedOutput()
					if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
						t.Fatalf("helper killed at %q: %v, want SIGKILL (the point was not reached)\n%s", point, err, out)
					}
					initPid := recordedPid(root, name)
					if damaged {
						if err := os.WriteFile(filepath.Join(root, name, "state.json"), []byte("{\"pid\":"), 0o600); err != nil {
							t.Fatal(err)
						}
					}
					s, err := libct.Open("local", libct.WithRoot(root))
					if err != nil {
						t.Fatal(err)
					}
					defer s.Close()
					if c, err := s.Container(name); err == nil {
						if err := c.Destroy(); err != nil {
							t.Errorf("Destroy after a kill at %q: %v", point, err)
						}
					} else if !errors.Is(err, libct.ErrNotExist) {
						t.Errorf("open after a kill at %q: %v", point, err)
					}
					leaks := testutil.ContainerLeaks("/libct/"+name, cfg.Root, root, "", cfg.Root, root)
					if initPid > 0 && alive(initPid) {
						leaks = append(leaks, "init "+strconv.Itoa(initPid))
					}
					if ns := cfg.Network.HostNamespace; ns != "" {
						if out := ipCmd(t, "-n", filepath.Base(ns), "-o", "link", "show", "type", "veth"); out != "" {
							leaks = append(leaks, "veth "+out)
						}
					}
					if len(leaks) > 0 {
						t.Errorf("after a kill at %q and Destroy, left: %q", point, leaks)
					}
				})
			}
		}
	}
}

// recordedPid is the init's pid in the state or intent of container name,
// or 0: the scan checks it is gone.
func recordedPid(root, name string) int {
	for _, file := range []string{"state.json", "intent.json"} {
		var rec struct {
			Pid int `json:"pid"`
		}
		if data, err := os.ReadFile(filepath.Join(root, name, file)); err == nil && json.Unmarshal(data, &rec) == nil && rec.Pid > 0 {
			return rec.Pid
		}
	}
	return 0
}

// alive tells whether pid runs (a zombie does not).
func alive(pid int) bool {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	i := len(data) - 1
	for i > 0 && data[i] != ')' {
		i--
	}
	return i+2 < len(data) && data[i+2] != 'Z' && data[i+2] != 'X'
}
