// This file is not part of the libct module (the go command skips
// directories whose names start with "_"). build/linkorder/build.sh
// compiles it into a copy of the Go linker, cmd/link, as an overlay of
// package ld, together with one call at the start of textaddress:
//
//	orderText(ctxt)
//
// It adds the flag -order FILE. See build/linkorder/README.md.

package ld

import (
	"flag"
	"os"
	"sort"
	"strings"

	"cmd/link/internal/loader"
)

var flagOrder = flag.String("order", "", "lay out the functions named in `file`, one per line, first, in the file's order")

// orderText moves the functions named in the -order file to the start of
// the text segment, in the file's order; the others follow in the
// linker's own order. It leaves in place what -randlayout leaves: the
// build ID and the symbols of C objects, whose sections must stay whole.
// Any other order of Go functions is as valid as the linker's own, which
// is what -randlayout relies on.
func orderText(ctxt *Link) {
	if *flagOrder == "" {
		return
	}
	data, err := os.ReadFile(*flagOrder)
	if err != nil {
		Exitf("-order: %v", err)
	}
	rank := make(map[string]int)
	for i, name := range strings.Split(string(data), "\n") {
		name = strings.TrimSpace(name)
		if _, dup := rank[name]; name != "" && !dup {
			rank[name] = i
		}
	}
	ldr := ctxt.loader
	// The order file names functions as go tool nm prints them, where an
	// assembly function (ABI0) has the suffix .abi0.
	rankOf := func(s loader.Sym) (int, bool) {
		name := ldr.SymName(s)
		if r, ok := rank[name]; ok {
			return r, true
		}
		r, ok := rank[name+".abi0"]
		return r, ok
	}

	textp := ctxt.Textp
	i := 0
	if len(textp) > 0 && ldr.SymName(textp[0]) == "go:buildid" {
		i++
	}
	for i < len(textp) && (ldr.SubSym(textp[i]) != 0 || ldr.AttrSubSymbol(textp[i])) {
		i++
	}
	rest := textp[i:]
	type placed struct {
		sym  loader.Sym
		rank int
	}
	var first []placed
	others := make([]loader.Sym, 0, len(rest))
	for _, s := range rest {
		if r, ok := rankOf(s); ok {
			first = append(first, placed{s, r})
		} else {
			others = append(others, s)
		}
	}
	sort.SliceStable(first, func(a, b int) bool { return first[a].rank < first[b].rank })
	for j, p := range first {
		rest[j] = p.sym
	}
	copy(rest[len(first):], others)
	if ctxt.Debugvlog != 0 {
		ctxt.Logf("order: %d of %d functions laid out first\n", len(first), len(rest))
	}
}
