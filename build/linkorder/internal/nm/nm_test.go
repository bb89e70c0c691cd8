package nm

import "testing"

func TestTextSymbol(t *testing.T) {
	tests := []struct {
		name, line, want string
		ok               bool
	}{
		{"function", "  4d3e20 T os.(*File).Read", "os.(*File).Read", true},
		{"function with size", "  4d3e20        219 T os.(*File).Read", "os.(*File).Read", true},
		{"local function", "  4d3e20 t runtime.check.abi0", "runtime.check.abi0", true},
		{"local function with size", "  4d3e20         19 t runtime.check.abi0", "runtime.check.abi0", true},
		{"spaces in the name", "  5a1000 T unique.(*entry[go.shape.struct { net/netip.isV6 bool }]).prune",
			"unique.(*entry[go.shape.struct { net/netip.isV6 bool }]).prune", true},
		{"spaces in the name with size", "  5a1000         88 T unique.(*entry[go.shape.struct { x int }]).prune",
			"unique.(*entry[go.shape.struct { x int }]).prune", true},
		{"data", "  8a7000 D os.Args", "", false},
		{"data with size", "  8a7000          8 D os.Args", "", false},
		{"read-only data", "  64a000 R go:string.*", "", false},
		{"undefined", "         U __libc_start_main", "", false},
		{"short line", "  400000 T", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := TextSymbol(tt.line)
			if got != tt.want || ok != tt.ok {
				t.Errorf("TextSymbol(%q) = %q, %v; want %q, %v", tt.line, got, ok, tt.want, tt.ok)
			}
		})
	}
}
