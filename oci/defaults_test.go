package oci

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/libct/libct"
)

// saveBundle writes s as the config.json of a new bundle with a rootfs.
func saveBundle(t *testing.T, s *specs.Spec) string {
	t.Helper()
	b := testBundle(t)
	data, err := json.MarshalIndent(s, "", "\t")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(b, ConfigName), data, 0o644); err != nil {
		t.Fatal(err)
	}
	return b
}

func TestDefaultSpecRoundTrip(t *testing.T) {
	want := DefaultSpec(false)
	b := saveBundle(t, want)
	s, err := LoadSpec(b)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(s, want) {
		t.Errorf("loaded spec differs from the saved one")
	}
	cfg, p, err := Convert("rt", b, s)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Root != filepath.Join(b, "rootfs") || !cfg.ReadOnlyRoot || cfg.Hostname != "ct" {
		t.Errorf("root %q read-only %v hostname %q", cfg.Root, cfg.ReadOnlyRoot, cfg.Hostname)
	}
	if !slices.Equal(p.Args, []string{"sh"}) || !p.Terminal || !cfg.Security.NoNewPrivileges {
		t.Errorf("process %+v security %+v", p, cfg.Security)
	}
	if want := []string{"CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"}; !slices.Equal(cfg.Security.Capabilities.Bounding, want) ||
		!slices.Equal(cfg.Security.Capabilities.Effective, want) || !slices.Equal(cfg.Security.Capabilities.Permitted, want) {
		t.Errorf("capabilities %+v", cfg.Security.Capabilities)
	}
	if len(cfg.Mounts) != 6 || cfg.Options&libct.CgroupSubmount == 0 {
		t.Errorf("mounts %d options %b", len(cfg.Mounts), cfg.Options)
	}
	if !slices.Equal(cfg.MaskedPaths, libct.DefaultMaskedPaths()) ||
		!slices.Equal(cfg.ReadonlyPaths, append(libct.DefaultReadonlyPaths(), "/sys/fs/cgroup")) {
		t.Errorf("masked %v read-only %v", cfg.MaskedPaths, cfg.ReadonlyPaths)
	}
	if len(cfg.Cgroup.Resources.Devices) != 1+len(defaultDeviceRules) || cfg.Cgroup.Resources.Devices[0].Allow {
		t.Errorf("device rules %+v", cfg.Cgroup.Resources.Devices)
	}
	if len(p.Rlimits) != 1 || p.Rlimits[0] != (libct.Rlimit{Type: "RLIMIT_NOFILE", Soft: 1024, Hard: 1024}) {
		t.Errorf("rlimits %+v", p.Rlimits)
	}
}

func TestDefaultSpecRootless(t *testing.T) {
	s := DefaultSpec(true)
	var types []specs.LinuxNamespaceType
	for _, n := range s.Linux.Namespaces {
		types = append(types, n.Type)
	}
	if slices.Contains(types, specs.NetworkNamespace) || !slices.Contains(types, specs.UserNamespace) {
		t.Errorf("namespaces %v", types)
	}
	if s.Linux.Resources != nil {
		t.Error("resources kept")
	}
	want := specs.LinuxIDMapping{ContainerID: 0, HostID: uint32(os.Geteuid()), Size: 1}
	if len(s.Linux.UIDMappings) != 1 || s.Linux.UIDMappings[0] != want {
		t.Errorf("uid mappings %v", s.Linux.UIDMappings)
	}
	for _, m := range s.Mounts {
		if m.Destination == "/sys/fs/cgroup" {
			t.Error("cgroup mount kept")
		}
		if m.Destination == "/sys" && !slices.Contains(m.Options, "rbind") {
			t.Errorf("/sys is %+v", m)
		}
		for _, o := range m.Options {
			if len(o) > 4 && (o[:4] == "gid=" || o[:4] == "uid=") {
				t.Errorf("%s keeps %s", m.Destination, o)
			}
		}
	}
	cfg, _, err := Convert("rl", saveBundle(t, s), s)
	if err != nil {
		t.Fatal(err)
	}
	if !cfg.Namespaces.Has(libct.NewUser) || cfg.Namespaces.Has(libct.NewNet) || cfg.Options&libct.CgroupSubmount != 0 {
		t.Errorf("namespaces %v options %b", cfg.Namespaces, cfg.Options)
	}
	if !DefaultSpec(false).Process.Terminal {
		t.Error("the default process has no terminal")
	}
}
