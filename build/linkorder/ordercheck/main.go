// Command ordercheck tells whether a binary linked by build/linkorder
// still matches its order file, so that the release build cannot drift
// away from ct.order without anyone noticing.
//
//	ordercheck [-min PCT] [-laid-out] ORDER BINARY
//
// It reads the functions ORDER names and the text symbols of BINARY (as
// `go tool nm -n` prints them) and reports two figures:
//
//   - the share of ORDER's functions that exist in BINARY. A function that
//     was renamed or removed since profile.sh wrote ORDER is merely not
//     laid out, so a stale file costs memory, never correctness; below
//     -min percent it fails, which says: run profile.sh again.
//   - with -laid-out, the share of the Go text's first functions (as many
//     as ORDER names that exist in BINARY) that ORDER names. The patched
//     linker puts them first, so it is near 100% when the order was
//     applied; the stock linker's layout gives far less. Below
//     layoutMin it fails: the binary was not linked with the order.
package main

import (
	"bufio"
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"

	"github.com/libct/libct/build/linkorder/internal/nm"
)

// layoutMin is the least share, in percent, of the leading Go functions
// that the order file must name for -laid-out to pass. A binary linked
// with ct.order scores 96.6 (1883 of the first 1950: the rest are
// functions the linker keeps in place, such as the bodies of assembly
// functions and their ABI wrappers); the stock linker's layout of the
// same ct scores 44.8.
const layoutMin = 90.0

func main() {
	minPct := flag.Float64("min", 90, "fail when less than `PCT` percent of ORDER's functions exist in BINARY")
	laidOut := flag.Bool("laid-out", false, "also fail when BINARY's text does not start with ORDER's functions")
	flag.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: ordercheck [-min PCT] [-laid-out] ORDER BINARY")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() != 2 {
		flag.Usage()
		os.Exit(2)
	}
	orderPath, binPath := flag.Arg(0), flag.Arg(1)
	if err := run(os.Stdout, orderPath, binPath, *minPct, *laidOut); err != nil {
		fmt.Fprintln(os.Stderr, "ordercheck:", err)
		os.Exit(1)
	}
}

func run(w io.Writer, orderPath, binPath string, minPct float64, laidOut bool) error {
	f, err := os.Open(orderPath)
	if err != nil {
		return err
	}
	order, err := readOrder(f)
	f.Close()
	if err != nil {
		return fmt.Errorf("%s: %w", orderPath, err)
	}
	var stderr bytes.Buffer
	cmd := exec.Command("go", "tool", "nm", "-n", binPath)
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return fmt.Errorf("go tool nm -n %s: %v\n%s", binPath, err, stderr.Bytes())
	}
	text, err := readText(bytes.NewReader(out))
	if err != nil {
		return fmt.Errorf("go tool nm -n %s: %w", binPath, err)
	}
	r := check(order, text)
	pct := percent(r.present, r.named)
	fmt.Fprintf(w, "==> linkorder: %d of the %d functions of %s are in %s (%.1f%%, at least %g%% required)\n",
		r.present, r.named, orderPath, binPath, pct, minPct)
	var errs []error
	if pct < minPct {
		errs = append(errs, fmt.Errorf("only %.1f%% of %s's functions are in %s (at least %g%% required): "+
			"the code changed under the order file; run build/linkorder/profile.sh again (see build/linkorder/README.md)",
			pct, orderPath, binPath, minPct))
	}
	if laidOut {
		lp := percent(r.leading, r.window)
		fmt.Fprintf(w, "==> linkorder: %s's Go text starts with them: %d of its first %d functions (%.1f%%, at least %g%% required)\n",
			binPath, r.leading, r.window, lp, layoutMin)
		if lp < layoutMin {
			errs = append(errs, fmt.Errorf("%s's text does not start with %s's functions (%.1f%% of the first %d, at least %g%% required): "+
				"it was not linked with the order", binPath, orderPath, lp, r.window, layoutMin))
		}
	}
	return errors.Join(errs...)
}

// result is what check finds.
type result struct {
	named   int // distinct functions the order file names
	present int // of those, how many the binary has
	window  int // Go functions of the binary that the order file names
	leading int // of the binary's first window Go functions, how many it names
}

// check compares the order file's names with the binary's text symbols,
// in address order. The Go text starts after the symbol runtime.text;
// before it are the C objects, which the linker leaves in place. The
// linker orders an assembly function's ABI wrapper ("f") with its body
// ("f.abi0"), the name the order file gives.
func check(order []string, text []string) result {
	named := make(map[string]bool, len(order))
	for _, n := range order {
		named[n] = true
	}
	var r result
	r.named = len(named)
	seen := make(map[string]bool, len(named))
	goStart := -1
	for i, s := range text {
		if named[s] && !seen[s] {
			seen[s] = true
			r.present++
		}
		if s == "runtime.text" && goStart < 0 {
			goStart = i + 1
		}
	}
	if goStart < 0 {
		goStart = 0
	}
	goText := text[goStart:]
	ordered := func(s string) bool { return named[s] || named[s+".abi0"] }
	for _, s := range goText {
		if ordered(s) {
			r.window++
		}
	}
	for _, s := range goText[:r.window] {
		if ordered(s) {
			r.leading++
		}
	}
	return r
}

func percent(n, of int) float64 {
	if of == 0 {
		return 0
	}
	return 100 * float64(n) / float64(of)
}

// readOrder returns the names of an order file, one a line, as the
// linker reads them: trimmed, blank lines skipped.
func readOrder(r io.Reader) ([]string, error) {
	var names []string
	sc := bufio.NewScanner(r)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		if n := strings.TrimSpace(sc.Text()); n != "" {
			names = append(names, n)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if len(names) == 0 {
		return nil, errors.New("names no function")
	}
	return names, nil
}

// readText returns the names of the text symbols (T or t) in what
// `go tool nm -n` prints, in its order.
func readText(r io.Reader) ([]string, error) {
	var names []string
	sc := bufio.NewScanner(r)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		if n, ok := nm.TextSymbol(sc.Text()); ok {
			names = append(names, n)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if len(names) == 0 {
		return nil, errors.New("no text symbols (a stripped binary?)")
	}
	return names, nil
}
