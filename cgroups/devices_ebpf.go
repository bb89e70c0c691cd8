package cgroups

import (
	"bytes"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"unsafe"

	"golang.org/x/sys/unix"
)

// The device filter of cgroup v2 is a BPF_PROG_TYPE_CGROUP_DEVICE program
// of a dozen instructions of five kinds. They are encoded here and the
// program is loaded with the bpf(2) system call directly: a general eBPF
// library would add more than a megabyte to every binary that links libct,
// and with it to the memory and start time of every container's init.

// Device types of the eBPF context (BPF_DEVCG_DEV_*).
const (
	devBlock = 1
	devChar  = 2
)

// insn is one eBPF instruction, laid out as struct bpf_insn.
type insn struct {
	code uint8
	regs uint8 // dst_reg in the low nibble, src_reg in the high one
	off  int16
	imm  int32
}

// The registers and opcodes deviceProgram uses (linux/bpf_common.h,
// linux/bpf.h). All arithmetic and comparisons are on 32 bits.
const (
	r0, r1, r2, r3, r4, r5 = 0, 1, 2, 3, 4, 5

	opLoadWord  = 0x61 // BPF_LDX | BPF_MEM | BPF_W: dst = *(u32 *)(src + off)
	opMovReg32  = 0xbc // BPF_ALU | BPF_MOV | BPF_X: dst = src
	opMovImm32  = 0xb4 // BPF_ALU | BPF_MOV | BPF_K: dst = imm
	opRshImm32  = 0x74 // BPF_ALU | BPF_RSH | BPF_K: dst >>= imm
	opAndImm32  = 0x54 // BPF_ALU | BPF_AND | BPF_K: dst &= imm
	opJeqImm32  = 0x16 // BPF_JMP32 | BPF_JEQ | BPF_K: if dst == imm, pc += off
	opJneImm32  = 0x56 // BPF_JMP32 | BPF_JNE | BPF_K: if dst != imm, pc += off
	opJsetImm32 = 0x46 // BPF_JMP32 | BPF_JSET | BPF_K: if dst & imm != 0, pc += off
	opExit      = 0x95 // BPF_JMP | BPF_EXIT: return r0
)

func load(dst, src uint8, off int16) insn {
	return insn{code: opLoadWord, regs: dst | src<<4, off: off}
}
func movReg(dst, src uint8) insn { return insn{code: opMovReg32, regs: dst | src<<4} }

// withImm is an instruction on register dst and the constant imm: an ALU
// operation, or a conditional jump whose offset deviceProgram sets to the
// end of the rule's block.
func withImm(op, dst uint8, imm int32) insn { return insn{code: op, regs: dst, imm: imm} }

func isJump(in insn) bool {
	return in.code == opJeqImm32 || in.code == opJneImm32 || in.code == opJsetImm32
}

// deviceProgram compiles rules into a BPF_PROG_TYPE_CGROUP_DEVICE
// program. The context (struct bpf_cgroup_dev_ctx) holds access_type
// (access bits << 16 | device type), major and minor, each 32 bits. The
// rules are tested from the last to the first; the first that matches
// returns its verdict (1 allows, 0 denies); no match allows.
func deviceProgram(rules []DeviceRule) []insn {
	prog := []insn{
		load(r2, r1, 0), // access_type
		movReg(r3, r2),
		withImm(opRshImm32, r3, 16),     // r3: access bits
		withImm(opAndImm32, r2, 0xffff), // r2: device type
		load(r4, r1, 4),                 // r4: major
		load(r5, r1, 8),                 // r5: minor
	}
	verdict := func(allow bool) []insn {
		v := int32(0)
		if allow {
			v = 1
		}
		return []insn{withImm(opMovImm32, r0, v), {code: opExit}}
	}
	for i := len(rules) - 1; i >= 0; i-- {
		d := &rules[i]
		var block []insn
		switch d.Type {
		case "c":
			block = append(block, withImm(opJneImm32, r2, devChar))
		case "b":
			block = append(block, withImm(opJneImm32, r2, devBlock))
		}
		if d.Major >= 0 {
			block = append(block, withImm(opJneImm32, r4, int32(uint32(d.Major))))
		}
		if d.Minor >= 0 {
			block = append(block, withImm(opJneImm32, r5, int32(uint32(d.Minor))))
		}
		if acc := d.access(); acc != accAll {
			if d.Allow {
				// Every bit asked for must be in the rule.
				block = append(block, withImm(opJsetImm32, r3, int32(accAll&^acc)))
			} else {
				// Any bit asked for that the rule names denies.
				block = append(block, movReg(r1, r3), withImm(opAndImm32, r1, int32(acc)), withImm(opJeqImm32, r1, 0))
			}
		}
		conditional := len(block) > 0
		block = append(block, verdict(d.Allow)...)
		// A failed condition jumps past the block, to the next rule.
		for k := range block {
			if isJump(block[k]) {
				block[k].off = int16(len(block) - k - 1)
			}
		}
		prog = append(prog, block...)
		if !conditional {
			// Rules before this one are never reached, and the verifier
			// refuses unreachable code.
			return prog
		}
	}
	return append(prog, verdict(true)...)
}

// bpf is the bpf(2) system call with attr, a pointer to one of the
// *Attr structs below, and its size.
func bpf(cmd int, attr unsafe.Pointer, size uintptr) (int, error) {
	fd, _, errno := unix.Syscall(unix.SYS_BPF, uintptr(cmd), uintptr(attr), size)
	if errno != 0 {
		return -1, errno
	}
	return int(fd), nil
}

// progLoadAttr is the BPF_PROG_LOAD part of union bpf_attr, up to
// expected_attach_type.
type progLoadAttr struct {
	progType           uint32
	insnCnt            uint32
	insns              uint64
	license            uint64
	logLevel           uint32
	logSize            uint32
	logBuf             uint64
	kernVersion        uint32
	progFlags          uint32
	progName           [unix.BPF_OBJ_NAME_LEN]byte
	progIfindex        uint32
	expectedAttachType uint32
}

// progQueryAttr is the BPF_PROG_QUERY part, up to prog_cnt.
type progQueryAttr struct {
	targetFD    uint32
	attachType  uint32
	queryFlags  uint32
	attachFlags uint32
	progIDs     uint64
	progCnt     uint32
	_           uint32
}

// progAttachAttr is the BPF_PROG_ATTACH and BPF_PROG_DETACH part.
type progAttachAttr struct {
	targetFD     uint32
	attachBPFFD  uint32
	attachType   uint32
	attachFlags  uint32
	replaceBPFFD uint32
}

// getFDByIDAttr is the BPF_PROG_GET_FD_BY_ID part.
type getFDByIDAttr struct {
	id, nextID, openFlags uint32
}

// loadDeviceProgram loads prog and returns its fd. When the verifier
// refuses it, the program is loaded again with the verifier's log, whose
// last line goes into the error.
func loadDeviceProgram(prog []insn) (int, error) {
	license := []byte("Apache-2.0\x00")
	attr := progLoadAttr{
		progType: unix.BPF_PROG_TYPE_CGROUP_DEVICE,
		insnCnt:  uint32(len(prog)),
		insns:    uint64(uintptr(unsafe.Pointer(&prog[0]))),
		license:  uint64(uintptr(unsafe.Pointer(&license[0]))),
	}
	copy(attr.progName[:], "libct_devices")
	fd, err := bpf(unix.BPF_PROG_LOAD, unsafe.Pointer(&attr), unsafe.Sizeof(attr))
	if err != nil && (errors.Is(err, unix.EINVAL) || errors.Is(err, unix.EACCES)) {
		log := make([]byte, 64<<10)
		attr.logLevel, attr.logSize = 1, uint32(len(log))
		attr.logBuf = uint64(uintptr(unsafe.Pointer(&log[0])))
		if _, lerr := bpf(unix.BPF_PROG_LOAD, unsafe.Pointer(&attr), unsafe.Sizeof(attr)); lerr != nil {
			if last := lastLine(log); last != "" {
				err = fmt.Errorf("%w (verifier: %s)", err, last)
			}
		}
		runtime.KeepAlive(log)
	}
	runtime.KeepAlive(prog)
	runtime.KeepAlive(license)
	if err != nil {
		return -1, fmt.Errorf("load program: %w", err)
	}
	return fd, nil
}

func lastLine(log []byte) string {
	if i := bytes.IndexByte(log, 0); i >= 0 {
		log = log[:i]
	}
	lines := strings.Split(strings.TrimSpace(string(log)), "\n")
	return lines[len(lines)-1]
}

// attachedDevicePrograms returns the ids of the device programs attached
// to the cgroup cgFD.
func attachedDevicePrograms(cgFD int) ([]uint32, error) {
	ids := make([]uint32, 8)
	for {
		attr := progQueryAttr{
			targetFD:   uint32(cgFD),
			attachType: unix.BPF_CGROUP_DEVICE,
			progIDs:    uint64(uintptr(unsafe.Pointer(&ids[0]))),
			progCnt:    uint32(len(ids)),
		}
		_, err := bpf(unix.BPF_PROG_QUERY, unsafe.Pointer(&attr), unsafe.Sizeof(attr))
		runtime.KeepAlive(ids)
		if errors.Is(err, unix.ENOSPC) && int(attr.progCnt) > len(ids) {
			ids = make([]uint32, attr.progCnt)
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("query programs: %w", err)
		}
		return ids[:attr.progCnt], nil
	}
}

// setDeviceFilter loads the program of rules and attaches it to the
// cgroup dir, then detaches the programs attached before (by this or any
// earlier Manager of the cgroup): while both are attached both apply, so
// the switch never allows more than either.
func setDeviceFilter(dir string, rules []DeviceRule) error {
	fail := func(err error) error {
		return &Error{Controller: "devices", Err: fmt.Errorf("eBPF device program on %s: %w", dir, err)}
	}
	prog, err := loadDeviceProgram(deviceProgram(rules))
	if err != nil {
		return fail(err)
	}
	defer unix.Close(prog)
	cg, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return fail(err)
	}
	defer unix.Close(cg)
	old, err := attachedDevicePrograms(cg)
	if err != nil {
		return fail(err)
	}
	attach := progAttachAttr{
		targetFD: uint32(cg), attachBPFFD: uint32(prog),
		attachType: unix.BPF_CGROUP_DEVICE, attachFlags: unix.BPF_F_ALLOW_MULTI,
	}
	if _, err := bpf(unix.BPF_PROG_ATTACH, unsafe.Pointer(&attach), unsafe.Sizeof(attach)); err != nil {
		return fail(fmt.Errorf("attach: %w", err))
	}
	for _, id := range old {
		get := getFDByIDAttr{id: id}
		p, err := bpf(unix.BPF_PROG_GET_FD_BY_ID, unsafe.Pointer(&get), unsafe.Sizeof(get))
		if err != nil {
			return fail(fmt.Errorf("program %d: %w", id, err))
		}
		detach := progAttachAttr{targetFD: uint32(cg), attachBPFFD: uint32(p), attachType: unix.BPF_CGROUP_DEVICE}
		_, err = bpf(unix.BPF_PROG_DETACH, unsafe.Pointer(&detach), unsafe.Sizeof(detach))
		unix.Close(p)
		if err != nil {
			return fail(fmt.Errorf("detach program %d: %w", id, err))
		}
	}
	return nil
}
