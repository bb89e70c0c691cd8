package libct

import (
	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/libct/libct/internal/spec"
	"github.com/libct/libct/security"
)

// The security types are those of package security and of the OCI
// runtime spec.
type (
	// Capabilities are the five capability sets, by name.
	Capabilities = security.Capabilities
	// Seccomp is a seccomp profile in the OCI format.
	Seccomp = specs.LinuxSeccomp
	// Labels are the AppArmor profile and SELinux labels of a process.
	Labels = security.Labels
)

// Security is the profile a container's processes run under. Config
// holds the container's; a Process may bring its own (Enter uses the
// container's unless the process overrides it).
type Security struct {
	// Capabilities are the process's capability sets; nil means the OCI
	// default set (DefaultCapabilities). AllCapabilities keeps every one
	// (libct's all-caps).
	Capabilities *Capabilities `json:"capabilities,omitempty"`
	// NoNewPrivileges sets no_new_privs: exec can never grant more.
	NoNewPrivileges bool `json:"noNewPrivileges,omitempty"`
	// Seccomp is the syscall filter, installed as the last step before
	// exec; see SeccompProfile for the default one.
	Seccomp *Seccomp `json:"seccomp,omitempty"`
	// Labels are applied when the host has the LSM; asking for one it
	// lacks is an error.
	Labels Labels `json:"labels,omitzero"`
	// OOMScoreAdj, when set, is written to /proc/self/oom_score_adj.
	OOMScoreAdj *int `json:"oomScoreAdj,omitempty"`
}

// DefaultCapabilities is the set Docker, containerd and podman give a
// container, and what libct uses when a config names none: CAP_CHOWN,
// CAP_DAC_OVERRIDE, CAP_FSETID, CAP_FOWNER, CAP_MKNOD, CAP_NET_RAW,
// CAP_SETGID, CAP_SETUID, CAP_SETFCAP, CAP_SETPCAP, CAP_NET_BIND_SERVICE,
// CAP_SYS_CHROOT, CAP_KILL and CAP_AUDIT_WRITE.
func DefaultCapabilities() *Capabilities { return security.DefaultCapabilities() }

// AllCapabilities keeps every capability the kernel knows.
func AllCapabilities() *Capabilities { return security.AllCapabilities() }

// SeccompProfile returns a named profile: "default" (equivalent in effect
// to the one Docker and podman ship) or "unconfined" (nil).
func SeccompProfile(name string) (*Seccomp, error) { return security.ProfileByName(name) }

func (s *Security) validate(field string) error {
	if err := s.Capabilities.Validate(); err != nil {
		return &ConfigError{Field: field, Err: err}
	}
	if err := security.ValidateSeccomp(s.Seccomp); err != nil {
		return &ConfigError{Field: field, Err: err}
	}
	if err := s.Labels.Validate(); err != nil {
		return &ConfigError{Field: field, Err: err}
	}
	if s.OOMScoreAdj != nil {
		if err := security.ValidateOOMScoreAdj(*s.OOMScoreAdj); err != nil {
			return &ConfigError{Field: field + ".oomScoreAdj", Err: err}
		}
	}
	return nil
}

// processSecurity fills the security part of an init's spec: the
// process's own profile or else the container's, with the seccomp profile
// compiled here, once, rather than in the init.
//
// manageCaps is false when the init has no capabilities to manage: an
// unprivileged caller without a user namespace.
func processSecurity(cfg *Config, p *Process, sp *spec.Process, manageCaps bool) error {
	sec := &cfg.Security
	if p.Security != nil {
		sec = p.Security
	}
	if manageCaps {
		sp.Capabilities = sec.Capabilities
		if sp.Capabilities == nil {
			sp.Capabilities = security.DefaultCapabilities()
		}
	}
	sp.NoNewPrivs = sec.NoNewPrivileges
	sp.Labels = sec.Labels
	sp.OOMScoreAdj = sec.OOMScoreAdj
	if sec.Seccomp != nil {
		f, err := security.CompileSeccomp(sec.Seccomp)
		if err != nil {
			return &ConfigError{Field: "security.seccomp", Err: err}
		}
		sp.Seccomp = f
	}
	return nil
}
