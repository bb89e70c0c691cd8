// Command benchtool is the helper of bench/compare.sh: it edits the
// bundle's config.json and turns the measurements (hyperfine's JSON
// exports and RSS samples) into one table.
//
//	benchtool spec CONFIG ROOT CGROUPS_PATH -- ARGS...
//	benchtool table [-note TEXT]... [-goal RUNTIME=FACTOR]... DIR RUNTIME...
//	benchtool settle FILE...
//
// spec rewrites the config.json that `ct spec` wrote: ociVersion 1.0.2
// (crun 1.8 reads no later one), process.args ARGS, process.terminal
// false, root.path ROOT, linux.cgroupsPath CGROUPS_PATH, and the
// namespaces pid, network, ipc, uts and mount. The rest (mounts,
// capabilities, masked paths, ...) is left as `ct spec` wrote it. The file
// is edited as generic JSON, so no field is lost.
//
// table reads DIR/ITEM.RUNTIME.json (hyperfine --export-json) and
// DIR/ITEM.RUNTIME.txt (one RSS in kB a line) for the runtimes named, and
// prints a Markdown table on stdout. The runtimes under test come first,
// one for each -goal RUNTIME=FACTOR (its figure in each goal row must be
// at most FACTOR times the reference's), and the
// first runtime after them is the goal's reference (crun). Without -goal,
// the first runtime is under test with a factor of 1 and the second is
// the reference.
//
// settle writes FILEs back and drops them from the page cache (see
// settle.go for why the runtimes' executables need it).
package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

func main() {
	if len(os.Args) < 2 {
		usage()
	}
	var err error
	switch os.Args[1] {
	case "spec":
		err = editSpec(os.Args[2:])
	case "table":
		err = table(os.Args[2:], os.Stdout)
	case "settle":
		err = settle(os.Args[2:])
	default:
		usage()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "benchtool:", err)
		os.Exit(1)
	}
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: benchtool spec CONFIG ROOT CGROUPS_PATH -- ARGS...\n       benchtool table [-note TEXT]... [-goal RUNTIME=FACTOR]... DIR RUNTIME...\n       benchtool settle FILE...")
	os.Exit(2)
}

// editSpec rewrites a config.json for the benchmark.
func editSpec(args []string) error {
	if len(args) < 5 || args[3] != "--" {
		usage()
	}
	path, root, cgroupsPath, argv := args[0], args[1], args[2], args[4:]
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	var spec map[string]any
	if err := json.Unmarshal(data, &spec); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	// crun 1.8 (Debian 12) refuses any ociVersion but 1.0.x ("unknown
	// version specified"); the config uses nothing newer.
	spec["ociVersion"] = ociVersion
	process, err := object(spec, "process")
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	process["args"] = argv
	process["terminal"] = false
	rootObj, err := object(spec, "root")
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	rootObj["path"] = root
	linux, err := object(spec, "linux")
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	linux["cgroupsPath"] = cgroupsPath
	var ns []map[string]string
	for _, t := range []string{"pid", "network", "ipc", "uts", "mount"} {
		ns = append(ns, map[string]string{"type": t})
	}
	linux["namespaces"] = ns
	out, err := json.MarshalIndent(spec, "", "\t")
	if err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, append(out, '\n'), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// ociVersion is the version the benchmark's config.json declares: one
// every runtime compared reads.
const ociVersion = "1.0.2"

// object returns m[key] as a JSON object, making it when it is missing.
func object(m map[string]any, key string) (map[string]any, error) {
	v, ok := m[key]
	if !ok || v == nil {
		o := map[string]any{}
		m[key] = o
		return o, nil
	}
	o, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("%s is not an object", key)
	}
	return o, nil
}

// hyperfine is the part of a hyperfine --export-json result used here.
// Times are in seconds; User and System are means over the runs.
type hyperfine struct {
	Results []struct {
		Command string    `json:"command"`
		Median  float64   `json:"median"`
		Mean    float64   `json:"mean"`
		Min     float64   `json:"min"`
		Max     float64   `json:"max"`
		User    float64   `json:"user"`
		System  float64   `json:"system"`
		Times   []float64 `json:"times"`
	} `json:"results"`
}

// figure is one runtime's value for one row: the central value (median,
// or mean where only a mean exists) and its spread.
type figure struct {
	ok            bool
	mid, min, max float64
	spread        bool // min and max are known
}

// kind is how a row's figures are computed and shown.
type kind int

const (
	wallMS kind = iota // hyperfine median wall time, ms
	cpuMS              // hyperfine mean user+system, ms
	rateHz             // runs per second: 1 / mean wall
	rssMB              // median of the RSS samples, MB
)

// row is one line of the table.
type row struct {
	label string
	item  string // file name stem: DIR/ITEM.RUNTIME.{json,txt}
	kind  kind
	goal  bool // a goal row: the figure under test <= FACTOR x the reference's
}

var rows = []row{
	{"`run` wall, back to back", "run-b2b", wallMS, true},
	{"`run` CPU (user+sys), back to back", "run-b2b", cpuMS, true},
	{"`run` rate, back to back (runs/s)", "run-b2b", rateHz, false},
	{"`run` wall, 100 ms apart", "run-spaced", wallMS, true},
	{"`run` CPU (user+sys), 100 ms apart", "run-spaced", cpuMS, true},
	{"`create` wall", "create", wallMS, true},
	{"`create` CPU", "create", cpuMS, true},
	{"`start` wall", "start", wallMS, true},
	{"`start` CPU", "start", cpuMS, true},
	{"`delete` wall", "delete", wallMS, true},
	{"`delete` CPU", "delete", cpuMS, true},
	{"`exec` /bin/true wall", "exec", wallMS, true},
	{"`exec` /bin/true CPU", "exec", cpuMS, true},
	{"peak RSS of `run` (MB)", "peakrss", rssMB, true},
	{"RSS of the process `create` leaves waiting (MB)", "waitrss", rssMB, true},
}

// noteList collects repeated -note flags.
type noteList []string

func (n *noteList) String() string     { return strings.Join(*n, "; ") }
func (n *noteList) Set(v string) error { *n = append(*n, v); return nil }

// goal is one runtime under test and how far above the reference its
// figures may be.
type goal struct {
	rt     string
	factor float64
}

// goalList collects repeated -goal flags.
type goalList []goal

func (g *goalList) String() string {
	var s []string
	for _, x := range *g {
		s = append(s, x.rt+"="+strconv.FormatFloat(x.factor, 'f', -1, 64))
	}
	return strings.Join(s, ",")
}

func (g *goalList) Set(v string) error {
	rt, f, ok := strings.Cut(v, "=")
	factor, err := strconv.ParseFloat(f, 64)
	if !ok || rt == "" || err != nil || factor < 1 {
		return fmt.Errorf("-goal %q: want RUNTIME=FACTOR, FACTOR >= 1", v)
	}
	*g = append(*g, goal{rt, factor})
	return nil
}

// bound says "≤ ref" or "≤ 1.15 × ref".
func (g goal) bound(ref string) string {
	if g.factor == 1 {
		return g.rt + " ≤ " + ref
	}
	return g.rt + " ≤ " + strconv.FormatFloat(g.factor, 'f', -1, 64) + " × " + ref
}

func table(args []string, w io.Writer) error {
	fs := flag.NewFlagSet("table", flag.ContinueOnError)
	var notes noteList
	var goals goalList
	fs.Var(&notes, "note", "a line printed under the table (repeatable)")
	fs.Var(&goals, "goal", "RUNTIME=FACTOR: a runtime under test, in the order of the runtimes (repeatable)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() < 3 {
		usage()
	}
	dir, runtimes := fs.Arg(0), fs.Args()[1:]
	if len(goals) == 0 {
		goals = goalList{{runtimes[0], 1}}
	}
	if len(goals) >= len(runtimes) {
		return fmt.Errorf("%d runtimes under test and %d runtimes: no reference", len(goals), len(runtimes))
	}
	for i, g := range goals {
		if runtimes[i] != g.rt {
			return fmt.Errorf("-goal %s: the runtimes under test come first, in the order of -goal (runtime %d is %s)", g.rt, i+1, runtimes[i])
		}
	}
	refIdx := len(goals)
	ref := runtimes[refIdx]
	// Ratios: each runtime under test over the reference, then the first
	// under test over each other runtime.
	type pair struct{ a, b int }
	var pairs []pair
	for i := range goals {
		pairs = append(pairs, pair{i, refIdx})
	}
	for j := refIdx + 1; j < len(runtimes); j++ {
		pairs = append(pairs, pair{0, j})
	}
	head := []string{"item"}
	head = append(head, runtimes...)
	for _, p := range pairs {
		head = append(head, runtimes[p.a]+"/"+runtimes[p.b])
	}
	for _, g := range goals {
		head = append(head, "goal ("+g.bound(ref)+")")
	}
	fmt.Fprintln(w, "| "+strings.Join(head, " | ")+" |")
	seps := make([]string, len(head))
	for i := range seps {
		seps[i] = "---"
		if i > 0 {
			seps[i] = "---:"
		}
	}
	fmt.Fprintln(w, "|"+strings.Join(seps, "|")+"|")
	met, missed := make([]int, len(goals)), make([]int, len(goals))
	for _, r := range rows {
		figs := make([]figure, len(runtimes))
		cells := []string{r.label}
		for i, rt := range runtimes {
			f, err := load(dir, r, rt)
			if err != nil && !errors.Is(err, os.ErrNotExist) {
				fmt.Fprintf(os.Stderr, "benchtool: %s %s: %v\n", r.item, rt, err)
			}
			figs[i] = f
			cells = append(cells, f.String(r.kind))
		}
		for _, p := range pairs {
			cells = append(cells, ratio(figs[p.a], figs[p.b]))
		}
		for i, g := range goals {
			verdict := "—"
			if r.goal {
				limit := figs[refIdx].mid * g.factor
				switch {
				case !figs[i].ok:
					verdict = "**not met** (" + g.rt + " failed)"
					missed[i]++
				case !figs[refIdx].ok:
					verdict = "n/a (" + ref + " failed)"
				case figs[i].mid <= limit:
					verdict = "met"
					met[i]++
				default:
					verdict = fmt.Sprintf("**not met** (+%.0f%%)", (figs[i].mid/figs[refIdx].mid-1)*100)
					missed[i]++
				}
			}
			cells = append(cells, verdict)
		}
		fmt.Fprintln(w, "| "+strings.Join(cells, " | ")+" |")
	}
	fmt.Fprintln(w)
	for i, g := range goals {
		fmt.Fprintf(w, "Goals met (%s): %d of %d.\n", g.bound(ref), met[i], met[i]+missed[i])
	}
	if len(notes) > 0 {
		fmt.Fprintln(w)
		for _, n := range notes {
			fmt.Fprintln(w, "- "+n)
		}
	}
	return nil
}

// load reads one runtime's figure for a row.
func load(dir string, r row, rt string) (figure, error) {
	if r.kind == rssMB {
		return loadRSS(filepath.Join(dir, r.item+"."+rt+".txt"))
	}
	data, err := os.ReadFile(filepath.Join(dir, r.item+"."+rt+".json"))
	if err != nil {
		return figure{}, err
	}
	var h hyperfine
	if err := json.Unmarshal(data, &h); err != nil {
		return figure{}, err
	}
	if len(h.Results) != 1 {
		return figure{}, fmt.Errorf("%d results, want 1", len(h.Results))
	}
	res := h.Results[0]
	switch r.kind {
	case wallMS:
		return figure{ok: true, mid: res.Median * 1e3, min: res.Min * 1e3, max: res.Max * 1e3, spread: true}, nil
	case cpuMS:
		return figure{ok: true, mid: (res.User + res.System) * 1e3}, nil
	case rateHz:
		if res.Mean <= 0 {
			return figure{}, errors.New("mean wall time is 0")
		}
		return figure{ok: true, mid: 1 / res.Mean}, nil
	}
	return figure{}, fmt.Errorf("unknown row kind %d", r.kind)
}

// loadRSS reads RSS samples in kB, one a line.
func loadRSS(path string) (figure, error) {
	f, err := os.Open(path)
	if err != nil {
		return figure{}, err
	}
	defer f.Close()
	var kb []float64
	s := bufio.NewScanner(f)
	for s.Scan() {
		line := strings.TrimSpace(s.Text())
		if line == "" {
			continue
		}
		// GNU time may print "Command exited with non-zero status N"
		// before the figure; such a sample is not a measurement.
		v, err := strconv.ParseFloat(line, 64)
		if err != nil {
			continue
		}
		kb = append(kb, v)
	}
	if err := s.Err(); err != nil {
		return figure{}, err
	}
	if len(kb) == 0 {
		return figure{}, errors.New("no samples")
	}
	slices.Sort(kb)
	return figure{ok: true, mid: median(kb) / 1024, min: kb[0] / 1024, max: kb[len(kb)-1] / 1024, spread: true}, nil
}

func median(sorted []float64) float64 {
	n := len(sorted)
	if n%2 == 1 {
		return sorted[n/2]
	}
	return (sorted[n/2-1] + sorted[n/2]) / 2
}

func (f figure) String(k kind) string {
	if !f.ok {
		return "failed"
	}
	unit, prec := " ms", 2
	switch k {
	case rateHz:
		unit, prec = "/s", 0
	case rssMB:
		unit, prec = " MB", 2
	}
	s := strconv.FormatFloat(f.mid, 'f', prec, 64) + unit
	if f.spread {
		s += " (" + strconv.FormatFloat(f.min, 'f', prec, 64) + "–" + strconv.FormatFloat(f.max, 'f', prec, 64) + ")"
	}
	return s
}

func ratio(a, b figure) string {
	if !a.ok || !b.ok || b.mid == 0 || math.IsNaN(a.mid/b.mid) {
		return "—"
	}
	return strconv.FormatFloat(a.mid/b.mid, 'f', 2, 64)
}
