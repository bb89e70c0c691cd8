//go:build libct_faultinject

package main

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/libct/libct/internal/faultpoint"
	"github.com/libct/libct/internal/testutil"
)

// The points at which the process driving an operation is killed: the
// --trace phases of a start (fault points in test builds, see
// internal/faultpoint), and those of state creation, start, exec and
// delete.
var (
	createPoints = []string{"state dir", "lock and state", "config", "intent", "cgroup", "spec", "clone",
		"attach, id maps, network", "exec", "state"}
	startPoints  = []string{"start: locked", "start: fifo opened", "start: released"}
	execPoints   = []string{"exec: locked", "exec: started"}
	deletePoints = []string{"delete: locked", "delete: network", "delete: killed", "delete: undone"}
)

// killedAt runs ct with args, to be killed at point, and fails the test
// unless SIGKILL is what ended it: the point was reached.
func (e *ociEnv) killedAt(point string, args ...string) {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd, result := e.command(ctx, args...)
	cmd.Env = append(cmd.Env, faultpoint.EnvVar+"="+point)
	err := cmd.Run()
	res := result()
	var ee *exec.ExitError
	if !errors.As(err, &ee) {
		e.t.Fatalf("ct %q killed at %q: ended with %v, want SIGKILL; stderr %q", args, point, err, res.stderr)
	}
	if ws, ok := ee.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
		e.t.Fatalf("ct %q killed at %q: %v, want SIGKILL (the point was not reached); stderr %q", args, point, err, res.stderr)
	}
}

// fresh is e for subtest t with a state root of its own, so that what one
// subtest leaves cannot fail another's scan.
func (e *ociEnv) fresh(t *testing.T) *ociEnv {
	c := *e
	c.t, c.root = t, t.TempDir()
	t.Cleanup(func() {
		entries, _ := os.ReadDir(c.root)
		for _, ent := range entries {
			if ent.IsDir() && !strings.HasPrefix(ent.Name(), ".") {
				c.ct("delete", "--force", ent.Name())
			}
		}
	})
	return &c
}

// deleteAndScan force-deletes id and checks that nothing of it is left.
func (e *ociEnv) deleteAndScan(id, bundle string) {
	e.t.Helper()
	e.ok("delete", "--force", id)
	leaks := testutil.ContainerLeaks("/libct/"+id, e.rootfs, e.root, "", e.rootfs, bundle, e.root)
	if len(leaks) > 0 {
		e.t.Errorf("after a kill and delete --force, %s left: %q", id, leaks)
	}
}

// TestKilledAtEveryPoint kills ct with SIGKILL at every point of create,
// run -d, start, exec and delete, then deletes the container with
// delete --force and scans the host: no process, cgroup, mount or state
// of it may remain.
func TestKilledAtEveryPoint(t *testing.T) {
	e := newOCIEnv(t)
	bundle := e.bundle([]string{"sleep", "100"}, nil)
	bundleArgs := []string{"--bundle", bundle}
	for _, point := range createPoints {
		for _, op := range []string{"create", "run"} {
			t.Run(op+"/"+point, func(t *testing.T) {
				e := e.fresh(t)
				id := e.id("kill")
				args := append([]string{op}, bundleArgs...)
				if op == "run" {
					args = append(args, "--detach")
				}
				e.killedAt(point, append(args, id)...)
				e.deleteAndScan(id, bundle)
			})
		}
	}
	for _, point := range startPoints {
		t.Run("start/"+point, func(t *testing.T) {
			e := e.fresh(t)
			id := e.id("kill")
			e.ok(append(append([]string{"create"}, bundleArgs...), id)...)
			e.killedAt(point, "start", id)
			e.deleteAndScan(id, bundle)
		})
	}
	for _, point := range execPoints {
		t.Run("exec/"+point, func(t *testing.T) {
			testutil.RequireEnterStage(t) // exec joins the mount namespace
			e := e.fresh(t)
			id := e.id("kill")
			e.ok(append(append([]string{"run", "--detach"}, bundleArgs...), id)...)
			e.killedAt(point, "exec", "--detach", id, "sleep", "100")
			e.deleteAndScan(id, bundle)
		})
	}
	for _, point := range deletePoints {
		t.Run("delete/"+point, func(t *testing.T) {
			e := e.fresh(t)
			id := e.id("kill")
			e.ok(append(append([]string{"run", "--detach"}, bundleArgs...), id)...)
			e.killedAt(point, "delete", "--force", id)
			e.deleteAndScan(id, bundle)
		})
	}
}
