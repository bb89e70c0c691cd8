package spec

import (
	"slices"
	"testing"
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
