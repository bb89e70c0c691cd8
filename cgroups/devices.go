package cgroups

import (
	"strconv"
	"strings"
)

// Access bits of a device rule, as the kernel's device cgroup and its eBPF
// context number them.
const (
	accMknod = 1
	accRead  = 2
	accWrite = 4
	accAll   = accMknod | accRead | accWrite
)

func (d *DeviceRule) check(i int) error {
	field := "devices[" + strconv.Itoa(i) + "]"
	for _, f := range []struct {
		name string
		v    int64
	}{{"major", d.Major}, {"minor", d.Minor}} {
		if f.v < -1 || f.v > 1<<32-1 {
			return invalidValue("devices", field+"."+f.name, strconv.FormatInt(f.v, 10), "want -1 (any) or a device number")
		}
	}
	if d.Access != "" && strings.Trim(d.Access, "rwm") != "" {
		return invalidValue("devices", field+".access", d.Access, `want letters of "rwm"`)
	}
	switch d.Type {
	case "c", "b":
	case "a":
		if d.Major != -1 || d.Minor != -1 || d.access() != accAll {
			return invalidValue("devices", field+".type", d.Type, `"a" takes every device: major and minor -1, access "rwm"`)
		}
	default:
		return invalidValue("devices", field+".type", d.Type, `want "a", "b" or "c"`)
	}
	return nil
}

// access returns the rule's access bits.
func (d *DeviceRule) access() int32 {
	if d.Access == "" {
		return accAll
	}
	var a int32
	for _, c := range d.Access {
		switch c {
		case 'm':
			a |= accMknod
		case 'r':
			a |= accRead
		case 'w':
			a |= accWrite
		}
	}
	return a
}

// v1Line is the rule as devices.allow and devices.deny take it.
func (d *DeviceRule) v1Line() string {
	if d.Type == "a" {
		return "a"
	}
	num := func(n int64) string {
		if n < 0 {
			return "*"
		}
		return strconv.FormatInt(n, 10)
	}
	acc := d.Access
	if acc == "" {
		acc = "rwm"
	}
	return d.Type + " " + num(d.Major) + ":" + num(d.Minor) + " " + acc
}

// v1DeviceWrites turns rules into writes to devices.allow and
// devices.deny: a reset to allow-all (unless the first rule is itself a
// reset), then every rule in order. The kernel keeps an exception list over
// a default, which gives the same last-match-wins result.
func v1DeviceWrites(rules []DeviceRule) []write {
	var ws []write
	if len(rules) == 0 || rules[0].Type != "a" {
		ws = append(ws, write{"devices", "devices.allow", "a"})
	}
	for i := range rules {
		file := "devices.deny"
		if rules[i].Allow {
			file = "devices.allow"
		}
		ws = append(ws, write{"devices", file, rules[i].v1Line()})
	}
	return ws
}
