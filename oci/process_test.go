package oci

import (
	"slices"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/libct/libct"
)

func TestConvertProcess(t *testing.T) {
	seccomp := &libct.Seccomp{DefaultAction: specs.ActAllow}
	base := &libct.Config{Security: libct.Security{
		Capabilities:    &libct.Capabilities{Bounding: []string{"CAP_KILL"}, Permitted: []string{"CAP_KILL"}, Effective: []string{"CAP_KILL"}},
		NoNewPrivileges: true,
		Seccomp:         seccomp,
		OOMScoreAdj:     ptr(100),
	}}

	t.Run("inherits the container's profile", func(t *testing.T) {
		p, err := ConvertProcess(&specs.Process{Args: []string{"ps"}, Env: []string{"A=b"}, User: specs.User{UID: 5}}, base)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(p.Args, []string{"ps"}) || p.User != "5:0" || p.Dir != "" || !slices.Equal(p.Env, []string{"A=b"}) {
			t.Errorf("process %+v", p)
		}
		sec := p.Security
		if sec == nil || sec.Capabilities != base.Security.Capabilities || sec.Seccomp != seccomp || *sec.OOMScoreAdj != 100 {
			t.Fatalf("security %+v", sec)
		}
		// process.json is the whole description: its no_new_privs wins.
		if sec.NoNewPrivileges {
			t.Error("no_new_privs set though the process does not ask for it")
		}
		if base.Security.Capabilities.Bounding[0] != "CAP_KILL" {
			t.Error("base changed")
		}
	})

	t.Run("overrides", func(t *testing.T) {
		p, err := ConvertProcess(&specs.Process{
			Args: []string{"sh"}, Cwd: "/tmp", Terminal: true, NoNewPrivileges: true,
			Capabilities: &specs.LinuxCapabilities{Bounding: []string{"CAP_CHOWN"}},
			OOMScoreAdj:  ptr(7),
			Rlimits:      []specs.POSIXRlimit{{Type: "RLIMIT_NPROC", Soft: 1, Hard: 2}},
		}, base)
		if err != nil {
			t.Fatal(err)
		}
		sec := p.Security
		if !slices.Equal(sec.Capabilities.Bounding, []string{"CAP_CHOWN"}) || len(sec.Capabilities.Effective) != 0 ||
			!sec.NoNewPrivileges || *sec.OOMScoreAdj != 7 || sec.Seccomp != seccomp {
			t.Errorf("security %+v", sec)
		}
		if !p.Terminal || p.Dir != "/tmp" || len(p.Rlimits) != 1 {
			t.Errorf("process %+v", p)
		}
	})

	t.Run("no base", func(t *testing.T) {
		p, err := ConvertProcess(&specs.Process{Args: []string{"true"}}, nil)
		if err != nil || p.Security == nil {
			t.Fatalf("%+v, %v", p, err)
		}
	})

	t.Run("unknown capability", func(t *testing.T) {
		var warnings []string
		p, err := ConvertProcess(&specs.Process{Args: []string{"x"}, Capabilities: &specs.LinuxCapabilities{Bounding: []string{"CAP_NOPE", "CAP_KILL"}}},
			base, WithWarnings(func(fe *FieldError) { warnings = append(warnings, fe.Error()) }))
		if err != nil {
			t.Fatal(err)
		}
		if want := []string{`process.capabilities.bounding[0] "CAP_NOPE": unknown capability, ignored`}; !slices.Equal(warnings, want) {
			t.Errorf("warnings %q, want %q", warnings, want)
		}
		if got := p.Security.Capabilities.Bounding; !slices.Equal(got, []string{"CAP_KILL"}) {
			t.Errorf("bounding %q", got)
		}
	})

	t.Run("ambient not permitted", func(t *testing.T) {
		var warnings []string
		p, err := ConvertProcess(&specs.Process{Args: []string{"x"}, Capabilities: &specs.LinuxCapabilities{Ambient: []string{"CAP_KILL"}}},
			base, WithWarnings(func(fe *FieldError) { warnings = append(warnings, fe.Error()) }))
		if err != nil {
			t.Fatal(err)
		}
		if len(warnings) != 1 || !strings.HasPrefix(warnings[0], `process.capabilities.ambient[0] "CAP_KILL": can't raise ambient capability CAP_KILL`) {
			t.Errorf("warnings %q, want one about process.capabilities.ambient[0]", warnings)
		}
		if got := p.Security.Capabilities.Ambient; len(got) != 0 {
			t.Errorf("ambient %q, want none", got)
		}
	})

	for _, tc := range []struct {
		name string
		p    *specs.Process
		path string
	}{
		{"nil", nil, "process"},
		{"no args", &specs.Process{}, "process.args"},
		{"relative cwd", &specs.Process{Args: []string{"x"}, Cwd: "a"}, "process.cwd"},
		{"bad env", &specs.Process{Args: []string{"x"}, Env: []string{"=x"}}, "process.env[0]"},
		{"bad rlimit", &specs.Process{Args: []string{"x"}, Rlimits: []specs.POSIXRlimit{{Type: "RLIMIT_X"}}}, "process.rlimits[0].type"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ConvertProcess(tc.p, base)
			wantFieldError(t, err, tc.path)
		})
	}
}
