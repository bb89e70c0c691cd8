package oci

import (
	"slices"
	"strconv"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/opencontainers/runtime-spec/specs-go/features"

	"github.com/libct/libct/internal/nsenter"
	"github.com/libct/libct/rootfs"
	"github.com/libct/libct/security"
)

// EnterStageAnnotation is the annotation of Features that tells whether
// this build has libct's enter stage ("true" or "false"): without it (a
// build with CGO_ENABLED=0), exec into a container with a user, mount or
// time namespace and joining such a namespace by path are refused with
// libct.ErrNoEnterStage. An engine, or a test driving one, reads it
// before relying on exec.
const EnterStageAnnotation = "io.github.libct.enter-stage"

// Features is what `ct features` prints: what Convert accepts. Mount
// options, namespaces, capabilities and seccomp names are those Convert
// maps; refused options are left out, and idmap and ridmap
// where idmapped mounts cannot be made.
func Features() *features.Features {
	yes, no := true, false
	// Idmapped mounts need root and a kernel with mount_setattr(2).
	idmap := rootfs.IDMapSupported()
	var opts []string
	for name, o := range mountOptions {
		if o.kind != optRefused && (o.kind != optIDMap || idmap) {
			opts = append(opts, name)
		}
	}
	slices.Sort(opts)
	var ns []string
	for t := range namespaceTypes {
		ns = append(ns, string(t))
	}
	slices.Sort(ns)
	return &features.Features{
		OCIVersionMin: "1.0.0",
		OCIVersionMax: specs.Version,
		Hooks:         []string{"prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop"},
		MountOptions:  opts,
		Annotations:   map[string]string{EnterStageAnnotation: strconv.FormatBool(nsenter.Available)},
		Linux: &features.Linux{
			Namespaces:   ns,
			Capabilities: security.AllCapabilityNames(),
			Cgroup: &features.Cgroup{
				V1: &yes, V2: &yes, Systemd: &no, SystemdUser: &no, Rdma: &yes,
			},
			Seccomp: &features.Seccomp{
				Enabled:        &yes,
				Actions:        seccompActions(),
				Operators:      seccompOperators(),
				Archs:          seccompArchs(),
				KnownFlags:     flagNames(security.KnownFlags()),
				SupportedFlags: flagNames(security.SupportedFlags()),
			},
			Apparmor:        &features.Apparmor{Enabled: &yes},
			Selinux:         &features.Selinux{Enabled: &yes},
			IntelRdt:        &features.IntelRdt{Enabled: &no, Schemata: &no, Monitoring: &no},
			MemoryPolicy:    &features.MemoryPolicy{},
			MountExtensions: &features.MountExtensions{IDMap: &features.IDMap{Enabled: &idmap}},
			NetDevices:      &features.NetDevices{Enabled: &yes},
		},
	}
}

func seccompActions() []string {
	return []string{
		string(specs.ActAllow), string(specs.ActErrno), string(specs.ActKill), string(specs.ActKillProcess),
		string(specs.ActKillThread), string(specs.ActLog), string(specs.ActNotify), string(specs.ActTrace),
		string(specs.ActTrap),
	}
}

func seccompOperators() []string {
	return []string{
		string(specs.OpEqualTo), string(specs.OpGreaterEqual), string(specs.OpGreaterThan),
		string(specs.OpLessEqual), string(specs.OpLessThan), string(specs.OpMaskedEqual), string(specs.OpNotEqual),
	}
}

// seccompArchs are the architectures a profile may name; on this x86-64
// build x86, x86_64 and x32 are filtered and the others have no effect.
func seccompArchs() []string {
	return []string{
		string(specs.ArchAARCH64), string(specs.ArchARM), string(specs.ArchLOONGARCH64), string(specs.ArchM68K),
		string(specs.ArchMIPS), string(specs.ArchMIPS64), string(specs.ArchMIPS64N32), string(specs.ArchMIPSEL),
		string(specs.ArchMIPSEL64), string(specs.ArchMIPSEL64N32), string(specs.ArchPARISC), string(specs.ArchPARISC64),
		string(specs.ArchPPC), string(specs.ArchPPC64), string(specs.ArchPPC64LE), string(specs.ArchRISCV64),
		string(specs.ArchS390), string(specs.ArchS390X), string(specs.ArchSH), string(specs.ArchSHEB),
		string(specs.ArchX32), string(specs.ArchX86), string(specs.ArchX86_64),
	}
}

func flagNames(flags []specs.LinuxSeccompFlag) []string {
	names := make([]string, len(flags))
	for i, f := range flags {
		names[i] = string(f)
	}
	return names
}
