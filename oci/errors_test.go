package oci

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/libct/libct/internal/quote"
)

// TestFieldErrorCutsValue: a FieldError shows its value cut to 64 bytes
// with its length, whichever way it was made.
func TestFieldErrorCutsValue(t *testing.T) {
	big := strings.Repeat("v", 100000)
	cut := `"` + strings.Repeat("v", 64) + `…" (100000 bytes)`
	for _, tc := range []struct {
		name string
		err  *FieldError
		want string
	}{
		{"short value", invalidValue("hostname", "web", "bad"), `hostname "web": bad`},
		{"value with a NUL", invalidValue("process.args[1]", "a\x00b", "bad"), `process.args[1] "a\x00b": bad`},
		{"100 KB value", invalidValue("hostname", big, "longer than 64 bytes"), `hostname ` + cut + `: longer than 64 bytes`},
		{"unsupported 100 KB value", unsupportedValue("linux.sysctl", big, "no"), `linux.sysctl ` + cut + `: no`},
		{"no value", invalid("process", "missing"), `process: missing`},
		{
			name: "a leaf's message with a short value",
			err:  rebase(fmt.Errorf("seccomp.flags[0] %s: unknown flag", quote.Value("X")), "seccomp.", "linux.seccomp."),
			want: `linux.seccomp.flags[0] "X": unknown flag`,
		},
		{
			// The leaf cut the value already: rebase keeps it as shown,
			// not "(100000 bytes)" as part of the cause.
			name: "a leaf's message with a cut value",
			err:  rebase(fmt.Errorf("seccomp.flags[0] %s: unknown flag", quote.Value(big)), "seccomp.", "linux.seccomp."),
			want: `linux.seccomp.flags[0] ` + cut + `: unknown flag`,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.err.Error(); got != tc.want {
				t.Errorf("Error() = %.300q, want %.300q", got, tc.want)
			}
		})
	}
}

// TestConvertCutsValues: Convert refuses oversized fields with a
// FieldError naming the spec's path, the value cut.
func TestConvertCutsValues(t *testing.T) {
	big := strings.Repeat("z", 100000)
	cut := `"` + strings.Repeat("z", 64) + `…" (100000 bytes)`
	runConvertCases(t, []convertCase{
		{
			name:     "hostname of 100 KB",
			mod:      func(s *specs.Spec) { s.Hostname = big },
			errPath:  "hostname",
			errParts: []string{cut, "longer than 64 bytes"},
		},
		{
			name: "seccomp architecture of 100 KB",
			mod: func(s *specs.Spec) {
				s.Linux.Seccomp = &specs.LinuxSeccomp{DefaultAction: specs.ActAllow, Architectures: []specs.Arch{specs.Arch(big)}}
			},
			errPath:  "linux.seccomp.architectures[0]",
			errParts: []string{cut, "unknown architecture"},
		},
	})
	s := minimalSpec()
	s.Hostname = big
	_, _, err := Convert("ct1", testBundle(t), s)
	var fe *FieldError
	if !errors.As(err, &fe) || len(err.Error()) > 200 {
		t.Errorf("error of %d bytes: %.300q", len(err.Error()), err)
	}
}
