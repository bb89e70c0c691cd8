package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

func TestCoveredFunction(t *testing.T) {
	tests := []struct {
		name, line, want string
		ran, err         bool
	}{
		{"pointer method", "os/file.go:120:\t\t*File.Read\t\t75.0%", "os.(*File).Read", true, false},
		{"value method", "time/time.go:9:\tTime.Unix\t10.0%", "time.Time.Unix", true, false},
		{"function", "github.com/libct/libct/oci/load.go:98:\tdecodeGenerated\t100.0%",
			"github.com/libct/libct/oci.decodeGenerated", true, false},
		{"command", "github.com/libct/libct/cmd/ct/main.go:40:\tmain\t100.0%", "main.main", true, false},
		{"did not run", "os/file.go:120:\t*File.Read\t0.0%", "os.(*File).Read", false, false},
		{"total", "total\t\t(statements)\t12.5%", "", false, false},
		{"empty", "", "", false, false},
		{"no percent", "os/file.go:120:\t*File.Read\t75", "", false, true},
		{"no package", "file.go:1:\tf\t1.0%", "", false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ran, err := coveredFunction(tt.line)
			if (err != nil) != tt.err {
				t.Fatalf("coveredFunction(%q): error %v, want error: %v", tt.line, err, tt.err)
			}
			if got != tt.want || ran != tt.ran {
				t.Errorf("coveredFunction(%q) = %q, %v; want %q, %v", tt.line, got, ran, tt.want, tt.ran)
			}
		})
	}
}

func TestBaseName(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"function", "os.Open", "os.Open"},
		{"closure", "os.Open.func1", "os.Open"},
		{"nested closure", "main.run.func2.1.1", "main.run"},
		{"method value", "main.(*app).stop-fm", "main.(*app).stop"},
		{"wrappers", "main.run.gowrap1", "main.run"},
		{"assembly", "runtime.check.abi0", "runtime.check"},
		{"instance", "slices.Grow[go.shape.[]uint8,go.shape.uint8]", "slices.Grow"},
		{"instance's closure", "sync.OnceValues[go.shape.*uint8,go.shape.interface { Error() string }].func2.1",
			"sync.OnceValues"},
		{"generic method", "internal/sync.(*HashTrieMap[go.shape.*internal/abi.Type,go.shape.interface {}]).Load",
			"internal/sync.(*HashTrieMap).Load"},
		{"unknown", "[unknown]", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := baseName(tt.in); got != tt.want {
				t.Errorf("baseName(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestGenericMethodName(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"pointer receiver", "internal/sync.(*HashTrieMap[go.shape.*internal/abi.Type,go.shape.interface {}]).Load",
			"internal/sync.Load"},
		{"closure", "internal/sync.(*HashTrieMap[go.shape.interface {},go.shape.interface {}]).initSlow.deferwrap1",
			"internal/sync.initSlow"},
		{"slashes in the type arguments", "unique.(*entry[go.shape.struct { net/netip.isV6 bool }]).prune",
			"unique.prune"},
		{"generic function", "slices.Grow[go.shape.[]uint8,go.shape.uint8]", ""},
		{"plain method", "os.(*File).Read", ""},
		{"function", "github.com/libct/libct/oci.decodeGenerated", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := genericMethodName(tt.in); got != tt.want {
				t.Errorf("genericMethodName(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestIsInit(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{"os.init", true},
		{"os.init.0", true},
		{"github.com/libct/libct.init.1", true},
		{"github.com/libct/libct/cgroups.map.init.0", true},
		{"net.init.OnceFunc.func7.1", true},
		{"os.init.OnceValue[go.shape.interface { Error() string }].func2", true},
		{"runtime.(*gcWork).init", false},
		{"github.com/libct/libct.initBinary", false},
		{"os.Open", false},
		{"main", false},
	}
	for _, tt := range tests {
		if got := isInit(tt.in); got != tt.want {
			t.Errorf("isInit(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestOrder(t *testing.T) {
	text := []string{
		"runtime.check.abi0",
		"runtime.mallocgc",
		"runtime.gcStart",
		"os.init",
		"os.Open",
		"os.Open.func1",
		"os.Remove",
		"internal/sync.(*HashTrieMap[go.shape.int,go.shape.int]).Load",
		"main.main",
		"main.run",
		"main.exec",
		"main.exec.func1",
		"main.list",
	}
	tiers := [][]string{
		{"runtime.mallocgc", "os.Open", "main.main", "main.run", "internal/sync.Load", "[unknown]"},
		{"main.exec", "main.run", "os.Remove"},
		{"elf_load"},
	}
	want := []string{
		"runtime.check.abi0", "runtime.mallocgc", "os.init", "os.Open", "os.Open.func1",
		"internal/sync.(*HashTrieMap[go.shape.int,go.shape.int]).Load", "main.main", "main.run",
		"os.Remove", "main.exec", "main.exec.func1",
	}
	if got := order(text, tiers); !slices.Equal(got, want) {
		t.Errorf("order:\n got %q\nwant %q", got, want)
	}
}

func TestRunReadsTiers(t *testing.T) {
	dir := t.TempDir()
	write := func(name, data string) {
		t.Helper()
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("nm.txt", "  401000   10 T os.Open\n  401010   10 T os.Remove\n  401020   10 T main.main\n  8a7000    8 D os.Args\n")
	write("1/cover.txt", "github.com/x/cmd/ct/main.go:10:\tmain\t100.0%\nos/file.go:1:\tRemove\t0.0%\ntotal\t(statements)\t50.0%\n")
	write("2/samples.txt", "os.Remove\n")
	if err := os.Mkdir(filepath.Join(dir, "empty"), 0o755); err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	err := run(&out, filepath.Join(dir, "nm.txt"), []string{filepath.Join(dir, "1"), filepath.Join(dir, "2"), filepath.Join(dir, "empty")})
	if err != nil {
		t.Fatal(err)
	}
	if want := "main.main\nos.Remove\n"; out.String() != want {
		t.Errorf("run wrote %q, want %q", out.String(), want)
	}

	write("bad/cover.txt", "os/file.go:1:\tRemove\n")
	err = run(&out, filepath.Join(dir, "nm.txt"), []string{filepath.Join(dir, "bad")})
	if err == nil || !strings.Contains(err.Error(), "bad/cover.txt") {
		t.Errorf("run with a malformed cover.txt: error %v, want one naming the file", err)
	}
	err = run(&out, filepath.Join(dir, "nm.txt"), []string{filepath.Join(dir, "1"), filepath.Join(dir, "no-such-tier")})
	if err == nil || !strings.Contains(err.Error(), "no-such-tier") {
		t.Errorf("run with a missing tier: error %v, want one naming it", err)
	}
	err = run(&out, filepath.Join(dir, "missing.txt"), []string{filepath.Join(dir, "1")})
	if err == nil || !strings.Contains(err.Error(), "missing.txt") {
		t.Errorf("run without nm: error %v, want one naming the file", err)
	}
}

// TestLinkerLaysOutOrder builds the patched linker with build.sh and links
// a small program with it through toolexec.sh, as make build does, then
// checks that the functions of the order file come first in the text, in
// the file's order, and that the program runs.
func TestLinkerLaysOutOrder(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the Go linker")
	}
	if _, err := exec.LookPath("go"); err != nil {
		t.Fatalf("the go command is needed: %v", err)
	}
	dir := t.TempDir()
	linkorder, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	runCmd := func(name string, args ...string) string {
		t.Helper()
		cmd := exec.Command(name, args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOFLAGS=", "GOWORK=off")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
		}
		return string(out)
	}
	runCmd(filepath.Join(linkorder, "build.sh"), filepath.Join(dir, "tool"))

	files := map[string]string{
		"go.mod": "module example\n\ngo 1.26\n",
		"main.go": `package main

import "os"

//go:noinline
func first() int { return 1 }

//go:noinline
func second() int { return 2 }

//go:noinline
func third() int { return 3 }

func main() {
	if first()+second()+third() != 6 {
		os.Exit(1)
	}
	os.Stdout.WriteString("ok\n")
}
`,
		"order": "main.third\nmain.first\ninternal/cpu.cpuid.abi0\nmain.second\nno.such.function\n",
	}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	toolexec := filepath.Join(linkorder, "toolexec.sh") + " " + filepath.Join(dir, "tool", "link") + " " + filepath.Join(dir, "order")
	runCmd("go", "build", "-toolexec", toolexec, "-o", "prog", ".")
	if out := runCmd(filepath.Join(dir, "prog")); out != "ok\n" {
		t.Fatalf("the program linked with the order printed %q, want %q", out, "ok\n")
	}

	addr := make(map[string]uint64)
	lowest := ^uint64(0)
	for _, line := range strings.Split(runCmd("go", "tool", "nm", "-n", "prog"), "\n") {
		f := strings.Fields(line)
		if len(f) < 3 || (f[1] != "T" && f[1] != "t") {
			continue
		}
		a, err := strconv.ParseUint(f[0], 16, 64)
		if err != nil {
			t.Fatalf("go tool nm: %q: %v", line, err)
		}
		addr[f[2]] = a
		if f[2] != "go:buildid" && a < lowest {
			lowest = a
		}
	}
	want := []string{"main.third", "main.first", "internal/cpu.cpuid.abi0", "main.second"}
	for i, name := range want {
		if _, ok := addr[name]; !ok {
			t.Fatalf("%s is not in the program's symbols", name)
		}
		if i > 0 && addr[name] <= addr[want[i-1]] {
			t.Errorf("%s at %#x, not after %s at %#x", name, addr[name], want[i-1], addr[want[i-1]])
		}
	}
	if addr[want[0]] != lowest {
		t.Errorf("%s at %#x is not the first function (%#x)", want[0], addr[want[0]], lowest)
	}
	if addr["main.main"] < addr["main.second"] || addr["runtime.mallocgc"] < addr["main.second"] {
		t.Errorf("functions not in the order file come before those in it: main.main at %#x, runtime.mallocgc at %#x, main.second at %#x",
			addr["main.main"], addr["runtime.mallocgc"], addr["main.second"])
	}
}
