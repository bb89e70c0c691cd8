package oci

import (
	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/libct/libct"
)

// mountIDMap maps the idmapping of mounts[i] (p is its path): its
// uidMappings and gidMappings, and the idmap and ridmap options. Mappings
// without an option make an idmapped mount too, of the top mount only, as
// with idmap; an option without mappings takes the container's user
// namespace's. It returns nil for a mount that is not idmapped.
func mountIDMap(p string, m specs.Mount, pm *parsedMount) (*libct.MountIDMap, error) {
	if !pm.idmap && len(m.UIDMappings) == 0 && len(m.GIDMappings) == 0 {
		return nil, nil
	}
	switch {
	case len(m.UIDMappings) == 0 && len(m.GIDMappings) > 0:
		return nil, invalid(p+".uidMappings", "empty while gidMappings is not: an idmapped mount needs both or neither")
	case len(m.GIDMappings) == 0 && len(m.UIDMappings) > 0:
		return nil, invalid(p+".gidMappings", "empty while uidMappings is not: an idmapped mount needs both or neither")
	}
	return &libct.MountIDMap{
		UIDMappings: mountMappings(m.UIDMappings),
		GIDMappings: mountMappings(m.GIDMappings),
		Recursive:   pm.ridmap,
	}, nil
}

func mountMappings(maps []specs.LinuxIDMapping) []libct.IDMap {
	if len(maps) == 0 {
		return nil
	}
	out := make([]libct.IDMap, len(maps))
	for i, r := range maps {
		out[i] = libct.IDMap{ContainerID: r.ContainerID, HostID: r.HostID, Size: r.Size}
	}
	return out
}
