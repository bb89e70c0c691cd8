package cgroups

import (
	"errors"
	"strings"
	"syscall"
	"testing"
)

// TestBadInput: every bad input is an error naming controller, parameter
// and value, from Validate when it can tell and from Create otherwise,
// and a failed Create leaves no cgroup.
func TestBadInput(t *testing.T) {
	requireCgroups(t)
	memLimit := onHost(t, "memory", "memory.limit_in_bytes", "memory.max")
	tests := []struct {
		name     string
		cfg      Config
		validate bool   // Validate already rejects it
		want     string // the whole message
		is       error
		errno    bool // the kernel's errno, whichever it is
	}{
		{
			name: "unknown controller", cfg: Config{Controllers: []string{"memory", "bogus"}}, validate: true,
			want: `cgroup controller "bogus": unknown controller`, is: ErrUnknownController,
		},
		{
			name: "unknown controller of a param", cfg: Config{Params: []Param{{"bogus", "bogus.max", "1"}}}, validate: true,
			want: `cgroup controller "bogus": unknown controller`, is: ErrUnknownController,
		},
		{
			name: "controller not on this host", cfg: Config{Controllers: []string{"net_cls"}}, validate: true,
			is: ErrNotAvailable,
		},
		{
			name: "parameter of another controller", cfg: Config{Params: []Param{{"pids", memLimit, "1"}}}, validate: true,
			want: `cgroup controller "pids" parameter "` + memLimit + `" value "1": unknown parameter`, is: ErrUnknownParam,
		},
		{
			name: "parameter with a slash", cfg: Config{Params: []Param{{"pids", "pids.max/../x", "1"}}}, validate: true,
			is: ErrUnknownParam,
		},
		{
			name: "parameter the controller lacks", cfg: Config{Params: []Param{{"memory", "memory.bogus", "1"}}},
			want: `cgroup controller "memory" parameter "memory.bogus" value "1": unknown parameter (no such file or directory)`,
			is:   ErrUnknownParam,
		},
		{
			name: "negative raw limit", cfg: Config{Params: []Param{{"pids", "pids.max", "-3"}}}, validate: true,
			want: `cgroup controller "pids" parameter "pids.max" value "-3": invalid value: want a non-negative integer or "max"`,
			is:   ErrInvalidValue,
		},
		{
			name: "non-numeric raw limit", cfg: Config{Params: []Param{{"memory", memLimit, "lots"}}}, validate: true,
			is: ErrInvalidValue,
		},
		{
			name: "empty raw value", cfg: Config{Params: []Param{{"pids", "pids.max", ""}}}, validate: true,
			want: `cgroup controller "pids" parameter "pids.max" value "": invalid value: empty`, is: ErrInvalidValue,
		},
		{
			name: "negative memory limit", cfg: Config{Resources: Resources{MemoryLimit: -5}}, validate: true,
			want: `cgroup controller "memory" parameter "memoryLimit" value "-5": invalid value: negative (want -1 for unlimited, or a positive number)`,
			is:   ErrInvalidValue,
		},
		{
			name: "negative pids limit", cfg: Config{Resources: Resources{PidsMax: -2}}, validate: true,
			is: ErrInvalidValue,
		},
		{
			name: "swap below memory", cfg: Config{Resources: Resources{MemoryLimit: 2 << 20, MemorySwap: 1 << 20}}, validate: true,
			want: `cgroup controller "memory" parameter "memorySwap" value "1048576": invalid value: below memoryLimit 2097152 (it limits memory plus swap)`,
			is:   ErrInvalidValue,
		},
		{
			name: "shares and weight", cfg: Config{Resources: Resources{CPUShares: 1024, CPUWeight: 100}}, validate: true,
			is: ErrInvalidValue,
		},
		{
			name: "bad cpu list", cfg: Config{Resources: Resources{CpusetCpus: "0-x"}}, validate: true,
			want: `cgroup controller "cpuset" parameter "cpusetCpus" value "0-x": invalid value: want a list like "0-3,5"`,
			is:   ErrInvalidValue,
		},
		{
			name: "bad device rule", cfg: Config{Resources: Resources{Devices: []DeviceRule{{Type: "x"}}}}, validate: true,
			want: `cgroup controller "devices" parameter "devices[0].type" value "x": invalid value: want "a", "b" or "c"`,
			is:   ErrInvalidValue,
		},
		{
			name: "bad huge page size", cfg: Config{Resources: Resources{Hugetlb: []HugetlbLimit{{PageSize: "3MB"}}}}, validate: true,
			is: ErrInvalidValue,
		},
		{
			name: "cpu the kernel rejects", cfg: Config{Params: []Param{{"cpuset", "cpuset.cpus", "4095"}}},
			errno: true, // ERANGE or EINVAL, by kernel
		},
		{
			name: "quota the kernel rejects", cfg: Config{Resources: Resources{CPUQuota: 10}},
			is: syscall.EINVAL,
		},
		{
			name: "path climbing", cfg: Config{Path: "../x"}, validate: true,
			want: `cgroup parameter "path" value "../x": invalid value: ".." is not allowed`, is: ErrInvalidValue,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.cfg.Path == "" {
				tt.cfg.Path = testPath(t)
			}
			err := tt.cfg.Validate()
			if tt.validate != (err != nil) {
				t.Errorf("Validate() = %v, want an error: %v", err, tt.validate)
			}
			m, err := Create(&tt.cfg)
			if err == nil {
				m.Destroy()
				t.Fatal("Create succeeded")
			}
			if tt.want != "" && err.Error() != tt.want {
				t.Errorf("Create() = %v\n                want %s", err, tt.want)
			}
			var errno syscall.Errno
			if tt.errno && !errors.As(err, &errno) {
				t.Errorf("%v has no errno", err)
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("errors.Is(%v, %v) = false", err, tt.is)
			}
			var e *Error
			if !errors.As(err, &e) {
				t.Errorf("%v is not an *Error", err)
			} else if e.Controller == "" && e.Param == "" {
				t.Errorf("%v names neither controller nor parameter", err)
			}
			if !strings.HasPrefix(tt.cfg.Path, "..") {
				noCgroup(t, tt.cfg.Path)
			}
		})
	}
}

// TestBadLive: the same checks on a live cgroup.
func TestBadLive(t *testing.T) {
	m := create(t, Config{Controllers: []string{"pids"}})
	for _, tt := range []struct {
		err error
		is  error
	}{
		{m.SetParam("pids", "pids.max", "-3"), ErrInvalidValue},
		{m.SetParam("pids", "pids.bogus", "1"), ErrUnknownParam},
		{m.SetParam("bogus", "bogus.x", "1"), ErrUnknownController},
		{m.SetParam("pids", "pids.max", "1x"), ErrInvalidValue},
		{m.Set(&Resources{CPUWeight: 100}), ErrNotEnabled},
		{m.Set(&Resources{PidsMax: -7}), ErrInvalidValue},
		{errOf(m.GetParam("pids", "pids.bogus")), ErrUnknownParam},
		{errOf(m.GetParam("memory", "memory.stat")), ErrNotEnabled},
	} {
		if !errors.Is(tt.err, tt.is) {
			t.Errorf("%v: want %v", tt.err, tt.is)
		}
	}
	// A value the kernel rejects, live.
	err := m.SetParam("pids", "pids.max", "99999999999999999999")
	if !errors.Is(err, ErrInvalidValue) && !errors.Is(err, syscall.EINVAL) && !errors.Is(err, syscall.ERANGE) {
		t.Errorf("huge pids.max: %v", err)
	}
}

func errOf(_ string, err error) error { return err }
