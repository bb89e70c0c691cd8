package initstage

import (
	"strings"
	"testing"
)

func TestShownExecPath(t *testing.T) {
	long := "/" + strings.Repeat("n", 80)
	tests := []struct {
		name, path, want string
	}{
		{"plain", "/run.sh", "/run.sh"},
		{"relative", "./bin/x-1_2.sh", "./bin/x-1_2.sh"},
		{"space", "/my prog", `"/my prog"`},
		{"quote", `/a"b`, `"/a\"b"`},
		{"backslash", `/a\b`, `"/a\\b"`},
		{"control character", "/a\nb", `"/a\nb"`},
		{"not ASCII", "/é", `"/é"`},
		{"empty", "", `""`},
		{"long", long, `"/` + strings.Repeat("n", 63) + `…" (81 bytes)`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := shownExecPath(tc.path); got != tc.want {
				t.Errorf("shownExecPath(%q) = %s, want %s", tc.path, got, tc.want)
			}
		})
	}
}
