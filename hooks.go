package libct

import (
	"bytes"
	"encoding/json"
	"os"
	"reflect"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/libct/libct/internal/hooks"
)

// Hook is a program run at a point of a container's life with the
// container's state (OCI's state document) on its standard input.
type Hook = hooks.Hook

// Hooks are the programs run at the points of the OCI lifecycle; their
// failure fails the operation, except for Poststart and Poststop, whose
// failures are only reported (see WithWarnings and WithFailingPoststart).
// As in runc, a hook without an environment of its own gets the caller's
// (the process's, for CreateContainer and StartContainer), and the hooks
// of the caller's namespaces run in the Bundle directory.
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

// IsZero reports whether h has no hook, for omitzero (see
// network.Spec.IsZero).
func (h Hooks) IsZero() bool { return reflect.ValueOf(h).IsZero() }

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
// start or a destroy need, with the same JSON names: Start and Destroy
// decode it rather than the whole Config.
//
//easyjson:json
type hookConfig struct {
	Hooks       Hooks             `json:"hooks,omitzero"`
	Bundle      string            `json:"bundle,omitempty"`
	Annotations map[string]string `json:"annotations,omitempty"`
}

// hookConfig is cfg's part that hooks need.
func (cfg *Config) hookConfig() *hookConfig {
	return &hookConfig{Hooks: cfg.Hooks, Bundle: cfg.Bundle, Annotations: cfg.Annotations}
}

// hookConfig reads the hooks of the stored config. What it decodes is
// kept with the bytes it came from, and used again while the file holds
// the same bytes: a start decodes the whole config and leaves its hooks
// here (see rememberHooks), and a Start or Destroy after it in the same
// process (ct run) only reads the file and compares. The view is shared:
// its users only read it.
func (c *Container) hookConfig() (*hookConfig, error) {
	data, err := c.dir.ReadBytes(configFile)
	if err != nil {
		return nil, c.wrapMissing(err)
	}
	c.mu.Lock()
	kept := c.hooks
	c.mu.Unlock()
	if kept.view != nil && bytes.Equal(kept.data, data) {
		return kept.view, nil
	}
	var hc hookConfig
	if err := c.dir.Decode(configFile, data, &hc); err != nil {
		return nil, err
	}
	c.rememberHooks(data, &hc)
	return &hc, nil
}

// rememberHooks keeps view as the hooks of the stored config while it
// holds data. view must not change afterwards.
func (c *Container) rememberHooks(data []byte, view *hookConfig) {
	c.mu.Lock()
	c.hooks = storedHooks{data: data, view: view}
	c.mu.Unlock()
}

// runWarnHooks runs list, hooks whose failure must not fail the
// operation, and reports it to the session's warning sink. The state
// document is made only when there is a hook to read it.
func (c *Container) runWarnHooks(kind string, list []Hook, cfg *hookConfig, status specs.ContainerState, pid int) {
	if len(list) == 0 {
		return
	}
	if err := runtimeHooks(kind, cfg.Bundle).RunAll(list, c.hookState(cfg, status, pid)); err != nil {
		c.session.warn(err)
	}
}

// runPoststart runs the poststart hooks of a container that runs now.
// Their failure is a warning, or, with WithFailingPoststart, the error
// returned.
func (c *Container) runPoststart(cfg *hookConfig, pid int) error {
	list := cfg.Hooks.Poststart
	if len(list) == 0 {
		return nil
	}
	err := runtimeHooks("poststart", cfg.Bundle).RunAll(list, c.hookState(cfg, specs.StateRunning, pid))
	if err != nil && !c.session.poststartFails {
		c.session.warn(err)
		return nil
	}
	return err
}

// runtimeHooks runs hooks of the caller's namespaces as runc does: a hook
// without an environment of its own gets the caller's, and they run in
// the bundle directory (runc changes to it first). A bundle gone already
// (removed before a delete runs poststop) leaves the caller's directory.
func runtimeHooks(kind, bundle string) hooks.Runner {
	r := hooks.Runner{Kind: kind, Env: os.Environ()}
	if bundle != "" {
		if fi, err := os.Stat(bundle); err == nil && fi.IsDir() {
			r.Dir = bundle
		}
	}
	return r
}
