package oci

import (
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/libct/libct"
	"github.com/libct/libct/internal/nsenter"
	"github.com/libct/libct/rootfs"
	"github.com/libct/libct/security"
)

func TestFeatures(t *testing.T) {
	f := Features()
	if f.OCIVersionMin != "1.0.0" || f.OCIVersionMax != specs.Version {
		t.Errorf("versions %s..%s", f.OCIVersionMin, f.OCIVersionMax)
	}
	if len(f.Hooks) != 6 {
		t.Errorf("hooks %v", f.Hooks)
	}
	for _, o := range []string{"ro", "rbind", "rro", "rprivate", "strictatime", "nosuid", "tmpcopyup"} {
		if !slices.Contains(f.MountOptions, o) {
			t.Errorf("mount options lack %q", o)
		}
	}
	// Idmapped mounts are advertised exactly where they can be made.
	idmap := rootfs.IDMapSupported()
	for _, o := range []string{"idmap", "ridmap"} {
		if slices.Contains(f.MountOptions, o) != idmap {
			t.Errorf("mount option %q listed: %v, idmapped mounts supported: %v", o, !idmap, idmap)
		}
	}
	if *f.Linux.MountExtensions.IDMap.Enabled != idmap {
		t.Errorf("mountExtensions.idmap.enabled %v, supported %v", *f.Linux.MountExtensions.IDMap.Enabled, idmap)
	}
	if len(f.Linux.Namespaces) != 8 || !slices.Contains(f.Linux.Namespaces, "time") {
		t.Errorf("namespaces %v", f.Linux.Namespaces)
	}
	if !slices.Contains(f.Linux.Capabilities, "CAP_SYS_ADMIN") {
		t.Errorf("capabilities %v", f.Linux.Capabilities)
	}
	if *f.Linux.Cgroup.Systemd || !*f.Linux.Cgroup.V1 || *f.Linux.IntelRdt.Enabled {
		t.Error("cgroup or intelRdt support misreported")
	}
	if !slices.Contains(f.Linux.Seccomp.Actions, "SCMP_ACT_NOTIFY") || len(f.Linux.Seccomp.Operators) != 7 {
		t.Errorf("seccomp %+v", f.Linux.Seccomp)
	}
	// The flags are the kernel's: each one listed as supported is one a
	// profile may name, and TSYNC, accepted and ignored, always is.
	if !slices.Equal(f.Linux.Seccomp.KnownFlags, []string{"SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_LOG",
		"SECCOMP_FILTER_FLAG_SPEC_ALLOW", "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV"}) {
		t.Errorf("known flags %v", f.Linux.Seccomp.KnownFlags)
	}
	for _, name := range f.Linux.Seccomp.KnownFlags {
		if got, want := slices.Contains(f.Linux.Seccomp.SupportedFlags, name), security.FlagSupported(specs.LinuxSeccompFlag(name)); got != want {
			t.Errorf("supported flags %v: %s listed %v, the kernel's probe says %v", f.Linux.Seccomp.SupportedFlags, name, got, want)
		}
	}
	if !slices.Contains(f.Linux.Seccomp.SupportedFlags, "SECCOMP_FILTER_FLAG_TSYNC") {
		t.Errorf("supported flags %v lack SECCOMP_FILTER_FLAG_TSYNC", f.Linux.Seccomp.SupportedFlags)
	}
	if got, want := f.Annotations[EnterStageAnnotation], strconv.FormatBool(nsenter.Available); got != want {
		t.Errorf("annotation %s = %q, want %q: the build's enter stage", EnterStageAnnotation, got, want)
	}
	data, err := json.Marshal(f)
	if err != nil || !strings.Contains(string(data), `"ociVersionMax":"`+specs.Version+`"`) {
		t.Errorf("%s, %v", data, err)
	}

	// Every option it lists is accepted by Convert.
	for _, o := range f.MountOptions {
		m := specs.Mount{Destination: "/x", Type: "tmpfs", Options: []string{o}}
		switch o {
		case "bind", "rbind":
			m.Source = "/etc"
		case "idmap", "ridmap":
			m.Type, m.Source = "bind", "/etc"
		}
		s := minimalSpec()
		s.Mounts = []specs.Mount{m}
		if _, _, err := Convert("f", testBundle(t), s); err != nil {
			t.Errorf("option %q listed but refused: %v", o, err)
		}
	}
}

func TestState(t *testing.T) {
	cfg := &libct.Config{Bundle: "/b", Annotations: map[string]string{"k": "v"}}
	for _, tc := range []struct {
		st   libct.State
		pid  int
		want specs.ContainerState
		pidW int
	}{
		{libct.Created, 42, specs.StateCreated, 42},
		{libct.Running, 42, specs.StateRunning, 42},
		{libct.Paused, 42, "paused", 42},
		{libct.Stopped, 42, specs.StateStopped, 0},
		{"creating", 0, specs.StateCreating, 0},
	} {
		s := State("c1", tc.st, tc.pid, cfg)
		if s.Version != specs.Version || s.ID != "c1" || s.Status != tc.want || s.Pid != tc.pidW || s.Bundle != "/b" || s.Annotations["k"] != "v" {
			t.Errorf("%s: %+v", tc.st, s)
		}
	}
	if s := State("c2", libct.Running, 1, nil); s.Bundle != "" || s.Annotations != nil {
		t.Errorf("nil config: %+v", s)
	}
}
