package security

import (
	"fmt"

	"golang.org/x/sys/unix"
)

// A small classic-BPF assembler with symbolic, forward-only jump targets.
// Conditional jumps in classic BPF reach at most 255 instructions ahead;
// the assembler inserts an unconditional jump (32-bit offset) as a
// trampoline for each branch that reaches further, until every branch
// fits.

const (
	bpfLdAbsW = unix.BPF_LD | unix.BPF_W | unix.BPF_ABS
	bpfAndK   = unix.BPF_ALU | unix.BPF_AND | unix.BPF_K
	bpfJeqK   = unix.BPF_JMP | unix.BPF_JEQ | unix.BPF_K
	bpfJgtK   = unix.BPF_JMP | unix.BPF_JGT | unix.BPF_K
	bpfJgeK   = unix.BPF_JMP | unix.BPF_JGE | unix.BPF_K
	bpfJa     = unix.BPF_JMP | unix.BPF_JA
	bpfRetK   = unix.BPF_RET | unix.BPF_K
)

// bpfMaxInsns is the kernel's limit on the length of one filter
// (BPF_MAXINSNS).
const bpfMaxInsns = 4096

// next, as a jump target, is the instruction right after the jump.
const next = -1

type item struct {
	ins unix.SockFilter
	// jt and jf are label ids: both for a conditional jump, jt alone for
	// an unconditional one; -1 when the instruction does not jump.
	jt, jf int
	// def >= 0 makes the item the definition of that label instead of an
	// instruction.
	def int
}

type asm struct {
	items  []item
	labels int
}

func (a *asm) label() int {
	a.labels++
	return a.labels - 1
}

// mark defines l at the current position.
func (a *asm) mark(l int) {
	a.items = append(a.items, item{jt: -1, jf: -1, def: l})
}

func (a *asm) stmt(code uint16, k uint32) {
	a.items = append(a.items, item{ins: unix.SockFilter{Code: code, K: k}, jt: -1, jf: -1, def: -1})
}

func (a *asm) ld(off uint32) { a.stmt(bpfLdAbsW, off) }
func (a *asm) ret(k uint32)  { a.stmt(bpfRetK, k) }

// jump adds a conditional jump to jt when the condition holds, to jf when
// not; either may be next.
func (a *asm) jump(code uint16, k uint32, jt, jf int) {
	l := -1
	if jt == next || jf == next {
		l = a.label()
		if jt == next {
			jt = l
		}
		if jf == next {
			jf = l
		}
	}
	a.items = append(a.items, item{ins: unix.SockFilter{Code: code, K: k}, jt: jt, jf: jf, def: -1})
	if l >= 0 {
		a.mark(l)
	}
}

// assemble resolves the labels into offsets.
func (a *asm) assemble() ([]unix.SockFilter, error) {
	pos := make([]int, a.labels)
	for {
		n := 0
		for i := range pos {
			pos[i] = -1
		}
		for _, it := range a.items {
			if it.def >= 0 {
				pos[it.def] = n
			} else {
				n++
			}
		}
		// far collects, for each item index, the branches that need a
		// trampoline: bit 0 for jt, bit 1 for jf.
		var far []int
		n = 0
		for i, it := range a.items {
			if it.def >= 0 {
				continue
			}
			n++
			if it.jt < 0 || it.ins.Code == bpfJa {
				continue
			}
			bits := 0
			if pos[it.jt]-n > 255 {
				bits |= 1
			}
			if pos[it.jf]-n > 255 {
				bits |= 2
			}
			if bits != 0 {
				far = append(far, i<<2|bits)
			}
		}
		if len(far) == 0 {
			break
		}
		// Insert from the end so that the indexes still hold.
		for j := len(far) - 1; j >= 0; j-- {
			i, bits := far[j]>>2, far[j]&3
			var tramp []item
			for b, target := range []*int{&a.items[i].jt, &a.items[i].jf} {
				if bits&(1<<b) == 0 {
					continue
				}
				t := a.label()
				pos = append(pos, -1)
				tramp = append(tramp,
					item{jt: -1, jf: -1, def: t},
					item{ins: unix.SockFilter{Code: bpfJa}, jt: *target, jf: -1, def: -1})
				*target = t
			}
			a.items = append(a.items[:i+1], append(tramp, a.items[i+1:]...)...)
		}
	}
	var out []unix.SockFilter
	for _, it := range a.items {
		if it.def >= 0 {
			continue
		}
		ins := it.ins
		here := len(out) + 1
		switch {
		case it.jt < 0:
		case ins.Code == bpfJa:
			ins.K = uint32(pos[it.jt] - here)
		default:
			jt, jf := pos[it.jt]-here, pos[it.jf]-here
			if jt < 0 || jf < 0 {
				return nil, fmt.Errorf("seccomp: internal error: backward jump at %d", here-1)
			}
			ins.Jt, ins.Jf = uint8(jt), uint8(jf)
		}
		out = append(out, ins)
	}
	return out, nil
}
