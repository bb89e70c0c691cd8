package security

import (
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"slices"
	"sort"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/libct/libct/internal/quote"
)

// Seccomp profiles use the OCI runtime-spec format (specs.LinuxSeccomp).
// CompileSeccomp turns one into a classic BPF program for the x86 ABIs;
// Filter.Install loads it into the kernel.
//
// What the compiler does with a profile, in the terms of the format:
//
//   - defaultAction applies to every syscall no rule matches;
//     defaultErrnoRet is its errno (EPERM when absent).
//   - architectures: the native ABI, x86_64 (AUDIT_ARCH_X86_64), is always
//     filtered. SCMP_ARCH_X86 adds the i386 ABI (AUDIT_ARCH_I386, int 0x80
//     and 32-bit programs) with its own syscall numbers. SCMP_ARCH_X32: the
//     x32 ABI (x86_64 numbers with __X32_SYSCALL_BIT set) has no name table
//     here, so no rule can allow an x32 syscall; each gets the default
//     action when that action denies (ERRNO, KILL*, TRAP), else
//     ERRNO(ENOSYS), as on a kernel built without x32. An ABI not listed
//     (i386 or x32 when absent) kills the process (SECCOMP_RET_KILL_PROCESS),
//     and so does any other audit architecture. Other architecture names
//     (SCMP_ARCH_AARCH64, ...) are accepted and have no effect: an x86
//     kernel never reports them.
//   - syscalls: names are looked up per ABI in tables generated from
//     golang.org/x/sys/unix; a name an ABI does not have is skipped for
//     that ABI without error, as runc does (Filter.Skipped lists the names
//     no filtered ABI knows). Syscall numbers above the highest in an
//     ABI's table, that is newer than this package, return ENOSYS when
//     the default action is ERRNO, so that libc falls back to older calls
//     (runc does the same).
//   - args: all the conditions of one entry must hold (AND), except that
//     when two conditions test the same argument index, each becomes a
//     rule of its own (OR), as runc does. Arguments are compared as 64-bit
//     unsigned values, high and low halves separately. For MASKED_EQ,
//     value is the mask and valueTwo the expected result.
//   - Several entries for one syscall: the entries with conditions are
//     tried in profile order, the first that matches decides; when none
//     does, the first entry without conditions decides, else the default
//     action.
//   - errnoRet is the errno of SCMP_ACT_ERRNO (EPERM when absent) and the
//     message of SCMP_ACT_TRACE (also EPERM when absent).
//   - flags: SECCOMP_FILTER_FLAG_LOG, _SPEC_ALLOW and _WAIT_KILLABLE_RECV
//     are passed to seccomp(2). SECCOMP_FILTER_FLAG_TSYNC is accepted
//     and left out, as runc does: the filter goes on the thread that
//     execs, and execve ends every other thread, so syncing them changes
//     nothing for the program, while it would put the init's other
//     threads under the filter. A profile with SCMP_ACT_NOTIFY adds
//     SECCOMP_FILTER_FLAG_NEW_LISTENER. Whether a profile without flags
//     gets SPEC_ALLOW is its translator's choice (package oci's).
//   - listenerPath and listenerMetadata are for the caller, which sends
//     the listener there; the compiler ignores them.

var actions = map[specs.LinuxSeccompAction]uint32{
	specs.ActKill:        unix.SECCOMP_RET_KILL_THREAD,
	specs.ActKillThread:  unix.SECCOMP_RET_KILL_THREAD,
	specs.ActKillProcess: unix.SECCOMP_RET_KILL_PROCESS,
	specs.ActTrap:        unix.SECCOMP_RET_TRAP,
	specs.ActErrno:       unix.SECCOMP_RET_ERRNO,
	specs.ActTrace:       unix.SECCOMP_RET_TRACE,
	specs.ActAllow:       unix.SECCOMP_RET_ALLOW,
	specs.ActLog:         unix.SECCOMP_RET_LOG,
	specs.ActNotify:      unix.SECCOMP_RET_USER_NOTIF,
}

var operators = map[specs.LinuxSeccompOperator]bool{
	specs.OpNotEqual: true, specs.OpLessThan: true, specs.OpLessEqual: true, specs.OpEqualTo: true,
	specs.OpGreaterEqual: true, specs.OpGreaterThan: true, specs.OpMaskedEqual: true,
}

// FlagTsync is the name of SECCOMP_FILTER_FLAG_TSYNC in a profile, which
// package specs has no constant for.
const FlagTsync specs.LinuxSeccompFlag = "SECCOMP_FILTER_FLAG_TSYNC"

// seccompFlags are the flags a profile may name and their values; 0 is a
// flag accepted and not passed to seccomp(2).
var seccompFlags = map[specs.LinuxSeccompFlag]uint{
	FlagTsync:                              0,
	specs.LinuxSeccompFlagLog:              unix.SECCOMP_FILTER_FLAG_LOG,
	specs.LinuxSeccompFlagSpecAllow:        unix.SECCOMP_FILTER_FLAG_SPEC_ALLOW,
	specs.LinuxSeccompFlagWaitKillableRecv: unix.SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV,
}

// knownFlags orders the keys of seccompFlags as the runtime-spec lists them.
var knownFlags = []specs.LinuxSeccompFlag{
	FlagTsync, specs.LinuxSeccompFlagLog, specs.LinuxSeccompFlagSpecAllow, specs.LinuxSeccompFlagWaitKillableRecv,
}

var architectures = []specs.Arch{
	specs.ArchX86, specs.ArchX86_64, specs.ArchX32, specs.ArchARM, specs.ArchAARCH64,
	specs.ArchMIPS, specs.ArchMIPS64, specs.ArchMIPS64N32, specs.ArchMIPSEL, specs.ArchMIPSEL64,
	specs.ArchMIPSEL64N32, specs.ArchPPC, specs.ArchPPC64, specs.ArchPPC64LE, specs.ArchS390,
	specs.ArchS390X, specs.ArchPARISC, specs.ArchPARISC64, specs.ArchRISCV64, specs.ArchLOONGARCH64,
	specs.ArchM68K, specs.ArchSH, specs.ArchSHEB,
}

// The kernel caps an errno at MAX_ERRNO; TRACE's message has 16 bits.
const (
	maxErrno     = 4095
	maxTraceData = 0xffff
)

// x32SyscallBit marks the syscall numbers of the x32 ABI (__X32_SYSCALL_BIT).
const x32SyscallBit = 0x40000000

// offsets in struct seccomp_data.
const (
	offNr   = 0
	offArch = 4
	offArgs = 16
)

// notifyForbidden are the syscalls SCMP_ACT_NOTIFY must not catch, and
// why: a notified syscall waits for a supervisor, which may not have the
// listener yet, or any more.
var notifyForbidden = map[string]string{
	"sendmsg": "the init hands the listener over with it",
	"write":   "the init reports to its parent with it once the filter is installed, also when the agent is gone",
}

// ValidateSeccomp checks p without compiling it. Errors name the field:
//
//	seccomp.syscalls[3].action "SCMP_ACT_FOO": unknown action
//
// A nil profile is valid (no filter).
func ValidateSeccomp(p *specs.LinuxSeccomp) error {
	if p == nil {
		return nil
	}
	if err := checkAction("seccomp.defaultAction", p.DefaultAction, "seccomp.defaultErrnoRet", p.DefaultErrnoRet); err != nil {
		return err
	}
	if p.DefaultAction == specs.ActNotify {
		return fmt.Errorf("seccomp.defaultAction %s: not allowed as the default action: the init could not hand the listener over", quote.Value(p.DefaultAction))
	}
	for i, a := range p.Architectures {
		if !slices.Contains(architectures, a) {
			return fmt.Errorf("seccomp.architectures[%d] %s: unknown architecture", i, quote.Value(a))
		}
	}
	notify := false
	for i, sc := range p.Syscalls {
		field := fmt.Sprintf("seccomp.syscalls[%d]", i)
		if len(sc.Names) == 0 {
			return fmt.Errorf("%s.names: empty", field)
		}
		for j, n := range sc.Names {
			if n == "" {
				return fmt.Errorf("%s.names[%d]: empty name", field, j)
			}
			if why, ok := notifyForbidden[n]; ok && sc.Action == specs.ActNotify {
				return fmt.Errorf("%s.names[%d] %s: SCMP_ACT_NOTIFY cannot be used for the %s syscall: %s", field, j, quote.Value(n), n, why)
			}
		}
		if err := checkAction(field+".action", sc.Action, field+".errnoRet", sc.ErrnoRet); err != nil {
			return err
		}
		notify = notify || sc.Action == specs.ActNotify
		for j, a := range sc.Args {
			if a.Index > 5 {
				return fmt.Errorf("%s.args[%d].index %d: out of range 0..5", field, j, a.Index)
			}
			if !operators[a.Op] {
				return fmt.Errorf("%s.args[%d].op %s: unknown operator", field, j, quote.Value(a.Op))
			}
		}
	}
	for i, f := range p.Flags {
		v, ok := seccompFlags[f]
		if !ok {
			return fmt.Errorf("seccomp.flags[%d] %s: unknown flag", i, quote.Value(f))
		}
		if v == unix.SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV && !notify {
			return fmt.Errorf("seccomp.flags[%d] %s: needs an SCMP_ACT_NOTIFY rule", i, quote.Value(f))
		}
	}
	return nil
}

func checkAction(field string, act specs.LinuxSeccompAction, errField string, errno *uint) error {
	if _, ok := actions[act]; !ok {
		return fmt.Errorf("%s %s: unknown action", field, quote.Value(act))
	}
	if errno == nil {
		return nil
	}
	switch act {
	case specs.ActErrno:
		if *errno > maxErrno {
			return fmt.Errorf("%s %d: out of range 0..%d", errField, *errno, maxErrno)
		}
	case specs.ActTrace:
		if *errno > maxTraceData {
			return fmt.Errorf("%s %d: out of range 0..%d", errField, *errno, maxTraceData)
		}
	default:
		return fmt.Errorf("%s: only for SCMP_ACT_ERRNO and SCMP_ACT_TRACE, not %s", errField, act)
	}
	return nil
}

// actionValue is the filter's return value for act: the action in the
// high 16 bits, errno or trace message in the low 16.
func actionValue(act specs.LinuxSeccompAction, errno *uint) uint32 {
	v := actions[act]
	if act == specs.ActErrno || act == specs.ActTrace {
		data := uint32(unix.EPERM)
		if errno != nil {
			data = uint32(*errno)
		}
		v |= data
	}
	return v
}

// denies reports whether the return value v refuses the syscall.
func denies(v uint32) bool {
	switch v & unix.SECCOMP_RET_ACTION_FULL {
	case unix.SECCOMP_RET_KILL_PROCESS, unix.SECCOMP_RET_KILL_THREAD, unix.SECCOMP_RET_TRAP, unix.SECCOMP_RET_ERRNO:
		return true
	}
	return false
}

// Filter is a compiled seccomp profile, ready to install. It marshals to
// JSON compactly (the program as base64), so that the parent can compile
// once and pass the result to the init stage.
type Filter struct {
	program []unix.SockFilter
	flags   uint
	// Skipped lists the syscall names of the profile that no filtered
	// ABI knows; they were left out of the filter, as runc does.
	Skipped []string
}

// Instructions returns the BPF program.
func (f *Filter) Instructions() []unix.SockFilter { return f.program }

// Flags returns the flags Install passes to seccomp(2).
func (f *Filter) Flags() uint { return f.flags }

// Notifies reports whether the filter has SCMP_ACT_NOTIFY rules, in which
// case Install returns a listener.
func (f *Filter) Notifies() bool { return f.flags&unix.SECCOMP_FILTER_FLAG_NEW_LISTENER != 0 }

type filterJSON struct {
	Flags   uint   `json:"flags"`
	Program string `json:"program"`
}

// MarshalJSON encodes the filter as its flags and its program, 8 bytes an
// instruction in the kernel's layout, base64-encoded.
func (f *Filter) MarshalJSON() ([]byte, error) {
	b := make([]byte, 0, 8*len(f.program))
	for _, in := range f.program {
		b = binary.LittleEndian.AppendUint16(b, in.Code)
		b = append(b, in.Jt, in.Jf)
		b = binary.LittleEndian.AppendUint32(b, in.K)
	}
	return json.Marshal(filterJSON{Flags: f.flags, Program: base64.StdEncoding.EncodeToString(b)})
}

// UnmarshalJSON decodes what MarshalJSON encoded.
func (f *Filter) UnmarshalJSON(data []byte) error {
	var j filterJSON
	if err := json.Unmarshal(data, &j); err != nil {
		return err
	}
	b, err := base64.StdEncoding.DecodeString(j.Program)
	if err != nil {
		return fmt.Errorf("seccomp filter: %w", err)
	}
	if len(b)%8 != 0 || len(b)/8 > bpfMaxInsns {
		return fmt.Errorf("seccomp filter: program of %d bytes", len(b))
	}
	f.flags, f.program = j.Flags, make([]unix.SockFilter, len(b)/8)
	for i := range f.program {
		r := b[8*i:]
		f.program[i] = unix.SockFilter{
			Code: binary.LittleEndian.Uint16(r),
			Jt:   r[2],
			Jf:   r[3],
			K:    binary.LittleEndian.Uint32(r[4:]),
		}
	}
	return nil
}

// cond is one argument comparison.
type cond struct {
	index           uint
	op              specs.LinuxSeccompOperator
	value, valueTwo uint64
}

// rule is a conjunction of conditions and the action when all hold.
type rule struct {
	conds  []cond
	action uint32
}

// sysRules are the rules of one syscall number.
type sysRules struct {
	rules  []rule
	uncond *uint32
}

// abi is one syscall ABI the filter checks.
type abi struct {
	arch  uint32
	table sysTable
	max   uint32
}

// CompileSeccomp validates p and compiles it to a filter. A nil profile
// compiles to nil (no filter).
func CompileSeccomp(p *specs.LinuxSeccomp) (*Filter, error) {
	if p == nil {
		return nil, nil
	}
	if err := ValidateSeccomp(p); err != nil {
		return nil, err
	}
	def := actionValue(p.DefaultAction, p.DefaultErrnoRet)
	abis := []abi{{unix.AUDIT_ARCH_X86_64, sysX86_64, sysX86_64Max}}
	if slices.Contains(p.Architectures, specs.ArchX86) {
		abis = append(abis, abi{unix.AUDIT_ARCH_I386, sysI386, sysI386Max})
	}
	x32 := uint32(unix.SECCOMP_RET_KILL_PROCESS)
	if slices.Contains(p.Architectures, specs.ArchX32) {
		x32 = def
		if !denies(def) {
			x32 = unix.SECCOMP_RET_ERRNO | uint32(unix.ENOSYS)
		}
	}
	tail := def
	if def&unix.SECCOMP_RET_ACTION_FULL == unix.SECCOMP_RET_ERRNO {
		tail = unix.SECCOMP_RET_ERRNO | uint32(unix.ENOSYS)
	}

	f := &Filter{}
	known := map[string]bool{}
	a := &asm{}
	a.ld(offArch)
	for _, ab := range abis {
		other := a.label()
		a.jump(bpfJeqK, ab.arch, next, other)
		a.ld(offNr)
		if ab.arch == unix.AUDIT_ARCH_X86_64 {
			// Every number at or above the x32 bit, x32 or bogus,
			// leaves the x86_64 rules.
			lTree := a.label()
			a.jump(bpfJgeK, x32SyscallBit, next, lTree)
			a.ret(x32)
			a.mark(lTree)
		}
		byNr := rulesFor(p, ab.table, def, known)
		emitTree(a, segments(byNr, def, ab.max, tail))
		a.mark(other)
	}
	a.ret(unix.SECCOMP_RET_KILL_PROCESS)

	prog, err := a.assemble()
	if err != nil {
		return nil, err
	}
	if len(prog) > bpfMaxInsns {
		return nil, fmt.Errorf("seccomp: the filter has %d instructions, more than the kernel's limit of %d", len(prog), bpfMaxInsns)
	}
	f.program = prog
	for _, fl := range p.Flags {
		f.flags |= seccompFlags[fl]
	}
	for _, sc := range p.Syscalls {
		if sc.Action == specs.ActNotify {
			f.flags |= unix.SECCOMP_FILTER_FLAG_NEW_LISTENER
		}
		for _, n := range sc.Names {
			if !known[n] && !slices.Contains(f.Skipped, n) {
				f.Skipped = append(f.Skipped, n)
			}
		}
	}
	return f, nil
}

// rulesFor gathers the rules of p per syscall number of table, and marks
// in known each name the table has.
func rulesFor(p *specs.LinuxSeccomp, table sysTable, def uint32, known map[string]bool) map[uint32]*sysRules {
	byNr := map[uint32]*sysRules{}
	for _, sc := range p.Syscalls {
		act := actionValue(sc.Action, sc.ErrnoRet)
		rules := argRules(sc.Args, act)
		for _, name := range sc.Names {
			nr, ok := table.lookup(name)
			if !ok {
				continue
			}
			known[name] = true
			r := byNr[nr]
			if r == nil {
				r = &sysRules{}
				byNr[nr] = r
			}
			if len(rules) == 0 {
				if r.uncond == nil {
					r.uncond = &act
				}
				continue
			}
			r.rules = append(r.rules, rules...)
		}
	}
	return byNr
}

// argRules turns the conditions of one profile entry into rules: one rule
// with all of them, or one rule each when an argument index repeats.
func argRules(args []specs.LinuxSeccompArg, act uint32) []rule {
	if len(args) == 0 {
		return nil
	}
	conds := make([]cond, len(args))
	seen := map[uint]bool{}
	repeated := false
	for i, a := range args {
		conds[i] = cond{index: a.Index, op: a.Op, value: a.Value, valueTwo: a.ValueTwo}
		repeated = repeated || seen[a.Index]
		seen[a.Index] = true
	}
	if !repeated {
		return []rule{{conds: conds, action: act}}
	}
	rules := make([]rule, len(conds))
	for i, c := range conds {
		rules[i] = rule{conds: []cond{c}, action: act}
	}
	return rules
}

// segment is a range of syscall numbers, from lo up to the next
// segment's lo, that ends in one action or one block of argument rules.
type segment struct {
	lo     uint32
	action uint32
	rules  *sysRules
}

// segments partitions the syscall numbers of one ABI: the numbers with
// rules, the gaps between them (the default action), and everything
// above max (tail).
func segments(byNr map[uint32]*sysRules, def, max, tail uint32) []segment {
	nrs := make([]uint32, 0, len(byNr))
	for nr := range byNr {
		nrs = append(nrs, nr)
	}
	sort.Slice(nrs, func(i, j int) bool { return nrs[i] < nrs[j] })
	var segs []segment
	add := func(s segment) {
		if n := len(segs); n > 0 && s.rules == nil && segs[n-1].rules == nil && segs[n-1].action == s.action {
			return
		}
		segs = append(segs, s)
	}
	cur := uint32(0)
	for _, nr := range nrs {
		if nr > cur {
			add(segment{lo: cur, action: def})
		}
		r := byNr[nr]
		fallback := def
		if r.uncond != nil {
			fallback = *r.uncond
		}
		if len(r.rules) == 0 {
			add(segment{lo: nr, action: fallback})
		} else {
			add(segment{lo: nr, action: fallback, rules: r})
		}
		cur = nr + 1
	}
	if cur <= max {
		add(segment{lo: cur, action: def})
	}
	add(segment{lo: max + 1, action: tail})
	return segs
}

// emitTree emits a binary search over the segments: about log2(n)
// comparisons for any syscall number. The accumulator holds the number.
func emitTree(a *asm, segs []segment) {
	if len(segs) == 1 {
		emitLeaf(a, segs[0])
		return
	}
	m := len(segs) / 2
	right := a.label()
	a.jump(bpfJgeK, segs[m].lo, right, next)
	emitTree(a, segs[:m])
	a.mark(right)
	emitTree(a, segs[m:])
}

func emitLeaf(a *asm, s segment) {
	if s.rules == nil {
		a.ret(s.action)
		return
	}
	for _, r := range s.rules.rules {
		fail := a.label()
		for _, c := range r.conds {
			emitCond(a, c, fail)
		}
		a.ret(r.action)
		a.mark(fail)
	}
	a.ret(s.action)
}

// emitCond falls through when c holds and jumps to fail when not. The
// argument is a 64-bit little-endian value: low half first.
func emitCond(a *asm, c cond, fail int) {
	lo := uint32(offArgs + 8*c.index)
	hi := lo + 4
	vlo, vhi := uint32(c.value), uint32(c.value>>32)
	ok := a.label()
	switch c.op {
	case specs.OpEqualTo:
		a.ld(hi)
		a.jump(bpfJeqK, vhi, next, fail)
		a.ld(lo)
		a.jump(bpfJeqK, vlo, next, fail)
	case specs.OpNotEqual:
		a.ld(hi)
		a.jump(bpfJeqK, vhi, next, ok)
		a.ld(lo)
		a.jump(bpfJeqK, vlo, fail, next)
	case specs.OpGreaterThan, specs.OpGreaterEqual:
		a.ld(hi)
		a.jump(bpfJgtK, vhi, ok, next)
		a.jump(bpfJeqK, vhi, next, fail)
		a.ld(lo)
		op := uint16(bpfJgtK)
		if c.op == specs.OpGreaterEqual {
			op = bpfJgeK
		}
		a.jump(op, vlo, next, fail)
	case specs.OpLessThan, specs.OpLessEqual:
		a.ld(hi)
		a.jump(bpfJgtK, vhi, fail, next)
		a.jump(bpfJeqK, vhi, next, ok)
		a.ld(lo)
		// a < v fails when a >= v; a <= v fails when a > v.
		op := uint16(bpfJgeK)
		if c.op == specs.OpLessEqual {
			op = bpfJgtK
		}
		a.jump(op, vlo, fail, next)
	case specs.OpMaskedEqual:
		mlo, mhi := uint32(c.value), uint32(c.value>>32)
		wlo, whi := uint32(c.valueTwo), uint32(c.valueTwo>>32)
		a.ld(hi)
		a.stmt(bpfAndK, mhi)
		a.jump(bpfJeqK, whi, next, fail)
		a.ld(lo)
		a.stmt(bpfAndK, mlo)
		a.jump(bpfJeqK, wlo, next, fail)
	}
	a.mark(ok)
}
