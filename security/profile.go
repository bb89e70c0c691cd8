package security

import (
	"fmt"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/libct/libct/internal/quote"
)

// Profile names ProfileByName knows.
const (
	ProfileDefault    = "default"
	ProfileUnconfined = "unconfined"
)

// ProfileByName returns a built-in profile: "default" (DefaultProfile) or
// "unconfined" (nil: no filter).
func ProfileByName(name string) (*specs.LinuxSeccomp, error) {
	switch name {
	case ProfileDefault:
		return DefaultProfile(), nil
	case ProfileUnconfined:
		return nil, nil
	}
	return nil, fmt.Errorf("seccomp profile %s: unknown profile (known: %q, %q)", quote.Value(name), ProfileDefault, ProfileUnconfined)
}

// allowed are the syscalls the default profile lets every container make,
// by topic. Names of other architectures' ABIs are left out; names of the
// i386 ABI are in, for SCMP_ARCH_X86.
var allowed = [][]string{
	// processes, threads, sessions
	{
		"exit", "exit_group", "fork", "vfork", "execve", "execveat", "wait4", "waitid", "waitpid",
		"getpid", "getppid", "gettid", "getpgid", "setpgid", "getpgrp", "getsid", "setsid",
		"set_tid_address", "set_robust_list", "get_robust_list", "rseq", "restart_syscall",
		"arch_prctl", "modify_ldt", "set_thread_area", "get_thread_area", "prctl",
		"pidfd_open", "pidfd_send_signal", "process_mrelease",
		"ptrace", "process_vm_readv", "process_vm_writev",
		"capget", "capset", "seccomp",
		"landlock_create_ruleset", "landlock_add_rule", "landlock_restrict_self",
	},
	// credentials
	{
		"getuid", "getuid32", "geteuid", "geteuid32", "getgid", "getgid32", "getegid", "getegid32",
		"getresuid", "getresuid32", "getresgid", "getresgid32", "getgroups", "getgroups32",
		"setuid", "setuid32", "setgid", "setgid32", "setreuid", "setreuid32", "setregid", "setregid32",
		"setresuid", "setresuid32", "setresgid", "setresgid32", "setgroups", "setgroups32",
		"setfsuid", "setfsuid32", "setfsgid", "setfsgid32",
	},
	// scheduling, limits, accounting
	{
		"sched_yield", "sched_getaffinity", "sched_setaffinity", "sched_getattr", "sched_setattr",
		"sched_getparam", "sched_setparam", "sched_getscheduler", "sched_setscheduler",
		"sched_get_priority_max", "sched_get_priority_min", "sched_rr_get_interval",
		"sched_rr_get_interval_time64", "getpriority", "setpriority", "ioprio_get", "ioprio_set",
		"getrlimit", "ugetrlimit", "setrlimit", "prlimit64", "getrusage", "times", "sysinfo", "uname",
		"getcpu", "getrandom", "umask",
	},
	// signals
	{
		"kill", "tkill", "tgkill", "rt_sigaction", "rt_sigprocmask", "rt_sigreturn", "rt_sigpending",
		"rt_sigsuspend", "rt_sigtimedwait", "rt_sigtimedwait_time64", "rt_sigqueueinfo",
		"rt_tgsigqueueinfo", "sigaltstack", "sigprocmask", "sigreturn", "signalfd", "signalfd4",
		"pause", "alarm",
	},
	// time and timers
	{
		"time", "gettimeofday", "clock_gettime", "clock_gettime64", "clock_getres", "clock_getres_time64",
		"clock_nanosleep", "clock_nanosleep_time64", "nanosleep", "adjtimex", "clock_adjtime",
		"clock_adjtime64", "getitimer", "setitimer", "timer_create", "timer_delete", "timer_getoverrun",
		"timer_gettime", "timer_gettime64", "timer_settime", "timer_settime64", "timerfd_create",
		"timerfd_gettime", "timerfd_gettime64", "timerfd_settime", "timerfd_settime64",
	},
	// memory
	{
		"brk", "mmap", "mmap2", "munmap", "mremap", "mprotect", "madvise", "mincore", "msync",
		"mlock", "mlock2", "mlockall", "munlock", "munlockall", "membarrier", "memfd_create",
		"memfd_secret", "remap_file_pages", "pkey_alloc", "pkey_free", "pkey_mprotect",
		"map_shadow_stack", "mseal",
	},
	// synchronisation and events
	{
		"futex", "futex_time64", "futex_waitv", "futex_wait", "futex_wake", "futex_requeue",
		"epoll_create", "epoll_create1", "epoll_ctl", "epoll_ctl_old", "epoll_wait", "epoll_wait_old",
		"epoll_pwait", "epoll_pwait2", "eventfd", "eventfd2", "poll", "ppoll", "ppoll_time64",
		"select", "_newselect", "pselect6", "pselect6_time64", "inotify_init", "inotify_init1",
		"inotify_add_watch", "inotify_rm_watch", "fanotify_mark",
	},
	// descriptors and I/O
	{
		"read", "write", "readv", "writev", "pread64", "pwrite64", "preadv", "pwritev", "preadv2",
		"pwritev2", "lseek", "_llseek", "close", "close_range", "dup", "dup2", "dup3", "fcntl", "fcntl64",
		"ioctl", "flock", "fsync", "fdatasync", "sync", "syncfs", "sync_file_range", "fadvise64",
		"fadvise64_64", "readahead", "sendfile", "sendfile64", "splice", "tee", "vmsplice",
		"copy_file_range", "cachestat", "pipe", "pipe2",
		"io_setup", "io_destroy", "io_submit", "io_cancel", "io_getevents", "io_pgetevents",
		"io_pgetevents_time64",
	},
	// files and directories
	{
		"open", "openat", "openat2", "creat", "name_to_handle_at", "access", "faccessat", "faccessat2",
		"stat", "stat64", "lstat", "lstat64", "fstat", "fstat64", "newfstatat", "fstatat64", "statx",
		"statfs", "statfs64", "fstatfs", "fstatfs64", "getcwd", "chdir", "fchdir",
		"getdents", "getdents64", "mkdir", "mkdirat", "rmdir", "mknod", "mknodat",
		"link", "linkat", "symlink", "symlinkat", "unlink", "unlinkat", "rename", "renameat", "renameat2",
		"readlink", "readlinkat", "truncate", "truncate64", "ftruncate", "ftruncate64", "fallocate",
		"chmod", "fchmod", "fchmodat", "fchmodat2", "chown", "chown32", "fchown", "fchown32",
		"fchownat", "lchown", "lchown32", "utime", "utimes", "utimensat", "utimensat_time64", "futimesat",
		"getxattr", "lgetxattr", "fgetxattr", "setxattr", "lsetxattr", "fsetxattr",
		"listxattr", "llistxattr", "flistxattr", "removexattr", "lremovexattr", "fremovexattr",
	},
	// sockets (socket itself has its own rule)
	{
		"socketpair", "bind", "connect", "listen", "accept", "accept4", "getsockname", "getpeername",
		"getsockopt", "setsockopt", "shutdown", "sendto", "sendmsg", "sendmmsg", "recvfrom",
		"recvmsg", "recvmmsg", "recvmmsg_time64", "socketcall",
	},
	// System V and POSIX IPC
	{
		"ipc", "msgget", "msgsnd", "msgrcv", "msgctl", "semget", "semop", "semtimedop",
		"semtimedop_time64", "semctl", "shmget", "shmat", "shmdt", "shmctl",
		"mq_open", "mq_unlink", "mq_timedsend", "mq_timedsend_time64", "mq_timedreceive",
		"mq_timedreceive_time64", "mq_notify", "mq_getsetattr",
	},
}

// capAllowed are the syscalls the default profile allows only to a
// container that has the capability.
var capAllowed = []struct {
	cap   string
	names []string
}{
	{"CAP_SYS_ADMIN", []string{
		"bpf", "clone", "clone3", "fanotify_init", "fsconfig", "fsmount", "fsopen", "fspick",
		"lookup_dcookie", "mount", "mount_setattr", "move_mount", "open_tree", "perf_event_open",
		"quotactl", "quotactl_fd", "setdomainname", "sethostname", "setns", "syslog", "umount",
		"umount2", "unshare",
	}},
	{"CAP_SYS_BOOT", []string{"reboot"}},
	{"CAP_SYS_CHROOT", []string{"chroot"}},
	{"CAP_SYS_MODULE", []string{"init_module", "finit_module", "delete_module"}},
	{"CAP_SYS_PACCT", []string{"acct"}},
	{"CAP_SYS_PTRACE", []string{"kcmp", "pidfd_getfd", "process_madvise"}},
	{"CAP_SYS_RAWIO", []string{"iopl", "ioperm"}},
	{"CAP_SYS_TIME", []string{"settimeofday", "stime", "clock_settime", "clock_settime64"}},
	{"CAP_SYS_TTY_CONFIG", []string{"vhangup"}},
	{"CAP_SYS_NICE", []string{"get_mempolicy", "mbind", "set_mempolicy", "set_mempolicy_home_node"}},
	{"CAP_SYSLOG", []string{"syslog"}},
	{"CAP_BPF", []string{"bpf"}},
	{"CAP_PERFMON", []string{"perf_event_open"}},
	{"CAP_DAC_READ_SEARCH", []string{"open_by_handle_at"}},
}

// personalities are the personality(2) arguments the default profile
// allows: Linux, PER_LINUX32, UNAME26, both, and the query 0xffffffff.
var personalities = []uint64{0, perLinux32, uname26, perLinux32 | uname26, 0xffffffff}

// Personality values (linux/personality.h).
const (
	perLinux32 = 0x0008
	uname26    = 0x0020000
)

// namespaceFlags are the clone flags that create namespaces (all but
// CLONE_NEWTIME, which clone(2) cannot take): a container without
// CAP_SYS_ADMIN may clone only without them.
const namespaceFlags = unix.CLONE_NEWNS | unix.CLONE_NEWUTS | unix.CLONE_NEWIPC | unix.CLONE_NEWUSER |
	unix.CLONE_NEWPID | unix.CLONE_NEWNET | unix.CLONE_NEWCGROUP

// afVsock is AF_VSOCK: sockets to the hypervisor or host, outside the
// container's network namespace.
const afVsock = 40

// DefaultProfile returns the default profile for a container with the
// default capabilities (DefaultCapabilities). It is DefaultProfileFor
// those capabilities.
func DefaultProfile() *specs.LinuxSeccomp {
	return DefaultProfileFor(DefaultCapabilities().Bounding)
}

// DefaultProfileFor returns a profile equivalent in effect to the default
// profile of Docker and podman on x86_64, for a container whose capability
// set is caps (the names as Capabilities takes them; runtimes pass the
// bounding set):
//
//   - default action SCMP_ACT_ERRNO with EPERM; architectures x86_64,
//     x86 and x32;
//   - about 340 syscalls allowed to everyone; personality only with
//     0, PER_LINUX32, UNAME26, PER_LINUX32|UNAME26 and 0xffffffff; socket
//     for every family but AF_VSOCK;
//   - without CAP_SYS_ADMIN: clone only without namespace flags, clone3
//     fails with ENOSYS (so that libc falls back to clone, whose flags
//     the filter can see), mount, umount2, unshare, setns, sethostname,
//     bpf, perf_event_open and the new mount API fail with EPERM;
//   - other privileged syscalls allowed only with their capability:
//     chroot (CAP_SYS_CHROOT), reboot, init_module/finit_module/
//     delete_module, acct, kcmp/pidfd_getfd/process_madvise, iopl/ioperm,
//     settimeofday/clock_settime, vhangup, the NUMA memory policy calls,
//     syslog, bpf (CAP_BPF), perf_event_open (CAP_PERFMON),
//     open_by_handle_at (CAP_DAC_READ_SEARCH);
//   - everything else, keyctl, add_key, request_key, io_uring_*, userfaultfd,
//     kexec_*, swapon/swapoff, pivot_root, ... fails with EPERM.
//
// Differences from Docker's profile: io_uring_setup/enter/register are
// denied (as in Docker 25 and later, not in some older releases); a few
// syscalls newer than Docker's list that need no privilege are allowed
// (cachestat, fchmodat2, futex_wait/wake/requeue, map_shadow_stack,
// mseal); the x32 ABI is denied as a whole (EPERM) rather than filtered
// by name; capability-conditional rules test the given set, which the
// caller must pass consistently with the capabilities it applies.
// Podman's profile (containers/common) differs from Docker's mostly in
// returning ENOSYS rather than EPERM by default; this one follows Docker.
func DefaultProfileFor(caps []string) *specs.LinuxSeccomp {
	has := map[string]bool{}
	for _, c := range caps {
		if nr, ok := CapabilityNumber(c); ok {
			has[CapabilityName(nr)] = true
		}
	}
	var names []string
	for _, group := range allowed {
		names = append(names, group...)
	}
	p := &specs.LinuxSeccomp{
		DefaultAction: specs.ActErrno,
		DefaultErrnoRet: func() *uint {
			e := uint(unix.EPERM)
			return &e
		}(),
		Architectures: []specs.Arch{specs.ArchX86_64, specs.ArchX86, specs.ArchX32},
		Syscalls:      []specs.LinuxSyscall{{Names: names, Action: specs.ActAllow}},
	}
	for _, v := range personalities {
		p.Syscalls = append(p.Syscalls, specs.LinuxSyscall{
			Names: []string{"personality"}, Action: specs.ActAllow,
			Args: []specs.LinuxSeccompArg{{Index: 0, Value: v, Op: specs.OpEqualTo}},
		})
	}
	p.Syscalls = append(p.Syscalls, specs.LinuxSyscall{
		Names: []string{"socket"}, Action: specs.ActAllow,
		Args: []specs.LinuxSeccompArg{{Index: 0, Value: afVsock, Op: specs.OpNotEqual}},
	})
	for _, c := range capAllowed {
		if has[c.cap] {
			p.Syscalls = append(p.Syscalls, specs.LinuxSyscall{Names: c.names, Action: specs.ActAllow})
		}
	}
	if !has["CAP_SYS_ADMIN"] {
		enosys := uint(unix.ENOSYS)
		p.Syscalls = append(p.Syscalls,
			specs.LinuxSyscall{
				Names: []string{"clone"}, Action: specs.ActAllow,
				Args: []specs.LinuxSeccompArg{{Index: 0, Value: namespaceFlags, ValueTwo: 0, Op: specs.OpMaskedEqual}},
			},
			specs.LinuxSyscall{Names: []string{"clone3"}, Action: specs.ActErrno, ErrnoRet: &enosys},
		)
	}
	return p
}
