// Package nm reads the lines `go tool nm` prints, for the linkorder
// tools: with or without -size, sorted or not.
package nm

import "strings"

// TextSymbol returns the name of the symbol a line of `go tool nm`
// names when it is text (type T or t): "ADDR [SIZE] TYPE NAME". Names of
// generic instances hold spaces ("go.shape.struct { ... }"), so the name
// is all that follows the type.
func TextSymbol(line string) (string, bool) {
	f := strings.Fields(line)
	typ := 1
	if len(f) > 2 && len(f[1]) > 1 {
		typ = 2 // a size column comes first
	}
	if len(f) < typ+2 || (f[typ] != "T" && f[typ] != "t") {
		return "", false
	}
	_, name, _ := strings.Cut(line, " "+f[typ]+" ")
	return name, name != ""
}
