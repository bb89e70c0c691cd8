package rootfs

import (
	"errors"
	"strings"
)

var (
	errNotAbs = errors.New("must be an absolute path")
	errClimbs = errors.New(`".." climbs out of the root`)
	errIsRoot = errors.New(`cannot be "/"`)
	// errLeadsToRoot is a mount point that symlinks turn into the root.
	errLeadsToRoot = errors.New("leads through a symlink to the root itself")
)

// InRoot turns an absolute container path into the relative form os.Root
// wants ("a/b", or "." for "/"). It is lexical: ".." that would leave the
// root is refused rather than silently clamped, because a config that tries
// it is wrong and should be told so.
func InRoot(p string) (string, error) {
	if !strings.HasPrefix(p, "/") {
		return "", errNotAbs
	}
	parts := make([]string, 0, strings.Count(p, "/"))
	for _, c := range strings.Split(p, "/") {
		switch c {
		case "", ".":
		case "..":
			if len(parts) == 0 {
				return "", errClimbs
			}
			parts = parts[:len(parts)-1]
		default:
			parts = append(parts, c)
		}
	}
	if len(parts) == 0 {
		return ".", nil
	}
	return strings.Join(parts, "/"), nil
}

// InRootNotRoot is InRoot for the paths of mounts and devices, which may
// not replace the root itself.
func InRootNotRoot(p string) (string, error) {
	rel, err := InRoot(p)
	if err == nil && rel == "." {
		err = errIsRoot
	}
	return rel, err
}
