package cgroups

import (
	"fmt"
	"strconv"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/asm"
	"github.com/cilium/ebpf/link"
	"golang.org/x/sys/unix"
)

// Device types of the eBPF context (BPF_DEVCG_DEV_*).
const (
	devBlock = 1
	devChar  = 2
)

// deviceProgram compiles rules into a BPF_PROG_TYPE_CGROUP_DEVICE
// program. The context (struct bpf_cgroup_dev_ctx) holds access_type
// (access bits << 16 | device type), major and minor, each 32 bits. The
// rules are tested from the last to the first; the first that matches
// returns its verdict (1 allows, 0 denies); no match allows.
func deviceProgram(rules []DeviceRule) asm.Instructions {
	insns := asm.Instructions{
		asm.LoadMem(asm.R2, asm.R1, 0, asm.Word), // access_type
		asm.Mov.Reg32(asm.R3, asm.R2),
		asm.RSh.Imm32(asm.R3, 16),                // R3: access bits
		asm.And.Imm32(asm.R2, 0xffff),            // R2: device type
		asm.LoadMem(asm.R4, asm.R1, 4, asm.Word), // R4: major
		asm.LoadMem(asm.R5, asm.R1, 8, asm.Word), // R5: minor
	}
	label := func(k int) string { return "rule" + strconv.Itoa(k) }
	verdict := func(allow bool) asm.Instructions {
		v := int32(0)
		if allow {
			v = 1
		}
		return asm.Instructions{asm.Mov.Imm32(asm.R0, v), asm.Return()}
	}
	k := 0
	for i := len(rules) - 1; i >= 0; i-- {
		d := &rules[i]
		next := label(k + 1)
		var block asm.Instructions
		switch d.Type {
		case "c":
			block = append(block, asm.JNE.Imm32(asm.R2, devChar, next))
		case "b":
			block = append(block, asm.JNE.Imm32(asm.R2, devBlock, next))
		}
		if d.Major >= 0 {
			block = append(block, asm.JNE.Imm32(asm.R4, int32(uint32(d.Major)), next))
		}
		if d.Minor >= 0 {
			block = append(block, asm.JNE.Imm32(asm.R5, int32(uint32(d.Minor)), next))
		}
		if acc := d.access(); acc != accAll {
			if d.Allow {
				// Every bit asked for must be in the rule.
				block = append(block, asm.JSet.Imm32(asm.R3, accAll&^acc, next))
			} else {
				// Any bit asked for that the rule names denies.
				block = append(block,
					asm.Mov.Reg32(asm.R1, asm.R3),
					asm.And.Imm32(asm.R1, acc),
					asm.JEq.Imm32(asm.R1, 0, next))
			}
		}
		conditional := len(block) > 0
		block = append(block, verdict(d.Allow)...)
		block[0] = block[0].WithSymbol(label(k))
		insns = append(insns, block...)
		k++
		if !conditional {
			// Rules before this one are never reached, and the verifier
			// refuses unreachable code.
			return insns
		}
	}
	tail := verdict(true)
	tail[0] = tail[0].WithSymbol(label(k))
	return append(insns, tail...)
}

// setDeviceFilter loads the program of rules and attaches it to the
// cgroup dir, then detaches the programs attached before (by this or any
// earlier Manager of the cgroup): while both are attached both apply, so
// the switch never allows more than either.
func setDeviceFilter(dir string, rules []DeviceRule) error {
	fail := func(err error) error {
		return &Error{Controller: "devices", Err: fmt.Errorf("eBPF device program on %s: %w", dir, err)}
	}
	prog, err := ebpf.NewProgram(&ebpf.ProgramSpec{
		Name:         "libct_devices",
		Type:         ebpf.CGroupDevice,
		License:      "Apache-2.0",
		Instructions: deviceProgram(rules),
	})
	if err != nil {
		return fail(err)
	}
	defer prog.Close()
	fd, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return fail(err)
	}
	defer unix.Close(fd)
	old, err := link.QueryPrograms(link.QueryOptions{Target: fd, Attach: ebpf.AttachCGroupDevice})
	if err != nil {
		return fail(err)
	}
	err = link.RawAttachProgram(link.RawAttachProgramOptions{
		Target: fd, Program: prog, Attach: ebpf.AttachCGroupDevice, Flags: unix.BPF_F_ALLOW_MULTI,
	})
	if err != nil {
		return fail(err)
	}
	for _, ap := range old.Programs {
		p, err := ebpf.NewProgramFromID(ap.ID)
		if err != nil {
			return fail(err)
		}
		err = link.RawDetachProgram(link.RawDetachProgramOptions{Target: fd, Program: p, Attach: ebpf.AttachCGroupDevice})
		p.Close()
		if err != nil {
			return fail(err)
		}
	}
	return nil
}
