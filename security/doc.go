// Package security holds the walls a container's process gets right
// before exec: capabilities, no_new_privs, the OOM score adjustment,
// seccomp filters and LSM labels (AppArmor, SELinux).
//
// It is a leaf package: it knows nothing of containers. The parent
// validates everything first (Capabilities.Validate, ValidateSeccomp,
// Labels.Validate, ValidateOOMScoreAdj) and compiles the seccomp profile
// (CompileSeccomp; the Filter marshals to JSON for the trip to the init);
// the init stage applies the rest.
//
// # Threads
//
// Capabilities, keepcaps, no_new_privs, seccomp filters (without TSYNC)
// and the LSM exec attributes all belong to a thread, not to the process.
// The init stage is a Go program with several threads: it must call these
// functions from the goroutine locked (runtime.LockOSThread) to the
// thread that then calls execve, and exec from there. execve ends the
// other threads and keeps the state of that one.
//
// # Order in the init stage
//
// On the locked thread, once the root file system is ready:
//
//  1. rlimits, umask.
//  2. SetOOMScoreAdj: lowering the score needs CAP_SYS_RESOURCE, so it
//     comes before any capability is dropped.
//  3. caps.PrepareForUserChange: drops the bounding set (PR_CAPBSET_DROP
//     needs CAP_SETPCAP, which the final sets may lack) and sets keepcaps
//     so that the permitted set survives the change to a non-zero uid.
//  4. Only when !CanInstallLast(noNewPrivs, caps): filter.Install now,
//     while the thread still has CAP_SYS_ADMIN (runc does the same). The
//     filter then sees everything below and must allow it: setgroups,
//     setresgid, setresuid (Go runs them on every thread and aborts the
//     program if one thread gets a different result), chdir, capget,
//     capset, prctl, openat/write/close (LSM labels),
//     sendmsg (listener hand-over), execve, and what the Go runtime
//     calls (futex, mmap, rt_sigprocmask, sigaltstack, nanosleep, ...).
//     The default profile allows all of these.
//  5. chdir to the working directory, as root: a directory only root may
//     enter serves the program of another user, as with runc.
//  6. setgroups, setresgid, setresuid; then chdir again, with the
//     program's own rights, when root was refused the working directory
//     in step 5 (root squashed on NFS, say).
//  7. caps.Apply: clears keepcaps, capset (effective, permitted,
//     inheritable), then the ambient set (PR_CAP_AMBIENT_RAISE needs the
//     capability in permitted and inheritable, so after capset). Not
//     before step 5: capset could remove CAP_SETUID from this thread only
//     and make Go's all-threads setresuid abort.
//  8. labels.Apply: the AppArmor profile and SELinux label for exec.
//  9. parent-death signal (it is reset by a change of credentials).
//  10. SetNoNewPrivs, when asked for.
//  11. When CanInstallLast: filter.Install, the very last step. A
//     listener (a filter with SCMP_ACT_NOTIFY) is then sent to the parent
//     with SendFd and closed (it is close-on-exec anyway).
//  12. execve.
//
// The init marks the descriptors the program must not get close-on-exec
// (close_range) before all of this, and before the startContainer hooks.
// Two cases move the filter earlier, before step 1, while the thread is
// still root with every capability: a notifying filter of a container
// that waits for its start goes in before that wait, so that the listener
// reaches the parent that prepared it; any filter goes in before the
// startContainer hooks, which run under it. The filter then sees what
// step 4 lists, plus the hooks' fork, exec and wait.
//
// A nil *Capabilities has every set empty (no capabilities at all); the
// caller picks the default when none is configured (libct uses
// DefaultCapabilities).
//
// # Limits
//
// Seccomp filters are compiled for x86 only (x86_64, with i386 when the
// profile lists SCMP_ARCH_X86); see CompileSeccomp for how the profile
// format maps to the filter and DefaultProfileFor for how the default
// profile differs from Docker's.
package security
