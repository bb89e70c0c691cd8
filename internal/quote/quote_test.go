package quote

import (
	"strings"
	"testing"
)

func TestValue(t *testing.T) {
	long := strings.Repeat("a", 100000)
	tests := []struct {
		name, in, want string
	}{
		{"empty", "", `""`},
		{"short", "web", `"web"`},
		{"escapes", "a\x00b\n", `"a\x00b\n"`},
		{"exactly the limit", strings.Repeat("b", MaxShown), `"` + strings.Repeat("b", MaxShown) + `"`},
		{"one past the limit", strings.Repeat("b", MaxShown+1), `"` + strings.Repeat("b", MaxShown) + `…" (65 bytes)`},
		{"100 KB", long, `"` + long[:MaxShown] + `…" (100000 bytes)`},
		// A cut never splits a character: "é" is two bytes.
		{"multibyte at the cut", strings.Repeat("a", MaxShown-1) + "éz", `"` + strings.Repeat("a", MaxShown-1) + `…" (66 bytes)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Value(tt.in); got != tt.want {
				t.Errorf("Value = %s, want %s", got, tt.want)
			}
		})
	}
}

func TestValues(t *testing.T) {
	got := Values([]string{"sh", strings.Repeat("x", 1000)})
	want := `["sh" "` + strings.Repeat("x", MaxShown) + `…" (1000 bytes)]`
	if got != want {
		t.Errorf("Values = %s, want %s", got, want)
	}
}

func TestText(t *testing.T) {
	tests := []struct {
		name, in string
		max      int
		want     string
	}{
		{"short", "exec failed", 64, "exec failed"},
		{"long", strings.Repeat("x", 10), 4, "xxxx… (10 bytes)"},
		{"multibyte at the cut", "aaé", 3, "aa… (4 bytes)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Text(tt.in, tt.max); got != tt.want {
				t.Errorf("Text = %q, want %q", got, tt.want)
			}
		})
	}
}
