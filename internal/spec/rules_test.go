package spec

import (
	"reflect"
	"slices"
	"testing"

	"github.com/libct/libct/security"
)

func TestEnviron(t *testing.T) {
	tests := []struct {
		name string
		env  []string
		home string
		want []string
	}{
		{"empty gets the default PATH and the home", nil, "/root", []string{DefaultPath, "HOME=/root"}},
		{"home kept when set", []string{"PATH=/bin", "HOME=/override"}, "/root", []string{"PATH=/bin", "HOME=/override"}},
		{"empty home replaced", []string{"PATH=/bin", "HOME="}, "/root", []string{"PATH=/bin", "HOME=/root"}},
		{"last home empty wins over an earlier one", []string{"HOME=/override", "HOME="}, "/root", []string{"HOME=/root"}},
		{"last home set wins over an empty one", []string{"HOME=", "HOME=/x"}, "/root", []string{"HOME=/x"}},
		{"duplicate keeps the last value in its place", []string{"ONE=two", "ONE=", "PATH=/bin"}, "/", []string{"ONE=", "PATH=/bin", "HOME=/"}},
		{"duplicate after others", []string{"ONE=two", "PATH=/bin", "ONE=three"}, "/h", []string{"PATH=/bin", "ONE=three", "HOME=/h"}},
		{"value with equals signs", []string{"A=b=c", "A=d=e"}, "/", []string{"A=d=e", "HOME=/"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Environ(tt.env, tt.home)
			if !slices.Equal(got, tt.want) {
				t.Errorf("Environ(%q, %q) = %q, want %q", tt.env, tt.home, got, tt.want)
			}
		})
	}
}

func TestExecUserOf(t *testing.T) {
	dac := &security.Capabilities{Effective: []string{"CAP_DAC_OVERRIDE"}, Permitted: []string{"CAP_DAC_OVERRIDE"}}
	kill := &security.Capabilities{Effective: []string{"CAP_KILL"}, Permitted: []string{"CAP_KILL"}}
	tests := []struct {
		name string
		caps *security.Capabilities
		cred Credentials
		want *ExecUser
	}{
		{"root is not checked", dac, Credentials{UID: 0, GID: 5}, nil},
		{"user without capabilities", nil, Credentials{UID: 1000, GID: 100, Groups: []int{50}}, &ExecUser{UID: 1000, GID: 100, Groups: []int{50}}},
		{"user keeping CAP_DAC_OVERRIDE", dac, Credentials{UID: 1000, GID: 100}, &ExecUser{UID: 1000, GID: 100, DACOverride: true}},
		{"user with other capabilities", kill, Credentials{UID: 1000, GID: 100}, &ExecUser{UID: 1000, GID: 100}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ExecUserOf(&Process{Capabilities: tt.caps}, &tt.cred)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("ExecUserOf = %+v, want %+v", got, tt.want)
			}
		})
	}
}
