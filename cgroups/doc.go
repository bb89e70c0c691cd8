// Package cgroups puts a container's processes into control groups, limits
// them there, and acts on them as a whole: freeze, thaw, kill, list,
// account, destroy.
//
// One Manager interface serves every host layout, detected at run time:
//
//   - v1: a hierarchy per controller (/sys/fs/cgroup/memory, ...).
//   - v2: one unified hierarchy (cgroup2 at /sys/fs/cgroup).
//   - hybrid: v1 hierarchies plus a cgroup2 tree (/sys/fs/cgroup/unified).
//     Each controller is driven where the host binds it: in a v1 hierarchy
//     when one holds it, in the unified tree otherwise. The unified tree
//     also tracks every process of the container.
//
// Every cgroup lives under an absolute path, the same in every hierarchy
// (default parent "/libct"). A relative path is resolved under "/libct",
// never under the cgroup of the calling process.
//
// It is a leaf package: it knows nothing of sessions or containers. A
// runtime calls Create before it starts a container's init, clones the
// init into the cgroup (OpenDir, CLONE_INTO_CGROUP) or attaches it right
// after the clone (Attach), keeps State in its own records to Load the
// Manager from another process, and calls Destroy when the container goes.
package cgroups
