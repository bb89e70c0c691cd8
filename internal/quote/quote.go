// Package quote shows user-provided values in error messages. A value
// can be as long as the kernel takes (a 128 KiB argument, a 4 KiB path)
// or longer, when it is the very thing being refused: an error quotes at
// most MaxShown bytes of it and says how long it was, so that a log line
// stays readable and a message to or from the init stays small.
package quote

import (
	"strconv"
	"unicode/utf8"
)

// MaxShown is how many bytes of a value an error quotes.
const MaxShown = 64

// Value quotes s as strconv.Quote does, cut after MaxShown bytes (on a
// character boundary) with its length said: `"aaaa…" (100000 bytes)`.
// It takes any string type, such as the spec's named ones.
func Value[S ~string](value S) string {
	s := string(value)
	if len(s) <= MaxShown {
		return strconv.Quote(s)
	}
	cut := MaxShown
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return strconv.Quote(s[:cut]+"…") + " (" + strconv.Itoa(len(s)) + " bytes)"
}

// Values quotes each of list with Value, as a Go list reads: ["a" "b"].
func Values(list []string) string {
	b := []byte{'['}
	for i, s := range list {
		if i > 0 {
			b = append(b, ' ')
		}
		b = append(b, Value(s)...)
	}
	return string(append(b, ']'))
}

// Text bounds a message text (not a value: it is not quoted) to max
// bytes, cut on a character boundary with its length said, for a text
// that crosses a socket whose datagrams are bounded.
func Text(text string, max int) string {
	if len(text) <= max {
		return text
	}
	cut := max
	for cut > 0 && !utf8.RuneStart(text[cut]) {
		cut--
	}
	return text[:cut] + "… (" + strconv.Itoa(len(text)) + " bytes)"
}
