package oci

import (
	"maps"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/libct/libct"
)

// StatePaused is the status of a paused container: runc reports it,
// though the spec lists only creating, created, running and stopped.
const StatePaused specs.ContainerState = "paused"

// State builds the OCI state document of container id from libct's
// state st, the init's pid and the container's config (for the bundle and
// the annotations). The status is creating, created, running, paused or
// stopped; a stopped container has no pid.
func State(id string, st libct.State, pid int, cfg *libct.Config) *specs.State {
	out := &specs.State{Version: specs.Version, ID: id}
	switch st {
	case libct.Created:
		out.Status = specs.StateCreated
	case libct.Running:
		out.Status = specs.StateRunning
	case libct.Paused:
		out.Status = StatePaused
	case libct.Stopped:
		out.Status = specs.StateStopped
	default:
		// "creating", while ct is still making the container.
		out.Status = specs.ContainerState(st)
	}
	if out.Status != specs.StateStopped && pid > 0 {
		out.Pid = pid
	}
	if cfg != nil {
		out.Bundle = cfg.Bundle
		if len(cfg.Annotations) > 0 {
			out.Annotations = maps.Clone(cfg.Annotations)
		}
	}
	return out
}
