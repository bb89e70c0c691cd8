package main

// Looking at containers: ps and list.

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/libct/libct"
	"github.com/libct/libct/internal/quote"
)

func runPs(g *globals, args []string) (int, error) {
	f := newFlags(g, "ps", "[--format table|json] CONTAINER_ID [PS OPTIONS...]")
	var format string
	f.StringVar(&format, "format", "table", "output format: table (ps(1) output) or json (array of pids)")
	f.StringVar(&format, "f", "table", "short for --format")
	pos, err := f.parse(args, false)
	if err != nil {
		return parseResult(err)
	}
	if len(pos) == 0 {
		f.Usage()
		return exitUsage, usagef("missing container ID")
	}
	if format != "table" && format != "json" {
		return exitUsage, usagef("--format %s: want table or json", quote.Value(format))
	}
	if format == "json" && len(pos) > 1 {
		return exitUsage, usagef("ps options %s: only for --format table", quote.Values(pos[1:]))
	}
	s, c, err := g.open(pos[0])
	if err != nil {
		return fail(err)
	}
	defer s.Close()
	pids, err := c.Processes()
	if err != nil {
		return fail(err)
	}
	if pids == nil {
		pids = []int{}
	}
	if format == "json" {
		data, _ := json.Marshal(pids)
		_, err = os.Stdout.Write(append(data, '\n'))
		return fail(err)
	}
	// Engines pass the ps options as one argument, maybe empty.
	var psArgs []string
	for _, a := range pos[1:] {
		psArgs = append(psArgs, strings.Fields(a)...)
	}
	if len(psArgs) == 0 {
		psArgs = []string{"-ef"}
	}
	out, err := exec.Command("ps", psArgs...).Output()
	if err != nil {
		return fail(fmt.Errorf("ps %s: %w", strings.Join(psArgs, " "), err))
	}
	table, err := filterPs(out, pids)
	if err != nil {
		return fail(err)
	}
	_, err = os.Stdout.Write(table)
	return fail(err)
}

// filterPs keeps the header of ps(1) output and the lines of the given
// pids, found under its PID column.
func filterPs(out []byte, pids []int) ([]byte, error) {
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	if !sc.Scan() {
		return nil, fmt.Errorf("ps printed nothing")
	}
	header := sc.Text()
	col := slices.Index(strings.Fields(header), "PID")
	if col < 0 {
		return nil, fmt.Errorf("ps output has no PID column (header %q)", header)
	}
	var b bytes.Buffer
	b.WriteString(header + "\n")
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) <= col {
			continue
		}
		if pid, err := strconv.Atoi(fields[col]); err == nil && slices.Contains(pids, pid) {
			b.WriteString(sc.Text() + "\n")
		}
	}
	return b.Bytes(), sc.Err()
}

func runList(g *globals, args []string) (int, error) {
	f := newFlags(g, "list", "[--format table|json] [--quiet]")
	var format string
	var quiet bool
	f.StringVar(&format, "format", "table", "output format: table or json")
	f.StringVar(&format, "f", "table", "short for --format")
	f.BoolVar(&quiet, "quiet", false, "print the container IDs only")
	f.BoolVar(&quiet, "q", false, "short for --quiet")
	pos, err := f.parse(args, true)
	if err != nil {
		return parseResult(err)
	}
	if len(pos) > 0 {
		return exitUsage, usagef("unexpected arguments %s", quote.Values(pos))
	}
	if format != "table" && format != "json" {
		return exitUsage, usagef("--format %s: want table or json", quote.Value(format))
	}
	s, err := g.session()
	if err != nil {
		return fail(err)
	}
	defer s.Close()
	names, err := s.List()
	if err != nil {
		return fail(err)
	}
	slices.Sort(names)
	if quiet {
		for _, n := range names {
			fmt.Println(n)
		}
		return 0, nil
	}
	states := []*containerState{}
	for _, n := range names {
		c, err := s.Container(n)
		if err != nil {
			continue // destroyed meanwhile
		}
		st, err := stateOf(s, c)
		if errors.Is(err, libct.ErrNotExist) {
			continue // destroyed meanwhile
		}
		if err != nil {
			// Listed all the same, so that it can be found and deleted,
			// with one line on stderr saying what is wrong.
			fmt.Fprintf(os.Stderr, "ct list: %v\n", err)
			st = unknownState(s, n)
		}
		states = append(states, st)
	}
	if format == "json" {
		entries := make([]listEntry, len(states))
		for i, st := range states {
			entries[i] = newListEntry(st)
		}
		data, err := json.Marshal(entries)
		if err != nil {
			return fail(err)
		}
		_, err = os.Stdout.Write(append(data, '\n'))
		return fail(err)
	}
	w := tabwriter.NewWriter(os.Stdout, 12, 1, 3, ' ', 0)
	fmt.Fprint(w, "ID\tPID\tSTATUS\tBUNDLE\tCREATED\tOWNER\n")
	for _, st := range states {
		fmt.Fprintf(w, "%s\t%d\t%s\t%s\t%s\t%s\n", st.ID, st.Pid, st.Status, st.Bundle,
			st.Created.Format(time.RFC3339Nano), st.Owner)
	}
	return fail(w.Flush())
}

// listEntry is one container of list --format json: the fields of its
// state in the order runc lists them (pid before status), which scripts
// written against runc's output match as text.
type listEntry struct {
	Version     string               `json:"ociVersion"`
	ID          string               `json:"id"`
	Pid         int                  `json:"pid"`
	Status      specs.ContainerState `json:"status"`
	Bundle      string               `json:"bundle"`
	Rootfs      string               `json:"rootfs"`
	Created     time.Time            `json:"created"`
	Annotations map[string]string    `json:"annotations,omitempty"`
	Owner       string               `json:"owner"`
}

func newListEntry(st *containerState) listEntry {
	return listEntry{
		Version: st.Version, ID: st.ID, Pid: st.Pid, Status: st.Status, Bundle: st.Bundle,
		Rootfs: st.Rootfs, Created: st.Created, Annotations: st.Annotations, Owner: st.Owner,
	}
}

// unknownState is the list entry of a container whose state cannot be
// read: its name, status "unknown", and what its directory tells.
func unknownState(s *libct.Session, id string) *containerState {
	st := &containerState{State: specs.State{Version: specs.Version, ID: id, Status: "unknown"}}
	st.Created, st.Owner = stateDirInfo(s.Root(), id)
	return st
}
