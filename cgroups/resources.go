package cgroups

import (
	"errors"
	"strconv"

	"golang.org/x/sys/unix"
)

// apply writes the set fields of r, each controller in the hierarchy
// that drives it.
func (m *manager) apply(r *Resources) error {
	for _, ctl := range r.controllers() {
		dir, v1, err := m.where(ctl)
		if err != nil {
			return err
		}
		switch {
		case ctl == "devices" && !v1:
			err = setDeviceFilter(dir, r.Devices)
		case ctl == "memory" && v1:
			err = setMemoryV1(dir, r)
		case v1:
			err = m.do(v1Writes(ctl, r, dir))
		default:
			var ws []write
			if ws, err = v2Writes(ctl, r, dir); err == nil {
				err = m.do(ws)
			}
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// do carries out writes in order. The kernel checks some files against
// others (a v1 cfs period against the quota and the parent's ratio), so a
// write it refuses with EINVAL is tried again after the ones that follow.
// Device rules keep their order, which is their meaning.
func (m *manager) do(ws []write) error {
	var refused []write
	for _, w := range ws {
		err := m.write(w)
		if errors.Is(err, unix.EINVAL) && w.ctl != "devices" {
			refused = append(refused, w)
		} else if err != nil {
			return err
		}
	}
	for _, w := range refused {
		if err := m.write(w); err != nil {
			return err
		}
	}
	return nil
}

func (m *manager) write(w write) error {
	dir, _, err := m.where(w.ctl)
	if err != nil {
		return err
	}
	if err := writeFile(dir, w.file, w.value); err != nil {
		return fileErr(w.ctl, w.file, w.value, err)
	}
	return nil
}

// sharesToWeight maps v1 cpu.shares (2..262144) linearly onto v2
// cpu.weight (1..10000): 1024, the v1 default, gives 39.
func sharesToWeight(shares uint64) uint64 {
	shares = min(max(shares, 2), 262144)
	return 1 + (shares-2)*9999/262142
}

// weightToShares is the inverse of sharesToWeight: 100, the v2 default,
// gives 2597.
func weightToShares(weight uint64) uint64 {
	weight = min(max(weight, 1), 10000)
	return 2 + (weight-1)*262142/9999
}

// blkioToIOWeight maps a blkio weight (10..1000, lower ones count as 10)
// linearly onto io.weight (1..10000): 500 gives 4950.
func blkioToIOWeight(w uint16) uint64 {
	b := uint64(min(max(w, 10), 1000))
	return 1 + (b-10)*9999/990
}

// limitV1 renders a limit for v1 files, where -1 is unlimited.
func limitV1(v int64) string { return strconv.FormatInt(v, 10) }

// limitV2 renders a limit for v2 files, where "max" is unlimited.
func limitV2(v int64) string {
	if v < 0 {
		return "max"
	}
	return strconv.FormatInt(v, 10)
}

func u64(v uint64) string { return strconv.FormatUint(v, 10) }
