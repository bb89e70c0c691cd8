package main

import (
	"encoding/json"
	"slices"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/libct/libct"
	"github.com/libct/libct/internal/nsenter"
)

// TestExecWithoutEnterStage: ct exec into a container with a mount
// namespace runs the command when ct has the enter stage; built without
// cgo, ct refuses it with libct's one error, on one line after the
// command and the container's name, and starts nothing in the container.
func TestExecWithoutEnterStage(t *testing.T) {
	e := newOCIEnv(t)
	id := e.id("nostage")
	e.ok("run", "--detach", "--bundle", e.bundle([]string{"sleep", "1000"}, nil), id)
	before := e.ok("ps", "--format", "json", id).stdout
	res := e.ct("exec", id, "echo", "entered")
	if nsenter.Available {
		if res.code != 0 || res.stdout != "entered\n" {
			t.Errorf("exec with the enter stage: exit %d, stdout %q, stderr %q", res.code, res.stdout, res.stderr)
		}
		return
	}
	// 255: runc's status for an exec that could not start its process.
	if res.code != 255 || res.stdout != "" {
		t.Errorf("exec without the enter stage: exit %d, stdout %q; want 255 and nothing", res.code, res.stdout)
	}
	if want := "ct: exec: container \"" + id + "\": enter: " + libct.ErrNoEnterStage.Error() + "\n"; res.stderr != want {
		t.Errorf("exec without the enter stage: stderr %q, want %q", res.stderr, want)
	}
	var pidsBefore, pidsAfter []int
	json.Unmarshal([]byte(before), &pidsBefore)
	json.Unmarshal([]byte(e.ok("ps", "--format", "json", id).stdout), &pidsAfter)
	if len(pidsBefore) == 0 || !slices.Equal(pidsBefore, pidsAfter) {
		t.Errorf("container processes %v after the refused exec, %v before", pidsAfter, pidsBefore)
	}
	e.checkState(id, specs.StateRunning)
}
