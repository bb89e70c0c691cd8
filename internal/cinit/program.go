package cinit

import (
	"encoding/binary"
	"unsafe"

	"golang.org/x/sys/unix"
)

// program is a compiled init program: operations, each its code and
// argument count, then the arguments, each a length, the bytes and a NUL.
// Numbers are 8-byte little-endian arguments.
type program struct {
	buf []byte
}

// arg is one argument of an operation: a string or a number.
type arg interface{ put(b []byte) []byte }

type str string

func (s str) put(b []byte) []byte {
	b = binary.LittleEndian.AppendUint32(b, uint32(len(s)))
	b = append(b, s...)
	return append(b, 0)
}

type num int64

func (n num) put(b []byte) []byte {
	b = binary.LittleEndian.AppendUint32(b, 8)
	b = binary.LittleEndian.AppendUint64(b, uint64(n))
	return append(b, 0)
}

func flag(b bool) num {
	if b {
		return 1
	}
	return 0
}

func (p *program) op(code uint32, args ...arg) {
	p.buf = binary.LittleEndian.AppendUint32(p.buf, code)
	p.buf = binary.LittleEndian.AppendUint32(p.buf, uint32(len(args)))
	for _, a := range args {
		p.buf = a.put(p.buf)
	}
}

// strs appends the strings of list as arguments.
func strs(args []arg, list []string) []arg {
	for _, s := range list {
		args = append(args, str(s))
	}
	return args
}

// filterBytes is a seccomp program as seccomp(2) reads it.
func filterBytes(insns []unix.SockFilter) str {
	if len(insns) == 0 {
		return ""
	}
	size := len(insns) * int(unsafe.Sizeof(insns[0]))
	return str(unsafe.String((*byte)(unsafe.Pointer(&insns[0])), size))
}
