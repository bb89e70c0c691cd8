package libct

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/libct/libct/cgroups"
)

func TestSubCgroupDirs(t *testing.T) {
	// A hybrid host: cpu and cpuacct mounted apart, net_cls and net_prio
	// together, hugetlb on the unified hierarchy.
	hybrid := cgroups.State{
		Mode:        cgroups.ModeHybrid,
		Path:        "/ct",
		Controllers: []string{"blkio", "cpu", "cpuacct", "hugetlb", "memory", "net_cls", "net_prio"},
		V1: map[string]string{
			"blkio":    "/cg/blkio/ct",
			"cpu":      "/cg/cpu/ct",
			"cpuacct":  "/cg/cpuacct/ct",
			"memory":   "/cg/memory/ct",
			"net_cls":  "/cg/net_cls,net_prio/ct",
			"net_prio": "/cg/net_cls,net_prio/ct",
		},
		Unified: "/cg/unified/ct",
		Top:     "/ct",
	}
	v2 := cgroups.State{Mode: cgroups.ModeV2, Path: "/ct", Controllers: []string{"cpu", "memory"}, Unified: "/cg/ct", Top: "/ct"}
	tests := []struct {
		name    string
		st      cgroups.State
		subs    map[string]string
		want    []string
		wantErr string
	}{
		{
			name: "one path for every hierarchy",
			st:   hybrid,
			subs: map[string]string{"": "sub"},
			want: []string{"/cg/unified/ct/sub", "/cg/blkio/ct/sub", "/cg/cpu/ct/sub", "/cg/cpuacct/ct/sub", "/cg/memory/ct/sub", "/cg/net_cls,net_prio/ct/sub"},
		},
		{
			name: "slash is the container's cgroup",
			st:   hybrid,
			subs: map[string]string{"": "/"},
			want: []string{"/cg/unified/ct", "/cg/blkio/ct", "/cg/cpu/ct", "/cg/cpuacct/ct", "/cg/memory/ct", "/cg/net_cls,net_prio/ct"},
		},
		{
			name: "per controller, the rest at the container's cgroup",
			st:   hybrid,
			subs: map[string]string{"memory": "submem", "cpu": "/subcpu", "hugetlb": "h"},
			want: []string{"/cg/unified/ct/h", "/cg/blkio/ct", "/cg/cpu/ct/subcpu", "/cg/cpuacct/ct", "/cg/memory/ct/submem", "/cg/net_cls,net_prio/ct"},
		},
		{
			name: "a controller overrides the path for every hierarchy",
			st:   hybrid,
			subs: map[string]string{"": "all", "io": "disk"},
			want: []string{"/cg/unified/ct/all", "/cg/blkio/ct/disk", "/cg/cpu/ct/all", "/cg/cpuacct/ct/all", "/cg/memory/ct/all", "/cg/net_cls,net_prio/ct/all"},
		},
		{
			name: "co-mounted controllers with one path",
			st:   hybrid,
			subs: map[string]string{"net_cls": "n", "net_prio": "n/"},
			want: []string{"/cg/unified/ct", "/cg/blkio/ct", "/cg/cpu/ct", "/cg/cpuacct/ct", "/cg/memory/ct", "/cg/net_cls,net_prio/ct/n"},
		},
		{
			name: "v2",
			st:   v2,
			subs: map[string]string{"": "a/b"},
			want: []string{"/cg/ct/a/b"},
		},
		{
			name:    "co-mounted controllers with two paths",
			st:      hybrid,
			subs:    map[string]string{"net_cls": "a", "net_prio": "b"},
			wantErr: "share a hierarchy",
		},
		{
			name:    "parent",
			st:      hybrid,
			subs:    map[string]string{"": ".."},
			wantErr: `process.subCgroups[""]: .. is not a sub cgroup path`,
		},
		{
			name:    "out through a subdirectory",
			st:      v2,
			subs:    map[string]string{"memory": "/a/../../b"},
			wantErr: `process.subCgroups["memory"]: /a/../../b is not a sub cgroup path`,
		},
		{
			name:    "unknown controller",
			st:      hybrid,
			subs:    map[string]string{"whaaat": "/"},
			wantErr: `unknown controller "whaaat"`,
		},
		{
			name:    "controller the cgroup lacks",
			st:      v2,
			subs:    map[string]string{"pids": "p"},
			wantErr: `unknown controller "pids"`,
		},
		{
			name:    "NUL byte",
			st:      v2,
			subs:    map[string]string{"": "a\x00b"},
			wantErr: "NUL",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := subCgroupDirs(tc.st, tc.subs)
			if tc.wantErr != "" {
				var ce *ConfigError
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) || !errors.As(err, &ce) {
					t.Fatalf("got %v, %v; want a *ConfigError with %q", got, err, tc.wantErr)
				}
				return
			}
			if err != nil || !slices.Equal(got, tc.want) {
				t.Fatalf("got %q, %v; want %q", got, err, tc.want)
			}
		})
	}
}

func TestCheckDeadlineCpus(t *testing.T) {
	withCpus := &Config{Cgroup: &Cgroup{Resources: Resources{CpusetCpus: "0"}}}
	tests := []struct {
		name    string
		sched   *Scheduler
		cfg     *Config
		refused bool
	}{
		{"deadline with chosen cpus", &Scheduler{Policy: unix.SCHED_DEADLINE, Runtime: 1, Deadline: 2, Period: 2}, withCpus, true},
		{"deadline without a cgroup", &Scheduler{Policy: unix.SCHED_DEADLINE}, &Config{}, false},
		{"deadline without chosen cpus", &Scheduler{Policy: unix.SCHED_DEADLINE}, &Config{Cgroup: &Cgroup{}}, false},
		{"batch with chosen cpus", &Scheduler{Policy: unix.SCHED_BATCH}, withCpus, false},
		{"no scheduler", nil, withCpus, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := &Process{Args: []string{"true"}, Scheduler: tc.sched}
			err := p.checkDeadlineCpus(tc.cfg)
			if refused := err != nil; refused != tc.refused {
				t.Fatalf("checkDeadlineCpus: %v, want refused %v", err, tc.refused)
			}
			if err != nil && !strings.Contains(err.Error(), "process.scheduler: SCHED_DEADLINE: a process scheduler can't be used together with AllowedCPUs") {
				t.Errorf("error %q", err)
			}
		})
	}
}

func TestRefuseEnterOnly(t *testing.T) {
	tests := []struct {
		name  string
		p     Process
		field string
	}{
		{"sub-cgroups", Process{SubCgroups: map[string]string{"": "a"}}, "process.subCgroups"},
		{"paused", Process{EnterPaused: true}, "process.enterPaused"},
		{"neither", Process{}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.p.refuseEnterOnly()
			var ce *ConfigError
			if tc.field == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			if !errors.As(err, &ce) || ce.Field != tc.field {
				t.Fatalf("got %v, want a *ConfigError of %s", err, tc.field)
			}
		})
	}
}
