package libct

import (
	"encoding/json"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/libct/libct/internal/hooks"
)

// Hook is a program run at a point of a container's life with the
// container's state (OCI's state document) on its standard input.
type Hook = hooks.Hook

// Hooks are the programs run at the points of the OCI lifecycle; their
// failure fails the operation, except for Poststart and Poststop, whose
// failures are only reported (see WithWarnings).
type Hooks struct {
	// Prestart (deprecated by OCI, still used) and CreateRuntime run in
	// the caller's namespaces once the container's namespaces, mounts
	// and network exist, before the root is switched.
	Prestart      []Hook `json:"prestart,omitempty"`
	CreateRuntime []Hook `json:"createRuntime,omitempty"`
	// CreateContainer run right after, in the container's namespaces,
	// still before the root is switched (their paths resolve on the host).
	CreateContainer []Hook `json:"createContainer,omitempty"`
	// StartContainer run in the container, root switched, right before
	// the program is executed.
	StartContainer []Hook `json:"startContainer,omitempty"`
	// Poststart run in the caller's namespaces once the program runs.
	Poststart []Hook `json:"poststart,omitempty"`
	// Poststop run in the caller's namespaces once Destroy removed the
	// container.
	Poststop []Hook `json:"poststop,omitempty"`
}

// hookState is the OCI state document hooks get on stdin.
func (c *Container) hookState(cfg *hookConfig, status specs.ContainerState, pid int) []byte {
	data, _ := json.Marshal(&specs.State{
		Version:     specs.Version,
		ID:          c.name,
		Status:      status,
		Pid:         pid,
		Bundle:      cfg.Bundle,
		Annotations: cfg.Annotations,
	})
	return data
}

// hookConfig is the part of a stored Config that the hooks run after a
// start or a destroy need, with the same JSON names. Start and Destroy
// read it rather than the whole Config: decoding a type costs
// encoding/json a walk over every type it holds, once per process, and
// for a Config that walk was most of the CPU of a ct start or ct delete.
type hookConfig struct {
	Hooks       Hooks             `json:"hooks,omitzero"`
	Bundle      string            `json:"bundle,omitempty"`
	Annotations map[string]string `json:"annotations,omitempty"`
}

// hookConfig is cfg's part that hooks need.
func (cfg *Config) hookConfig() *hookConfig {
	return &hookConfig{Hooks: cfg.Hooks, Bundle: cfg.Bundle, Annotations: cfg.Annotations}
}

// hookConfig reads the hooks of the stored config.
func (c *Container) hookConfig() (*hookConfig, error) {
	var hc hookConfig
	if err := c.readConfig(&hc); err != nil {
		return nil, err
	}
	return &hc, nil
}

// runWarnHooks runs hooks whose failure must not fail the operation, and
// reports it to the session's warning sink.
func (c *Container) runWarnHooks(field string, list []Hook, state []byte) {
	if err := hooks.RunAll(field, list, state); err != nil {
		c.session.warn(err)
	}
}
