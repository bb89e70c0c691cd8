// Package mainstack grows the main goroutine's stack, once and early, to
// the size a ct command needs. Import it for its side effect, from a
// short-lived command only: a server keeps the stack it grew until the
// garbage collector shrinks it again.
//
// A goroutine starts with a 2 KB stack, and each time it runs out the
// runtime copies the stack to one twice as large. To move the frames it
// reads, for every function on the stack, its entry in the binary's
// pc tables. Left alone, ct's main goroutine grows several times (during
// the standard library's package init, then while converting the OCI
// spec), and those walks touch function metadata scattered over the pc
// tables: the kernel maps a binary's pages around each page fault, so
// they raise the peak RSS of `ct run` (bench/results.md). Grown here, the stack
// holds only this package's frames and the runtime's, and no later call
// of ct's start path grows it again.
//
// The package imports nothing, so its init runs among the first: the Go
// spec initializes packages in import-path order once their imports are
// initialized.
package mainstack

// reserve is the frame grow takes. The runtime then gives the goroutine
// a 16 KB stack; `ct run`, `create` and `exec` need less than 8 KB.
const reserve = 12 << 10

// depth is a variable so that the compiler cannot fold grow's frame away.
var depth = 1

func init() { grow(depth) }

// grow needs a frame of reserve bytes, which makes the runtime grow the
// caller's stack to hold it.
//
//go:noinline
func grow(i int) byte {
	var frame [reserve]byte
	frame[i] = byte(i)
	return frame[i-1]
}
