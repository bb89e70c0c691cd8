package libct_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/libct/libct"
)

// helperEnv selects a scenario of TestHelperProcess in a re-executed test
// binary: another process working on the same session root.
const helperEnv = "LIBCT_TEST_HELPER"

// TestHelperProcess is not a test: it is the body of the helper processes
// that the state tests start.
func TestHelperProcess(t *testing.T) {
	scenario := os.Getenv(helperEnv)
	if scenario == "" {
		t.Skip("helper process body; runs only when re-executed by a test")
	}
	err := runHelper(scenario, os.Getenv("LIBCT_TEST_ROOT"), os.Getenv("LIBCT_TEST_NAME"))
	if err != nil {
		fmt.Println("error:", err)
		os.Exit(1)
	}
	os.Exit(0)
}

func runHelper(scenario, root, name string) error {
	if scenario == "spawn-and-die" {
		// Start a detached container and exit without a word to it.
		s, err := libct.Open("local", libct.WithRoot(root))
		if err != nil {
			return err
		}
		c, err := s.Create(name, &libct.Config{Namespaces: libct.NewPID, Options: libct.Detached})
		if err != nil {
			return err
		}
		if err := c.Spawn(&libct.Process{Args: []string{"sleep", "100"}}); err != nil {
			return err
		}
		pid, _ := c.Pid()
		fmt.Printf("pid=%d\n", pid)
		os.Exit(0)
	}
	if strings.HasPrefix(scenario, "rootless") {
		return rootlessHelper(root, os.Getenv("LIBCT_TEST_ROOTFS"), scenario == "rootless-ranges")
	}
	s, err := libct.Open("local", libct.WithRoot(root))
	if err != nil {
		return err
	}
	defer s.Close()
	c, err := s.Container(name)
	if err != nil {
		return err
	}
	switch scenario {
	case "inspect-kill-destroy":
		st, err := c.State()
		if err != nil {
			return err
		}
		pid, err := c.Pid()
		if err != nil {
			return err
		}
		fmt.Printf("state=%s pid=%d\n", st, pid)
		if err := c.Kill(syscall.SIGKILL); err != nil {
			return err
		}
		if _, err := c.Wait(); !errors.Is(err, libct.ErrNotParent) {
			return fmt.Errorf("Wait from another process: %v, want ErrNotParent", err)
		}
		if st, _ := c.State(); st != libct.Stopped {
			return fmt.Errorf("state after kill: %s", st)
		}
		return c.Destroy()
	case "hammer-config":
		for i := 0; i < 40; i++ {
			if err := c.SetHostname(fmt.Sprintf("h%d-%d", os.Getpid(), i), ""); err != nil {
				return err
			}
			if _, err := c.Config(); err != nil {
				return err
			}
		}
		return nil
	}
	return fmt.Errorf("unknown scenario %q", scenario)
}

func helperCmd(scenario, root, name string) *exec.Cmd {
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcess$")
	cmd.Env = append(os.Environ(), helperEnv+"="+scenario, "LIBCT_TEST_ROOT="+root, "LIBCT_TEST_NAME="+name)
	return cmd
}

func TestOpenFromAnotherProcess(t *testing.T) {
	s := newSession(t)
	c, err := s.Create(uniqueName(t), busybox(t))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Spawn(&libct.Process{Args: []string{"sleep", "100"}}); err != nil {
		t.Fatal(err)
	}
	pid, _ := c.Pid()
	out, err := helperCmd("inspect-kill-destroy", s.Root(), c.Name()).CombinedOutput()
	if err != nil {
		t.Fatalf("helper: %v\n%s", err, out)
	}
	if want := fmt.Sprintf("state=running pid=%d", pid); !strings.Contains(string(out), want) {
		t.Errorf("helper saw %q, want %q", out, want)
	}
	if st, err := c.Wait(); err != nil || st.Signal != syscall.SIGKILL {
		t.Errorf("Wait() in the parent = %v, %v; want killed by SIGKILL", st, err)
	}
	if _, err := os.Stat(filepath.Join(s.Root(), c.Name())); !os.IsNotExist(err) {
		t.Errorf("state directory left after Destroy from another process: %v", err)
	}
}

// TestStateLocking has processes rewrite one container's config at the
// same time: every read and write goes through, and the stored document is
// whole at the end.
func TestStateLocking(t *testing.T) {
	s := newSession(t)
	c, err := s.Create(uniqueName(t), &libct.Config{Namespaces: libct.NewUTS})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if out, err := helperCmd("hammer-config", s.Root(), c.Name()).CombinedOutput(); err != nil {
				errs <- fmt.Errorf("%v: %s", err, out)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	data, err := os.ReadFile(filepath.Join(s.Root(), c.Name(), "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	var cfg libct.Config
	if err := json.Unmarshal(data, &cfg); err != nil || !strings.HasPrefix(cfg.Hostname, "h") {
		t.Fatalf("config after concurrent writes: %v, %q", err, data)
	}
	entries, _ := os.ReadDir(filepath.Join(s.Root(), c.Name()))
	for _, e := range entries {
		if strings.Contains(e.Name(), ".tmp") {
			t.Errorf("temporary file left: %s", e.Name())
		}
	}
}
