// Command mkorder writes the order file of build/linkorder: the functions
// of a binary that workloads ran, one per line, for the patched linker to
// lay out first.
//
//	mkorder -nm NM TIER...
//
// NM is what `go tool nm -n -size` prints for the binary. Each TIER is a
// directory with what one workload left, either file optional:
//
//	cover.txt    what `go tool covdata func` prints for a coverage build
//	             (-cover -coverpkg=all) after the workload ran;
//	samples.txt  the names of the functions seen in samples of the
//	             workload, one per line (perf script -F ip,sym, without
//	             the ip): coverage does not reach the runtime or assembly,
//	             samples do, though they may miss a short function.
//
// The first tier's functions come first, then those of the second that the
// first did not name, and so on; within a tier, in the binary's order. So
// a command's functions can be kept together (ct run's), ahead of those
// that only other commands need.
//
// A function is hot when coverage saw it run or a sample named it. Every
// closure and generic instance of a hot function is hot too: coverage
// names them by the function that holds or declares them. The packages'
// inits (coverage does not count them, and every init runs) and the
// assembly functions (ABI0; 11 KB in ct, many entered by every command
// and too short to be sampled) belong to the first tier.
//
// Do not use it for a binary whose symbols are stripped: it needs nm.
package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/libct/libct/build/linkorder/internal/nm"
)

func main() {
	nmPath := flag.String("nm", "", "output of go tool nm -n -size for the binary (required)")
	flag.Parse()
	if *nmPath == "" || flag.NArg() == 0 {
		fmt.Fprintln(os.Stderr, "usage: mkorder -nm NM TIER...")
		os.Exit(2)
	}
	if err := run(os.Stdout, *nmPath, flag.Args()); err != nil {
		fmt.Fprintln(os.Stderr, "mkorder:", err)
		os.Exit(1)
	}
}

func run(w io.Writer, nmPath string, tierDirs []string) error {
	var text []string
	err := eachLine(nmPath, func(line string) error {
		if name, ok := nm.TextSymbol(line); ok {
			text = append(text, name)
		}
		return nil
	})
	if err != nil {
		return err
	}
	if len(text) == 0 {
		return fmt.Errorf("-nm %s: no text symbols", nmPath)
	}
	tiers := make([][]string, len(tierDirs))
	for i, dir := range tierDirs {
		if tiers[i], err = readTier(dir); err != nil {
			return err
		}
	}
	bw := bufio.NewWriter(w)
	for _, name := range order(text, tiers) {
		bw.WriteString(name)
		bw.WriteByte('\n')
	}
	return bw.Flush()
}

// readTier returns the names of the functions that ran according to the
// files in dir.
func readTier(dir string) ([]string, error) {
	if fi, err := os.Stat(dir); err != nil {
		return nil, fmt.Errorf("tier: %w", err)
	} else if !fi.IsDir() {
		return nil, fmt.Errorf("tier %s: not a directory", dir)
	}
	var seen []string
	coverPath := filepath.Join(dir, "cover.txt")
	err := eachLine(coverPath, func(line string) error {
		name, ran, err := coveredFunction(line)
		if err != nil {
			return fmt.Errorf("%s: %w", coverPath, err)
		}
		if ran {
			seen = append(seen, name)
		}
		return nil
	})
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	err = eachLine(filepath.Join(dir, "samples.txt"), func(line string) error {
		if name := strings.TrimSpace(line); name != "" {
			seen = append(seen, name)
		}
		return nil
	})
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	return seen, nil
}

// order returns the names in text (a binary's functions, in its order)
// that the tiers name, directly or as the function that holds or declares
// them, tier by tier; the inits and assembly functions are in the first.
func order(text []string, tiers [][]string) []string {
	placed := make(map[string]bool)
	var out []string
	for i, seen := range tiers {
		bases := make(map[string]bool, len(seen))
		for _, name := range seen {
			if base := baseName(name); base != "" {
				bases[base] = true
			}
		}
		for _, name := range text {
			if placed[name] {
				continue
			}
			generic := genericMethodName(name)
			if bases[baseName(name)] || (generic != "" && bases[generic]) ||
				(i == 0 && (isInit(name) || strings.HasSuffix(name, ".abi0"))) {
				placed[name] = true
				out = append(out, name)
			}
		}
	}
	return out
}

// genericMethodName returns, for a method of a generic type
// ("internal/sync.(*HashTrieMap[go.shape.int,go.shape.int]).Load"), the
// name coverage gives it: the package and the method, without the
// receiver ("internal/sync.Load"). It returns "" for any other name.
func genericMethodName(name string) string {
	pkg, rest := splitPackage(name)
	if pkg == "" {
		return ""
	}
	if !strings.Contains(rest, "[") {
		return ""
	}
	recv, method, ok := strings.Cut(baseName(rest), ".")
	if !ok || recv == "" || strings.Contains(method, ".") {
		return ""
	}
	return pkg + "." + method
}

// coveredFunction parses a line of go tool covdata func
// ("os/file.go:120:\t*File.Read\t75.0%") into the function's symbol name
// ("os.(*File).Read") and whether any of it ran. It skips the total line.
// A method of a generic type comes without its receiver ("Load").
func coveredFunction(line string) (name string, ran bool, err error) {
	f := strings.Fields(line)
	if len(f) == 0 || f[0] == "total" {
		return "", false, nil
	}
	if len(f) != 3 || !strings.HasSuffix(f[2], "%") {
		return "", false, fmt.Errorf("unexpected line %q", line)
	}
	file, _, ok := strings.Cut(f[0], ":")
	slash := strings.LastIndexByte(file, '/')
	if !ok || slash < 0 {
		return "", false, fmt.Errorf("no package directory in %q", f[0])
	}
	pkg := file[:slash]
	if isCommand(pkg) {
		pkg = "main"
	}
	fn := f[1]
	if recv, method, isMethod := strings.Cut(fn, "."); isMethod {
		if strings.HasPrefix(recv, "*") {
			recv = "(" + recv + ")"
		}
		fn = recv + "." + method
	}
	return pkg + "." + fn, f[2] != "0.0%", nil
}

// isCommand reports whether the package in directory pkg is a command,
// whose symbols the linker names "main.". Coverage names the package by
// its directory; ct's is the only command this is run on.
func isCommand(pkg string) bool {
	return strings.HasSuffix(pkg, "/cmd/ct")
}

var (
	// Type arguments of an instance: [go.shape.int], nested ones too.
	typeArgs = regexp.MustCompile(`\[[^\[\]]*\]`)
	// The closures, go and defer wrappers, method values and ABI0 names
	// derived from a function's name.
	derived = regexp.MustCompile(`(\.func\d+|\.gowrap\d+|\.deferwrap\d+|-fm|\.\d+|\.abi0)+$`)
)

// baseName strips from a function's name what the compiler adds to it for
// its closures and generic instances.
func baseName(name string) string {
	for {
		stripped := typeArgs.ReplaceAllString(name, "")
		if stripped == name {
			break
		}
		name = stripped
	}
	return derived.ReplaceAllString(name, "")
}

// isInit reports whether name is a package's init or made from one: the
// compiler's init (initialization of variables), a declared init.N,
// map.init.N, and their closures. Every package's inits run.
func isInit(name string) bool {
	pkg, rest := splitPackage(name)
	if pkg == "" {
		return false
	}
	rest = strings.TrimPrefix(rest, "map.")
	return rest == "init" || strings.HasPrefix(rest, "init.")
}

// splitPackage splits a symbol's name into its package path and the rest.
// The path ends at the first dot after its last slash, before any type
// argument, which may hold slashes and dots of its own.
func splitPackage(name string) (pkg, rest string) {
	head := name
	if i := strings.IndexAny(name, "(["); i >= 0 {
		head = name[:i]
	}
	slash := strings.LastIndexByte(head, '/') + 1
	dot := strings.IndexByte(head[slash:], '.')
	if dot < 0 {
		return "", name
	}
	return name[:slash+dot], name[slash+dot+1:]
}

func eachLine(path string, fn func(string) error) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		if err := fn(sc.Text()); err != nil {
			return err
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}
