// The C init: runs a container's init program, compiled by the parent
// (compile.go), before the Go runtime of the re-executed binary starts,
// and ends in execve or _exit. A start that needs only what this file
// knows costs one process without a Go runtime: no runtime start, no
// garbage-collected heap, no threads, a few hundred kilobytes resident
// while the container waits for Start.
//
// It runs as an ELF constructor of every binary that links libct with cgo,
// and does nothing unless the process was started as the C init:
//
//	argv[0] = "libct-cinit"
//	argv[1] = the control socket's fd number
//
// The program is the first datagram on the socket: operations, each a
// 32-bit code and argument count followed by the arguments, each a 32-bit
// length, that many bytes and a NUL. Integers are 8-byte little-endian
// arguments. The operations are ops.h's; their order is the parent's.
//
// Messages to the parent are spec.Message documents, as the Go init sends
// them: an error names the step and carries the errno, and ends the
// process. After Start opened the exec fifo they go to the fifo instead,
// where the starter reads them.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/mount.h>
#include <linux/openat2.h>
#include <linux/seccomp.h>
#include <net/if.h>
#include <sched.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/types.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "mountfd.h"
#include "ops.h"

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif
#ifndef MS_NOSYMFOLLOW
#define MS_NOSYMFOLLOW 256
#endif

// ESCAPES is the error of a path that leaves the root: openat2 with
// RESOLVE_BENEATH says EXDEV, os.Root says this, with no errno.
#define ESCAPES 0x10000

struct arg {
	uint32_t len;
	const char *s;
};

struct op {
	uint32_t code;
	uint32_t argc;
	struct arg *args;
};

struct point {
	const char *name;
	long long at;
};

#define MAX_POINTS 32

// MAX_SOURCES is spec.MaxMountSources.
#define MAX_SOURCES 64

// init is the state the operations share: one process, one thread.
static struct {
	int sock;
	// msgfd is where messages go: the socket, or the exec fifo once
	// Start opened it.
	int msgfd;
	int procfd;
	// rootfd is the container's root before the switch; target the mount
	// point of the mount being made, targetdir whether it is a directory.
	int rootfd;
	int target;
	int targetdir;
	// targetmode is the mode of the directory a tmpfs that inherits it is
	// mounted on, or -1 (a new directory, or a mount that does not).
	long targetmode;
	// emptyfd is the empty tmpfs the masked directories share.
	int emptyfd;
	// sources are the descriptors of the mount sources that came with
	// the program (spec.Init.MountSources); sourcefd is the one
	// OP_SOURCE_FD chose for the next mount, or -1.
	int sources[MAX_SOURCES];
	int nsources;
	int sourcefd;
	// targetrel is where the mount point resolved to, for OP_REOPEN_TARGET.
	char targetrel[PATH_MAX];
	const char *step;
	char execpath[4096];
	struct point points[MAX_POINTS];
	int npoints;
	// chdir_later is set when the working directory must be entered
	// again once the credentials changed (chdir_op).
	int chdir_later;
	// func is set by OP_FUNC: the program ends there and the Go runtime
	// starts to run the registered function (libct_cinit_func).
	int func;
	// started is when the constructor began (CLOCK_REALTIME, ns), 0 in
	// the enter stage: the first mark reports it as the end of the
	// process's start, the exec, the dynamic loader's work and the C
	// library's, which a dynamically linked binary pays in full here.
	long long started;
} init = {.sock = -1, .msgfd = -1, .procfd = -1, .rootfd = -1, .target = -1, .targetmode = -1, .emptyfd = -1, .sourcefd = -1};

// jsonstr appends s to buf as the inside of a JSON string.
static size_t jsonstr(char *buf, size_t at, size_t cap, const char *s)
{
	for (; *s != '\0' && at + 7 < cap; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\') {
			buf[at++] = '\\';
			buf[at++] = (char)c;
		} else if (c < 0x20) {
			at += (size_t)snprintf(buf + at, cap - at, "\\u%04x", c);
		} else {
			buf[at++] = (char)c;
		}
	}
	return at;
}

// SHOWN_MAX is how many bytes of a value an error quotes, as in Go's
// internal/quote.
#define SHOWN_MAX 64

// shown is a value as an error quotes it, as internal/quote.Value does
// (without its escapes: the values reaching here have no NUL, and
// jsonstr escapes the rest): whole when short, else its first SHOWN_MAX
// bytes, cut on a character boundary, and its length, so that a message
// about a 4 KiB path stays readable.
struct shown {
	char s[SHOWN_MAX + 40];
};

static const char *shown(struct shown *b, const char *value)
{
	size_t n = strlen(value), cut = SHOWN_MAX;

	if (n <= SHOWN_MAX) {
		snprintf(b->s, sizeof(b->s), "\"%s\"", value);
		return b->s;
	}
	while (cut > 0 && ((unsigned char)value[cut] & 0xC0) == 0x80)
		cut--;
	snprintf(b->s, sizeof(b->s), "\"%.*s\u2026\" (%zu bytes)", (int)cut, value, n);
	return b->s;
}

// shown_path shows the path of a program that execve refused as runc
// does, bare, and as shown does when it would not read as one word. The
// Go init's shownExecPath is the same.
static const char *shown_path(struct shown *b, const char *value)
{
	const unsigned char *c;

	if (value[0] == '\0' || strlen(value) > SHOWN_MAX)
		return shown(b, value);
	for (c = (const unsigned char *)value; *c != '\0'; c++)
		if (*c <= ' ' || *c >= 0x7f || *c == '"' || *c == '\\')
			return shown(b, value);
	snprintf(b->s, sizeof(b->s), "%s", value);
	return b->s;
}

static void send_msg(const char *msg, size_t len)
{
	while (write(init.msgfd, msg, len) < 0 && errno == EINTR)
		;
}

// errtext is strerror in the lower case Go's syscall.Errno uses.
static void errtext(int err, char *buf, size_t cap)
{
	if (err == ESCAPES) {
		snprintf(buf, cap, "path escapes from parent");
		return;
	}
	snprintf(buf, cap, "%s", strerror(err));
	if (buf[0] >= 'A' && buf[0] <= 'Z' && !(buf[1] >= 'A' && buf[1] <= 'Z'))
		buf[0] = (char)(buf[0] - 'A' + 'a');
}

// vfail reports the failure of the current step and ends the process:
// the text is fmt's, followed by ": " and the errno's text when err is
// not 0.
static void __attribute__((noreturn)) vfail(int err, const char *fmt, va_list ap)
{
	char text[2048], etext[256], msg[4608];
	size_t n;

	vsnprintf(text, sizeof(text), fmt, ap);
	if (err != 0) {
		errtext(err, etext, sizeof(etext));
		n = strlen(text);
		snprintf(text + n, sizeof(text) - n, ": %s", etext);
	}
	n = (size_t)snprintf(msg, sizeof(msg), "{\"kind\":\"error\",\"step\":\"%s\",\"errno\":%d,\"text\":\"",
			     init.step, err == ESCAPES ? 0 : err);
	n = jsonstr(msg, n, sizeof(msg) - 3, text);
	msg[n++] = '"';
	msg[n++] = '}';
	send_msg(msg, n);
	_exit(1);
}

static void __attribute__((noreturn, format(printf, 2, 3))) fail(int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfail(err, fmt, ap);
}

// The arguments of an operation; the parent compiled the program, so a
// malformed one is a bug and fails as such.
static const char *str(const struct op *op, uint32_t i)
{
	if (i >= op->argc)
		fail(EINVAL, "init program: operation %u has no argument %u", op->code, i);
	return op->args[i].s;
}

static long long num(const struct op *op, uint32_t i)
{
	long long v;

	if (i >= op->argc || op->args[i].len != sizeof(v))
		fail(EINVAL, "init program: operation %u: argument %u is not a number", op->code, i);
	memcpy(&v, op->args[i].s, sizeof(v));
	return v;
}

static char *fdpath(int fd, char *buf, size_t cap)
{
	snprintf(buf, cap, "/proc/self/fd/%d", fd);
	return buf;
}

// open_beneath opens path under dirfd the way os.Root does: no absolute
// symlink, no ".." or symlink that climbs out of dirfd.
static int open_beneath(int dirfd, const char *path, int flags, mode_t mode)
{
	struct open_how how = {
		.flags = (uint64_t)(flags | O_CLOEXEC),
		.mode = (flags & O_CREAT) ? mode : 0,
		.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS,
	};

	int fd = (int)syscall(SYS_openat2, dirfd, path, &how, sizeof(how));

	if (fd < 0 && errno == EXDEV)
		errno = ESCAPES;
	return fd;
}

// mkdir_all makes rel and its missing parents under dirfd.
static int mkdir_all(int dirfd, char *rel)
{
	char *slash;
	const char *name = rel;
	int fd, parent, r, saved;

	fd = open_beneath(dirfd, rel, O_PATH | O_DIRECTORY, 0);
	if (fd >= 0) {
		close(fd);
		return 0;
	}
	if (errno != ENOENT)
		return -1;
	slash = strrchr(rel, '/');
	if (slash != NULL) {
		*slash = '\0';
		r = mkdir_all(dirfd, rel);
		parent = r < 0 ? -1 : open_beneath(dirfd, rel, O_PATH | O_DIRECTORY, 0);
		*slash = '/';
		if (parent < 0)
			return -1;
		name = slash + 1;
	} else {
		parent = fcntl(dirfd, F_DUPFD_CLOEXEC, 0);
		if (parent < 0)
			return -1;
	}
	r = mkdirat(parent, name, 0755);
	saved = errno;
	close(parent);
	if (r < 0 && saved != EEXIST) {
		errno = saved;
		return -1;
	}
	return 0;
}

// copy_path copies a path into buf, failing rather than truncating it.
static char *copy_path(char *buf, size_t cap, const char *path, const char *field)
{
	if (strlen(path) >= cap)
		fail(ENAMETOOLONG, "%s", field);
	strcpy(buf, path);
	return buf;
}

// mkdir_parent makes the directory that holds rel.
static int mkdir_parent(int dirfd, const char *rel)
{
	char buf[4096];
	char *slash;

	if (strlen(rel) >= sizeof(buf)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	strcpy(buf, rel);
	slash = strrchr(buf, '/');
	if (slash == NULL)
		return 0;
	*slash = '\0';
	return mkdir_all(dirfd, buf);
}

static void set_target(int fd, int dir)
{
	if (init.target >= 0)
		close(init.target);
	init.target = fd;
	init.targetdir = dir;
	init.targetmode = -1;
}

// read_link_in opens rel under dirfd without following its last
// component, as a process chrooted at dirfd would, and reads the symlink
// it is into buf (1), or says it is none (0), or fails (-1).
static int read_link_in(int dirfd, const char *rel, char *buf, size_t cap)
{
	struct open_how how = {
		.flags = O_PATH | O_NOFOLLOW | O_CLOEXEC,
		.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
	};
	struct stat st;
	ssize_t n;
	int fd = (int)syscall(SYS_openat2, dirfd, rel, &how, sizeof(how)), saved;

	if (fd < 0)
		return -1;
	if (fstat(fd, &st) < 0)
		goto fail;
	if (!S_ISLNK(st.st_mode)) {
		close(fd);
		return 0;
	}
	n = readlinkat(fd, "", buf, cap - 1);
	if (n < 0)
		goto fail;
	if ((size_t)n >= cap - 1) {
		errno = ENAMETOOLONG;
		goto fail;
	}
	buf[n] = '\0';
	close(fd);
	return 1;
fail:
	saved = errno;
	close(fd);
	errno = saved;
	return -1;
}

// resolve_in is rootfs's resolveIn: rel resolved inside dirfd as chroot
// would, symlinks followed inside it, the part past the first missing
// component taken as it is. out gets the clean relative result, "." for
// the root; field names the mount in errors.
static void resolve_in(int dirfd, const char *rel, char *out, size_t cap, const char *field)
{
	// todo holds the components still to walk, from todo+at on; a
	// symlink's target is put in front of them.
	char todo[2 * PATH_MAX], target[PATH_MAX];
	size_t at, len, done = 0, n;
	int links = 0, missing = 0, r;

	len = strlen(rel);
	if (len >= sizeof(todo))
		fail(ENAMETOOLONG, "%s", field);
	at = sizeof(todo) - len - 1;
	memcpy(todo + at, rel, len + 1);
	out[0] = '\0';
	while (todo[at] != '\0') {
		char *c = todo + at;
		size_t clen = strcspn(c, "/");

		at += clen;
		if (todo[at] == '/')
			at++;
		if (clen == 0 || (clen == 1 && c[0] == '.'))
			continue;
		if (clen == 2 && c[0] == '.' && c[1] == '.') {
			while (done > 0 && out[done - 1] != '/')
				done--;
			if (done > 0)
				done--;
			out[done] = '\0';
			continue;
		}
		if (done + 1 + clen + 1 > cap)
			fail(ENAMETOOLONG, "%s", field);
		n = done;
		if (done > 0)
			out[n++] = '/';
		memcpy(out + n, c, clen);
		out[n + clen] = '\0';
		if (missing) {
			done = n + clen;
			continue;
		}
		r = read_link_in(dirfd, out, target, sizeof(target));
		if (r < 0 && errno == ENOENT) {
			missing = 1;
		} else if (r < 0) {
			fail(errno, "%s: resolve /%s", field, out);
		} else if (r > 0) {
			if (++links > 40)
				fail(ELOOP, "%s: resolve /%s", field, rel);
			out[done] = '\0';
			if (target[0] == '/') {
				done = 0;
				out[0] = '\0';
			}
			len = strlen(target);
			// The target and a '/' go in front of what is left.
			if (len + 1 > at)
				fail(ENAMETOOLONG, "%s", field);
			at -= len + 1;
			memcpy(todo + at, target, len);
			todo[at + len] = '/';
			continue;
		}
		done = n + clen;
	}
	if (done == 0)
		strcpy(out, ".");
}

// mount_flags are the mount(2) flags of the mount under fd, as statvfs
// reports them.
static int mount_flags(int fd, unsigned long *flags)
{
	struct statvfs st;
	unsigned long ms = 0;

	if (fstatvfs(fd, &st) < 0)
		return -1;
	if (st.f_flag & ST_RDONLY)
		ms |= MS_RDONLY;
	if (st.f_flag & ST_NOSUID)
		ms |= MS_NOSUID;
	if (st.f_flag & ST_NODEV)
		ms |= MS_NODEV;
	if (st.f_flag & ST_NOEXEC)
		ms |= MS_NOEXEC;
	if (st.f_flag & ST_NOATIME)
		ms |= MS_NOATIME;
	if (st.f_flag & ST_NODIRATIME)
		ms |= MS_NODIRATIME;
	if (st.f_flag & ST_RELATIME)
		ms |= MS_RELATIME;
	*flags = ms;
	return 0;
}

// locked_flags are the flags of the mount under fd that a remount of a
// bind mount must repeat: the kernel refuses to clear those locked by a
// less privileged mount namespace.
static int locked_flags(int fd, int strictatime, unsigned long *flags)
{
	unsigned long ms;

	if (mount_flags(fd, &ms) < 0)
		return -1;
	if (strictatime)
		ms &= ~(unsigned long)(MS_NOATIME | MS_NODIRATIME | MS_RELATIME);
	*flags = ms;
	return 0;
}

// inherited_flags is rootfs's inheritedFlags: the lockable flags of the
// mount under fd, and whether cleared leaves them all alone.
static int inherited_flags(int fd, unsigned long cleared, unsigned long *flags, int *ok)
{
	unsigned long ms;

	if (mount_flags(fd, &ms) < 0)
		return -1;
	ms &= MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC;
	*flags = ms;
	*ok = (ms & cleared) == 0;
	return 0;
}

static int setattr_recursive(int fd, uint64_t set, uint64_t clr)
{
	struct mount_attr attr = {.attr_set = set, .attr_clr = clr};

	return (int)syscall(SYS_mount_setattr, fd, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof(attr));
}

static const char *nullable(const char *s)
{
	return *s == '\0' ? NULL : s;
}

// bind_node bind-mounts the host's node source onto a new file name
// under dirfd, unless name exists.
static void bind_node(int dirfd, const char *name, const char *field, const char *shown, const char *source)
{
	char path[64];
	int fd;

	fd = openat(dirfd, name, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0666);
	if (fd < 0 && errno == EEXIST)
		return;
	if (fd < 0)
		fail(errno, "%s: create %s", field, shown);
	if (mount(source, fdpath(fd, path, sizeof(path)), "", MS_BIND, NULL) < 0)
		fail(errno, "%s: bind %s on %s", field, source, shown);
	close(fd);
}

static void mount_subdir(int devfd, const char *name, mode_t mode, const char *fstype, unsigned long flags,
			 const char *data)
{
	char path[64];
	int fd;

	if (mkdirat(devfd, name, mode) < 0 && errno != EEXIST)
		fail(errno, "minimalDev: mkdir /dev/%s", name);
	fd = openat(devfd, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		fail(errno, "minimalDev: open /dev/%s", name);
	if (mount(fstype, fdpath(fd, path, sizeof(path)), fstype, flags, data) < 0)
		fail(errno, "minimalDev: mount %s on /dev/%s", fstype, name);
	close(fd);
}

// bind_console makes the terminal of fd 0 the container's /dev/console.
static void bind_console(int devfd)
{
	char tty[4096];
	struct stat want, got;
	ssize_t n;

	n = readlink("/proc/self/fd/0", tty, sizeof(tty) - 1);
	if (n < 0)
		fail(errno, "minimalDev: readlink /proc/self/fd/0");
	tty[n] = '\0';
	if (fstat(0, &want) < 0)
		fail(errno, "minimalDev: stat /proc/self/fd/0");
	if (stat(tty, &got) < 0)
		fail(errno, "minimalDev: stat console %s", tty);
	if (got.st_rdev != want.st_rdev || !S_ISCHR(got.st_mode))
		fail(ENXIO, "minimalDev: stat console %s", tty);
	bind_node(devfd, "console", "minimalDev", "/dev/console", tty);
}

// minimal_dev fills /dev as rootfs's minimalDev does.
static void minimal_dev(int own_tmpfs, int userns, int pts, int shm)
{
	static const struct {
		const char *name;
		unsigned major, minor;
	} nodes[] = {{"null", 1, 3}, {"zero", 1, 5}, {"full", 1, 7}, {"random", 1, 8}, {"urandom", 1, 9}, {"tty", 5, 0}};
	static const struct {
		const char *name, *target;
	} links[] = {{"ptmx", "pts/ptmx"},
		     {"fd", "/proc/self/fd"},
		     {"stdin", "/proc/self/fd/0"},
		     {"stdout", "/proc/self/fd/1"},
		     {"stderr", "/proc/self/fd/2"}};
	char path[64], shown[64];
	mode_t old;
	size_t i;
	int dev;

	if (own_tmpfs) {
		if (mkdir_all(init.rootfd, (char[]){"dev"}) < 0)
			fail(errno, "minimalDev: mkdir dev");
		dev = open_beneath(init.rootfd, "dev", O_PATH | O_DIRECTORY, 0);
		if (dev < 0)
			fail(errno, "minimalDev: open dev");
		if (mount("tmpfs", fdpath(dev, path, sizeof(path)), "tmpfs", MS_NOSUID | MS_STRICTATIME,
			  "mode=755,size=64k") < 0)
			fail(errno, "minimalDev: mount tmpfs on /dev");
		close(dev);
	}
	dev = open_beneath(init.rootfd, "dev", O_PATH | O_DIRECTORY, 0);
	if (dev < 0)
		fail(errno, "minimalDev: open dev");
	old = umask(0);
	for (i = 0; i < sizeof(nodes) / sizeof(nodes[0]); i++) {
		snprintf(shown, sizeof(shown), "/dev/%s", nodes[i].name);
		if (userns) {
			bind_node(dev, nodes[i].name, "minimalDev", shown, shown);
		} else if (mknodat(dev, nodes[i].name, S_IFCHR | 0666, makedev(nodes[i].major, nodes[i].minor)) < 0 &&
			   errno != EEXIST) {
			fail(errno, "minimalDev: mknod %s", shown);
		}
	}
	if (pts)
		mount_subdir(dev, "pts", 0755, "devpts", MS_NOSUID | MS_NOEXEC,
			     userns ? "newinstance,ptmxmode=0666,mode=0620" : "newinstance,ptmxmode=0666,mode=0620,gid=5");
	if (shm)
		mount_subdir(dev, "shm", 01777, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=1777");
	for (i = 0; i < sizeof(links) / sizeof(links[0]); i++)
		if (symlinkat(links[i].target, dev, links[i].name) < 0 && errno != EEXIST)
			fail(errno, "minimalDev: symlink /dev/%s", links[i].name);
	if (isatty(0))
		bind_console(dev);
	umask(old);
	close(dev);
}

static mode_t device_type(char type)
{
	switch (type) {
	case 'c': return S_IFCHR;
	case 'b': return S_IFBLK;
	case 'p': return S_IFIFO;
	}
	return 0;
}

static int device_matches(const struct stat *st, char type, unsigned major, unsigned minor)
{
	if ((st->st_mode & S_IFMT) != device_type(type))
		return 0;
	return type == 'p' || (major(st->st_rdev) == major && minor(st->st_rdev) == minor);
}

// device makes one node of Spec.Devices, as rootfs's device does.
static void device(const struct op *op)
{
	const char *field = str(op, 0), *pathfield = str(op, 1), *parent = str(op, 2), *base = str(op, 3);
	const char *shown = str(op, 4), *host = str(op, 5);
	char type = str(op, 6)[0];
	unsigned major = (unsigned)num(op, 7), minor = (unsigned)num(op, 8);
	mode_t perm = (mode_t)num(op, 9);
	uid_t uid = (uid_t)num(op, 10);
	gid_t gid = (gid_t)num(op, 11);
	int bind = (int)num(op, 12);
	struct stat st;
	mode_t old;
	int dir;

	if (bind) {
		if (stat(host, &st) < 0)
			fail(errno, "%s: cannot bind the host's node in a user namespace", pathfield);
		if (!device_matches(&st, type, major, minor))
			fail(0, "%s: the host's node is not %c %u:%u", pathfield, type, major, minor);
	}
	if (*parent == '\0') {
		dir = fcntl(init.rootfd, F_DUPFD_CLOEXEC, 0);
	} else {
		char buf[4096];

		if (mkdir_all(init.rootfd, copy_path(buf, sizeof(buf), parent, pathfield)) < 0)
			fail(errno, "%s", pathfield);
		dir = open_beneath(init.rootfd, parent, O_PATH | O_DIRECTORY, 0);
	}
	if (dir < 0)
		fail(errno, "%s", pathfield);
	old = umask(0);
	if (fstatat(dir, base, &st, AT_SYMLINK_NOFOLLOW) == 0) {
		if (S_ISDIR(st.st_mode))
			fail(EISDIR, "%s: mknod %s", field, shown);
		if (device_matches(&st, type, major, minor)) {
			if (!bind) {
				if (fchmodat(dir, base, perm, 0) < 0)
					fail(errno, "%s: chmod %s", field, shown);
				if (fchownat(dir, base, uid, gid, AT_SYMLINK_NOFOLLOW) < 0)
					fail(errno, "%s: chown %s", field, shown);
			}
			goto done;
		}
		if (unlinkat(dir, base, 0) < 0)
			fail(errno, "%s: unlink %s", field, shown);
	} else if (errno != ENOENT) {
		fail(errno, "%s: stat %s", field, shown);
	}
	if (bind) {
		bind_node(dir, base, field, shown, host);
	} else {
		if (mknodat(dir, base, device_type(type) | perm, makedev(major, minor)) < 0)
			fail(errno, "%s: mknod %s", field, shown);
		if (fchownat(dir, base, uid, gid, AT_SYMLINK_NOFOLLOW) < 0)
			fail(errno, "%s: chown %s", field, shown);
	}
done:
	umask(old);
	close(dir);
}

// open_existing opens a masked or read-only path, or returns -1 when it
// is missing, which is no error.
static int open_existing(const char *field, const char *quoted, const char *rel)
{
	int fd = open_beneath(init.rootfd, rel, O_PATH, 0);

	if (fd < 0 && errno != ENOENT)
		fail(errno, "%s %s", field, quoted);
	return fd;
}

static void mask_path(const struct op *op)
{
	const char *field = str(op, 0), *quoted = str(op, 1), *rel = str(op, 2), *shown = str(op, 3);
	char path[64];
	struct stat st;
	int fd, r;

	fd = open_existing(field, quoted, rel);
	if (fd < 0)
		return;
	fdpath(fd, path, sizeof(path));
	if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
		// rootfs's maskPaths: the directories share one empty tmpfs.
		if (init.emptyfd >= 0) {
			char empty[64];

			r = mount(fdpath(init.emptyfd, empty, sizeof(empty)), path, "", MS_BIND, NULL);
		} else {
			r = mount("tmpfs", path, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=0,mode=0555");
			if (r == 0) {
				init.emptyfd = open_beneath(init.rootfd, rel, O_PATH | O_DIRECTORY, 0);
				if (init.emptyfd < 0)
					fail(errno, "%s", field);
			}
		}
	} else {
		r = mount("/dev/null", path, "", MS_BIND, NULL);
	}
	if (r < 0)
		fail(errno, "%s: mask %s", field, shown);
	close(fd);
}

static void readonly_path(const struct op *op)
{
	const char *field = str(op, 0), *quoted = str(op, 1), *rel = str(op, 2), *shown = str(op, 3);
	char path[64];
	struct stat st;
	int fd, dir;

	fd = open_existing(field, quoted, rel);
	if (fd < 0)
		return;
	dir = fstat(fd, &st) == 0 && S_ISDIR(st.st_mode);
	fdpath(fd, path, sizeof(path));
	if (mount(path, path, "", MS_BIND | MS_REC, NULL) < 0)
		fail(errno, "%s: bind %s", field, shown);
	close(fd);
	// The new mount is on top of the path now: open it again.
	fd = open_beneath(init.rootfd, rel, O_PATH | (dir ? O_DIRECTORY : 0), 0);
	if (fd < 0)
		fail(errno, "%s", field);
	if (setattr_recursive(fd, MOUNT_ATTR_RDONLY, 0) < 0)
		fail(errno, "%s: mount_setattr %s", field, shown);
	close(fd);
}

// target makes and opens the mount point of a mount: a directory, a file,
// or (kind 2, a bind mount) whichever the source is.
static void target(const struct op *op)
{
	const char *field = str(op, 0), *fstype = str(op, 5);
	int kind = (int)num(op, 2), inherit = (int)num(op, 6);
	char rel[PATH_MAX];
	struct stat st;
	long mode = -1;
	int fd;

	resolve_in(init.rootfd, str(op, 1), rel, sizeof(rel), field);
	if (strcmp(rel, ".") == 0)
		fail(0, "%s: leads through a symlink to the root itself", field);
	if (*fstype != '\0' && strcmp(rel, str(op, 1)) != 0)
		fail(0, "%s: leads through a symlink to /%s: %s must be mounted on a directory, never through a symlink",
		     field, rel, fstype);
	if (inherit) {
		if (fstatat(init.rootfd, rel, &st, AT_SYMLINK_NOFOLLOW) == 0) {
			if (S_ISDIR(st.st_mode))
				mode = (long)(st.st_mode & 07777);
		} else if (errno != ENOENT) {
			fail(errno, "%s: stat /%s", field, rel);
		}
	}

	if (kind == 2) {
		if ((init.sourcefd >= 0 ? fstat(init.sourcefd, &st) : stat(str(op, 3), &st)) < 0)
			fail(errno, "%s", str(op, 4));
		kind = S_ISDIR(st.st_mode) ? 0 : 1;
	}
	if (kind == 0) {
		char buf[4096];

		if (mkdir_all(init.rootfd, copy_path(buf, sizeof(buf), rel, field)) < 0)
			fail(errno, "%s", field);
		fd = open_beneath(init.rootfd, rel, O_PATH | O_DIRECTORY, 0);
	} else {
		if (mkdir_parent(init.rootfd, rel) < 0)
			fail(errno, "%s", field);
		// O_EXCL: never open (and so never block on) a fifo or a
		// device the root already has there.
		fd = open_beneath(init.rootfd, rel, O_CREAT | O_EXCL | O_WRONLY, 0644);
		if (fd >= 0)
			close(fd);
		else if (errno != EEXIST)
			fail(errno, "%s", field);
		fd = open_beneath(init.rootfd, rel, O_PATH, 0);
	}
	if (fd < 0)
		fail(errno, "%s", field);
	set_target(fd, kind == 0);
	init.targetmode = mode;
	strcpy(init.targetrel, rel);
}

static void pivot(const char *root)
{
	int old = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	struct shown b;

	if (old < 0)
		fail(errno, "root: open /");
	if (chdir(root) < 0)
		fail(errno, "root: chdir %s", shown(&b, root));
	if (syscall(SYS_pivot_root, ".", ".") < 0)
		fail(errno, "root: pivot_root %s", shown(&b, root));
	if (fchdir(old) < 0)
		fail(errno, "root: chdir old root");
	if (mount("", ".", "", MS_SLAVE | MS_REC, NULL) < 0)
		fail(errno, "root: make-rslave old root");
	if (umount2(".", MNT_DETACH) < 0)
		fail(errno, "root: umount old root");
	if (chdir("/") < 0)
		fail(errno, "root: chdir /");
	close(old);
}

static void remount_ro_root(void)
{
	unsigned long keep;
	int fd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		fail(errno, "readOnly: open /");
	if (locked_flags(fd, 0, &keep) < 0)
		fail(errno, "readOnly: statfs /");
	if (mount("", "/", "", MS_REMOUNT | MS_BIND | MS_RDONLY | keep, NULL) < 0)
		fail(errno, "readOnly: remount read-only /");
	close(fd);
}

#ifndef SYS_faccessat2
#define SYS_faccessat2 439
#endif

// exec_user is who the program's exec is checked for (initstage's
// execUser): the init is still root when it looks the program up.
struct exec_user {
	int set; // 0 for root, whose exec the mode bits alone decide here
	uid_t uid;
	gid_t gid;
	int dac_override;
	int has_groups;
	size_t ngroups;
	gid_t *groups;
};

// access_as checks that u may execute path, with this thread's
// filesystem ids and groups made u's for the one call (the effective
// capabilities that override file permissions go with the filesystem
// uid, and come back with it). A user whose CAP_DAC_OVERRIDE stays may
// execute a file with any exec bit. Where the check cannot be made, the
// exec decides.
static int access_as(const char *path, const struct exec_user *u)
{
	gid_t *saved = NULL;
	long nsaved = 0, fsuid, fsgid;
	int err = 0;

	if (!u->set)
		return 0;
	if (u->has_groups) {
		nsaved = syscall(SYS_getgroups, 0, NULL);
		if (nsaved < 0)
			return 0;
		saved = calloc((size_t)nsaved + 1, sizeof(gid_t));
		if (saved == NULL)
			return 0;
		nsaved = syscall(SYS_getgroups, nsaved, saved);
		if (nsaved < 0 || syscall(SYS_setgroups, u->ngroups, u->groups) < 0) {
			free(saved);
			return 0;
		}
	}
	// Each returns the id it replaces.
	fsgid = syscall(SYS_setfsgid, u->gid);
	fsuid = syscall(SYS_setfsuid, u->uid);
	if (syscall(SYS_faccessat2, AT_FDCWD, path, X_OK, AT_EACCESS) < 0)
		err = errno;
	syscall(SYS_setfsuid, fsuid);
	syscall(SYS_setfsgid, fsgid);
	if (u->has_groups) {
		syscall(SYS_setgroups, nsaved, saved);
		free(saved);
	}
	if ((err == EACCES && u->dac_override) || err == ENOSYS)
		return 0;
	return err;
}

static int executable(const char *path, const struct exec_user *u)
{
	struct stat st;

	if (stat(path, &st) < 0)
		return errno;
	if (S_ISDIR(st.st_mode))
		return EISDIR;
	if ((st.st_mode & 0111) == 0)
		return EACCES;
	return access_as(path, u);
}

// exec_user_of reads the user of OP_LOOKPATH's arguments from the third
// on: set, uid, gid, CAP_DAC_OVERRIDE kept, groups given, the groups.
static void exec_user_of(const struct op *op, struct exec_user *u)
{
	uint32_t i;

	u->set = (int)num(op, 2);
	u->uid = (uid_t)num(op, 3);
	u->gid = (gid_t)num(op, 4);
	u->dac_override = (int)num(op, 5);
	u->has_groups = (int)num(op, 6);
	u->ngroups = op->argc - 7;
	u->groups = calloc(u->ngroups + 1, sizeof(gid_t));
	if (u->groups == NULL)
		fail(ENOMEM, "exec");
	for (i = 7; i < op->argc; i++)
		u->groups[i - 7] = (gid_t)num(op, i);
}

// lookpath finds file as execvp would as the program's user, in the PATH
// of the program's environment (path), and checks that it can be
// executed.
static void lookpath(const char *file, const char *path, const struct exec_user *u)
{
	const char *dir, *end;
	struct shown b;
	int err;

	if (strchr(file, '/') != NULL) {
		err = executable(file, u);
		if (err != 0)
			fail(err, "exec %s", shown(&b, file));
		copy_path(init.execpath, sizeof(init.execpath), file, "exec");
		return;
	}
	for (dir = path;; dir = end + 1) {
		int n;

		end = strchr(dir, ':');
		if (end == NULL)
			end = dir + strlen(dir);
		if (end == dir)
			n = snprintf(init.execpath, sizeof(init.execpath), "./%s", file);
		else
			n = snprintf(init.execpath, sizeof(init.execpath), "%.*s/%s", (int)(end - dir), dir, file);
		// A candidate too long for the buffer is one execve would refuse.
		if (n >= 0 && (size_t)n < sizeof(init.execpath) && executable(init.execpath, u) == 0)
			return;
		if (*end == '\0')
			break;
	}
	fail(0, "exec %s: executable file not found in $PATH", shown(&b, file));
}

static void loopback_up(void)
{
	struct ifreq ifr;
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		fail(errno, "loopback: socket");
	memset(&ifr, 0, sizeof(ifr));
	strcpy(ifr.ifr_name, "lo");
	if (ioctl(fd, SIOCGIFFLAGS, &ifr) < 0)
		fail(errno, "loopback: get flags");
	ifr.ifr_flags |= IFF_UP;
	if (ioctl(fd, SIOCSIFFLAGS, &ifr) < 0)
		fail(errno, "loopback: set up");
	close(fd);
}

static void write_file(const char *path, const char *data, const char *field)
{
	size_t len = strlen(data);
	int fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);

	if (fd < 0 || write(fd, data, len) != (ssize_t)len)
		fail(errno, "%s", field);
	close(fd);
}

// join_cgroup moves the init, whose one thread this is, into each v1
// cgroup directory of its arguments: "0" written to a tasks file moves
// the writing thread, under none of the locks that make a write of a pid
// to cgroup.procs wait for an RCU grace period.
//
// Its one argument holds the directories, separated by NULs.
static void join_cgroup(const struct op *op)
{
	const char *dir = str(op, 0), *end = dir + op->args[0].len;
	char path[PATH_MAX];
	int fd;

	for (; dir < end; dir += strlen(dir) + 1) {
		if (snprintf(path, sizeof(path), "%s/tasks", dir) >= (int)sizeof(path))
			fail(ENAMETOOLONG, "attach to %s", dir);
		fd = open(path, O_WRONLY | O_CLOEXEC);
		if (fd < 0 || write(fd, "0", 1) != 1)
			fail(errno, "attach to %s", dir);
		close(fd);
	}
}

static void mark(const char *name)
{
	struct timespec ts;

	if (init.npoints == 0 && init.started != 0) {
		init.points[0].name = "loader and C library";
		init.points[0].at = init.started;
		init.npoints++;
	}
	if (init.npoints == MAX_POINTS)
		return;
	clock_gettime(CLOCK_REALTIME, &ts);
	init.points[init.npoints].name = name;
	init.points[init.npoints].at = (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
	init.npoints++;
}

static void send_trace(void)
{
	char msg[4096];
	size_t n;
	int i;

	if (init.npoints == 0 || init.msgfd != init.sock)
		return;
	n = (size_t)snprintf(msg, sizeof(msg), "{\"kind\":\"trace\",\"points\":[");
	for (i = 0; i < init.npoints && n + 128 < sizeof(msg); i++) {
		n += (size_t)snprintf(msg + n, sizeof(msg) - n, "%s{\"name\":\"", i > 0 ? "," : "");
		n = jsonstr(msg, n, sizeof(msg) - 64, init.points[i].name);
		n += (size_t)snprintf(msg + n, sizeof(msg) - n, "\",\"at\":%lld}", init.points[i].at);
	}
	n += (size_t)snprintf(msg + n, sizeof(msg) - n, "]}");
	send_msg(msg, n);
	init.npoints = 0;
}

// ready tells the parent the container is created, then blocks in the
// open of the exec fifo until Start opens its other end.
static void ready(int fifo)
{
	static const char msg[] = "{\"kind\":\"ready\"}";
	char name[32];
	int fd;

	// The parent stops listening once the container is created: the
	// phases so far go now (the rest belong to whoever starts it).
	send_trace();
	send_msg(msg, sizeof(msg) - 1);
	snprintf(name, sizeof(name), "self/fd/%d", fifo);
	fd = openat(init.procfd, name, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		fail(errno, "open exec fifo");
	if (write(fd, "", 1) < 0)
		fail(errno, "write exec fifo");
	// The fifo stays open until the exec closes it: the starter waits
	// for that, and reads any failure of the steps left from it.
	init.msgfd = fd;
	close(fifo);
	close(init.procfd);
	init.procfd = -1;
}

// own_terminal gives the terminal on fd 0 to the program's user, who
// could not use it otherwise; its group stays the one devpts gave it
// (gid=5, tty, in the usual mount options). A terminal that cannot be
// given away (an owner or id this user namespace does not map, a
// read-only /dev) is left as it is.
static void own_terminal(uid_t uid)
{
	struct stat st;

	if (fstat(0, &st) < 0)
		fail(errno, "fstat the terminal");
	if (st.st_uid == uid)
		return;
	if (fchown(0, uid, (gid_t)-1) < 0 && errno != EINVAL && errno != EPERM && errno != EROFS)
		fail(errno, "chown the terminal to uid %u", uid);
}

// chdir_op enters the working directory: first as root, before the
// credentials change (early), so that a directory only root may enter
// serves, then, when root was refused (a directory of a user's that root
// cannot search, on NFS say), as the program's user.
static void chdir_op(const char *dir, const char *field, int early)
{
	if (early) {
		init.chdir_later = 0;
		if (chdir(dir) == 0)
			return;
		if (errno != EACCES && errno != EPERM)
			fail(errno, "%s", field);
		init.chdir_later = 1;
		return;
	}
	if (init.chdir_later && chdir(dir) < 0)
		fail(errno, "%s", field);
}

static void caps_prepare(uint64_t bounding, int last)
{
	int nr;

	for (nr = 0; nr <= last; nr++) {
		if (nr < 64 && (bounding & (1ULL << nr)))
			continue;
		if (prctl(PR_CAPBSET_DROP, nr, 0, 0, 0) < 0)
			fail(errno, "capabilities.bounding: drop capability %d", nr);
	}
	if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
		fail(errno, "capabilities: prctl PR_SET_KEEPCAPS");
}

static void caps_apply(uint64_t effective, uint64_t permitted, uint64_t inheritable, uint64_t ambient, int last)
{
	struct __user_cap_header_struct hdr = {.version = _LINUX_CAPABILITY_VERSION_3};
	struct __user_cap_data_struct data[2];
	uint64_t known = last >= 63 ? ~0ULL : (1ULL << (last + 1)) - 1;
	int i, nr;

	if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0)
		fail(errno, "capabilities: prctl PR_SET_KEEPCAPS");
	for (i = 0; i < 2; i++) {
		data[i].effective = (uint32_t)((effective & known) >> (32 * i));
		data[i].permitted = (uint32_t)((permitted & known) >> (32 * i));
		data[i].inheritable = (uint32_t)((inheritable & known) >> (32 * i));
	}
	if (syscall(SYS_capset, &hdr, data) < 0)
		fail(errno, "capabilities: capset");
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0)
		fail(errno, "capabilities.ambient: clear");
	for (nr = 0; nr <= last && nr < 64; nr++) {
		if (!(ambient & (1ULL << nr)))
			continue;
		if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, nr, 0, 0) < 0)
			fail(errno, "capabilities.ambient: raise capability %d", nr);
	}
}

static void install_seccomp(const struct op *op)
{
	const struct arg *prog = &op->args[0];
	unsigned flags = (unsigned)num(op, 1);
	struct sock_fprog fprog;
	struct sock_filter *insns;
	long r;

	if (prog->len == 0 || prog->len % sizeof(struct sock_filter) != 0)
		fail(EINVAL, "seccomp: empty filter");
	// The program sits unaligned in the message: copy it.
	insns = malloc(prog->len);
	if (insns == NULL)
		fail(ENOMEM, "seccomp");
	memcpy(insns, prog->s, prog->len);
	fprog.len = (unsigned short)(prog->len / sizeof(struct sock_filter));
	fprog.filter = insns;
	r = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, &fprog);
	if (r < 0 && errno == EACCES)
		fail(errno, "seccomp: install filter (flags %#x) (needs no_new_privs or CAP_SYS_ADMIN)", flags);
	if (r < 0)
		fail(errno, "seccomp: install filter (flags %#x)", flags);
	free(insns);
}

static void setgroups_op(const struct op *op)
{
	gid_t *groups = calloc(op->argc + 1, sizeof(gid_t));
	char list[2048];
	size_t n = 0;
	uint32_t i;

	if (groups == NULL)
		fail(ENOMEM, "setgroups");
	list[0] = '\0';
	for (i = 0; i < op->argc; i++) {
		groups[i] = (gid_t)num(op, i);
		n += (size_t)snprintf(list + n, sizeof(list) - n, "%s%u", i > 0 ? " " : "", groups[i]);
		if (n >= sizeof(list))
			n = sizeof(list) - 1;
	}
	if (syscall(SYS_setgroups, op->argc, groups) < 0)
		fail(errno, "setgroups [%s]", list);
	free(groups);
}

static void do_exec(const struct op *op)
{
	struct shown b;
	uint32_t argc = (uint32_t)num(op, 0), envc, i;
	char **argv, **envp;

	if (argc + 1 > op->argc)
		fail(EINVAL, "init program: exec has %u arguments, not %u", op->argc - 1, argc);
	envc = op->argc - 1 - argc;
	argv = calloc(argc + 1, sizeof(char *));
	envp = calloc(envc + 1, sizeof(char *));
	if (argv == NULL || envp == NULL)
		fail(ENOMEM, "exec");
	for (i = 0; i < argc; i++)
		argv[i] = (char *)op->args[1 + i].s;
	for (i = 0; i < envc; i++)
		envp[i] = (char *)op->args[1 + argc + i].s;
	execve(init.execpath, argv, envp);
	fail(errno, "exec %s", shown_path(&b, init.execpath));
}

// The registered function that OP_FUNC leaves to the Go runtime, read by
// cinit.go through libct_cinit_func.
static struct {
	const char *name;
	const char *arg;
	size_t arglen;
	char **env;
	int envc;
} pending_func;

// run_func ends the program of a registered function: the container is
// set up, this thread (the only one) holds the process's final
// credentials, capabilities and filter, and every thread the Go runtime
// starts from here inherits them. The descriptors past the process's own
// are closed rather than left close-on-exec, since no exec follows; the
// control socket and the exec fifo are among them, and their close tells
// the parent the start succeeded, as an exec would.
static void run_func(const struct op *op)
{
	int i;

	if (op->argc < 3)
		fail(EINVAL, "init program: func has %u arguments", op->argc);
	pending_func.name = str(op, 1);
	pending_func.arg = op->args[2].s;
	pending_func.arglen = op->args[2].len;
	pending_func.envc = (int)op->argc - 3;
	pending_func.env = calloc((size_t)pending_func.envc + 1, sizeof(char *));
	if (pending_func.env == NULL)
		fail(ENOMEM, "func");
	for (i = 0; i < pending_func.envc; i++)
		pending_func.env[i] = (char *)op->args[3 + i].s;
	if (syscall(SYS_close_range, (unsigned)num(op, 0), ~0U, 0) < 0)
		fail(errno, "close_range");
	init.func = 1;
}

// libct_cinit_func reports the function OP_FUNC left to run: its name,
// argument and environment; 0 when there is none.
int libct_cinit_func(const char **name, const char **arg, size_t *arglen, char ***env, int *envc)
{
	if (pending_func.name == NULL)
		return 0;
	*name = pending_func.name;
	*arg = pending_func.arg;
	*arglen = pending_func.arglen;
	*env = pending_func.env;
	*envc = pending_func.envc;
	return 1;
}

// step names the phase an operation belongs to, for errors.
static const char *step_of(uint32_t code)
{
	switch (code) {
	case OP_UNSHARE:
	case OP_JOIN_CGROUP: return "cgroup";
	case OP_LOOPBACK: return "network";
	case OP_SETHOSTNAME:
	case OP_SETDOMAINNAME: return "uts";
	case OP_OPEN_PROCFD:
	case OP_READY: return "start";
	case OP_CHECK_CWD:
	case OP_CHDIR: return "cwd";
	case OP_LOOKPATH:
	case OP_CLOSE_RANGE:
	case OP_EXEC: return "exec";
	case OP_FUNC: return "func";
	case OP_ANNOUNCE_EXEC: return "exec";
	case OP_RLIMIT: return "rlimits";
	case OP_TERMINAL: return "terminal";
	case OP_OOM_SCORE_ADJ:
	case OP_CAPS_PREPARE:
	case OP_CAPS_APPLY:
	case OP_NO_NEW_PRIVS: return "security";
	case OP_SECCOMP: return "seccomp";
	case OP_SETGROUPS:
	case OP_SETRESGID:
	case OP_SETRESUID: return "user";
	case OP_PDEATHSIG: return "pdeathsig";
	}
	return "rootfs";
}

static void run(const struct op *op)
{
	char path[64];
	int fd;

	init.step = step_of(op->code);
	switch (op->code) {
	case OP_MARK:
		mark(str(op, 0));
		break;
	case OP_SEND_TRACE:
		send_trace();
		break;
	case OP_UNSHARE:
		if (unshare((int)num(op, 0)) < 0)
			fail(errno, "%s", str(op, 1));
		break;
	case OP_LOOPBACK:
		loopback_up();
		break;
	case OP_WRITE_FILE:
		init.step = str(op, 0);
		write_file(str(op, 1), str(op, 2), str(op, 3));
		break;
	case OP_SETHOSTNAME:
		if (sethostname(str(op, 0), op->args[0].len) < 0)
			fail(errno, "%s", str(op, 1));
		break;
	case OP_SETDOMAINNAME:
		if (setdomainname(str(op, 0), op->args[0].len) < 0)
			fail(errno, "%s", str(op, 1));
		break;
	case OP_OPEN_PROCFD:
		// The root of /proc, not /proc/self/fd: once the root is
		// switched, a descriptor of the root of a mount the container
		// cannot reach names no path of the host.
		init.procfd = open("/proc", O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (init.procfd < 0)
			fail(errno, "open /proc");
		break;
	case OP_MOUNT:
		if (mount(str(op, 1), str(op, 2), nullable(str(op, 3)), (unsigned long)num(op, 4),
			  nullable(str(op, 5))) < 0)
			fail(errno, "%s", str(op, 0));
		break;
	case OP_OPEN_ROOT:
		init.rootfd = open(str(op, 0), O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (init.rootfd < 0)
			fail(errno, "root: open %s", str(op, 0));
		break;
	case OP_TARGET:
		target(op);
		break;
	case OP_MOUNT_TARGET: {
		const char *data = str(op, 4), *source = str(op, 1);
		char withmode[4096], sourcepath[64];

		if (init.targetmode >= 0) {
			snprintf(withmode, sizeof(withmode), "%s%smode=%lo", data, *data ? "," : "", init.targetmode);
			data = withmode;
		}
		if (init.sourcefd >= 0) {
			source = fdpath(init.sourcefd, sourcepath, sizeof(sourcepath));
			init.sourcefd = -1;
		}
		if (mount(source, fdpath(init.target, path, sizeof(path)), nullable(str(op, 2)),
			  (unsigned long)num(op, 3), nullable(data)) < 0)
			fail(errno, "%s", str(op, 0));
		break;
	}
	case OP_SOURCE_FD:
		if (num(op, 0) >= init.nsources)
			fail(EINVAL, "init program: mount source %lld of %d", num(op, 0), init.nsources);
		init.sourcefd = init.sources[num(op, 0)];
		break;
	case OP_REOPEN_TARGET:
		fd = open_beneath(init.rootfd, init.targetrel, O_PATH | (init.targetdir ? O_DIRECTORY : 0), 0);
		if (fd < 0)
			fail(errno, "%s", str(op, 0));
		set_target(fd, init.targetdir);
		break;
	case OP_REMOUNT_BIND: {
		unsigned long flags = MS_REMOUNT | MS_BIND | (unsigned long)num(op, 2), keep;
		int ok;

		fdpath(init.target, path, sizeof(path));
		if (mount("", path, "", flags, NULL) == 0)
			break;
		if (errno != EPERM)
			fail(errno, "%s: remount %s", str(op, 0), str(op, 1));
		// rootfs's setBindFlags: keep the locked flags, unless the
		// config asks for one of them to be off.
		if (inherited_flags(init.target, (unsigned long)num(op, 3), &keep, &ok) < 0)
			fail(errno, "%s: statfs %s", str(op, 0), str(op, 1));
		if (!ok || keep == 0)
			fail(EPERM, "%s: remount %s", str(op, 0), str(op, 1));
		if (mount("", path, "", flags | keep, NULL) < 0)
			fail(errno, "%s: remount %s", str(op, 0), str(op, 1));
		break;
	}
	case OP_SETATTR:
		if (setattr_recursive(init.target, (uint64_t)num(op, 2), (uint64_t)num(op, 3)) < 0)
			fail(errno, "%s: mount_setattr %s", str(op, 0), str(op, 1));
		break;
	case OP_PROPAGATE_TARGET:
		if (mount("", fdpath(init.target, path, sizeof(path)), "", (unsigned long)num(op, 3), NULL) < 0)
			fail(errno, "%s: %s %s", str(op, 0), str(op, 1), str(op, 2));
		break;
	case OP_MINIMAL_DEV:
		minimal_dev((int)num(op, 0), (int)num(op, 1), (int)num(op, 2), (int)num(op, 3));
		break;
	case OP_DEVICE:
		device(op);
		break;
	case OP_READONLY_PATH:
		readonly_path(op);
		break;
	case OP_MASK_PATH:
		mask_path(op);
		break;
	case OP_CLOSE_ROOT:
		set_target(-1, 0);
		if (init.emptyfd >= 0)
			close(init.emptyfd);
		init.emptyfd = -1;
		close(init.rootfd);
		init.rootfd = -1;
		break;
	case OP_PIVOT:
		pivot(str(op, 0));
		break;
	case OP_REMOUNT_RO:
		remount_ro_root();
		break;
	case OP_CHECK_CWD: {
		struct stat st;

		if (stat(str(op, 0), &st) < 0)
			fail(errno, "%s", str(op, 1));
		if (!S_ISDIR(st.st_mode))
			fail(ENOTDIR, "%s", str(op, 1));
		break;
	}
	case OP_LOOKPATH: {
		struct exec_user u;

		exec_user_of(op, &u);
		lookpath(str(op, 0), str(op, 1), &u);
		free(u.groups);
		break;
	}
	case OP_READY:
		ready((int)num(op, 0));
		break;
	case OP_RLIMIT: {
		struct rlimit rl = {.rlim_cur = (rlim_t)num(op, 1), .rlim_max = (rlim_t)num(op, 2)};

		if (setrlimit((int)num(op, 0), &rl) < 0)
			fail(errno, "setrlimit %lld", num(op, 0));
		break;
	}
	case OP_UMASK:
		umask((mode_t)num(op, 0));
		break;
	case OP_TERMINAL:
		if (setsid() < 0 && errno != EPERM)
			fail(errno, "setsid");
		if (ioctl(0, TIOCSCTTY, 0) < 0)
			fail(errno, "TIOCSCTTY");
		own_terminal((uid_t)num(op, 0));
		break;
	case OP_OOM_SCORE_ADJ:
		write_file("/proc/self/oom_score_adj", str(op, 0), str(op, 1));
		break;
	case OP_CAPS_PREPARE:
		caps_prepare((uint64_t)num(op, 0), (int)num(op, 1));
		break;
	case OP_CLOSE_RANGE:
		if (syscall(SYS_close_range, (unsigned)num(op, 0), ~0U, CLOSE_RANGE_CLOEXEC) < 0)
			fail(errno, "close_range");
		break;
	case OP_SECCOMP:
		install_seccomp(op);
		break;
	case OP_SETGROUPS:
		setgroups_op(op);
		break;
	case OP_SETRESGID: {
		gid_t gid = (gid_t)num(op, 0);

		if (syscall(SYS_setresgid, gid, gid, gid) < 0)
			fail(errno, "setgid %u", gid);
		break;
	}
	case OP_SETRESUID: {
		uid_t uid = (uid_t)num(op, 0);

		if (syscall(SYS_setresuid, uid, uid, uid) < 0)
			fail(errno, "setuid %u", uid);
		break;
	}
	case OP_CHDIR:
		chdir_op(str(op, 0), str(op, 1), (int)num(op, 2));
		break;
	case OP_CAPS_APPLY:
		caps_apply((uint64_t)num(op, 0), (uint64_t)num(op, 1), (uint64_t)num(op, 2), (uint64_t)num(op, 3),
			   (int)num(op, 4));
		break;
	case OP_PDEATHSIG:
		if (prctl(PR_SET_PDEATHSIG, (unsigned long)num(op, 0), 0, 0, 0) < 0)
			fail(errno, "prctl PR_SET_PDEATHSIG");
		break;
	case OP_NO_NEW_PRIVS:
		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
			fail(errno, "noNewPrivileges: prctl PR_SET_NO_NEW_PRIVS");
		break;
	case OP_EXEC:
		do_exec(op);
		break;
	case OP_FUNC:
		run_func(op);
		break;
	case OP_ANNOUNCE_EXEC: {
		// What is left are bare system calls that report their own
		// failures: a close of the socket or fifo without this message
		// is the init's death (see initdeath.go).
		static const char msg[] = "{\"kind\":\"exec\"}";

		send_msg(msg, sizeof(msg) - 1);
		break;
	}
	case OP_JOIN_CGROUP:
		join_cgroup(op);
		break;
	case OP_RECV_MOUNT_FDS:
		if (libct_recv_mount_fds(init.sock, (long)num(op, 0)) < 0)
			fail(errno, "receive idmapped mounts");
		break;
	case OP_MOVE_MOUNT_FD:
		// A source descriptor (OP_SOURCE_FD) served OP_TARGET's look at
		// the source's kind; the mount itself comes from the parent.
		init.sourcefd = -1;
		if (libct_move_mount_fd((long)num(op, 1), init.target) < 0)
			fail(errno, "%s", str(op, 0));
		break;
	default:
		fail(EINVAL, "init program: unknown operation %u", op->code);
	}
}

static uint32_t u32(const char *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

// next decodes the operation at *at and moves *at past it.
static int next(const char *buf, size_t len, size_t *at, struct op *op)
{
	uint32_t i;

	if (*at + 8 > len)
		return 0;
	op->code = u32(buf + *at);
	op->argc = u32(buf + *at + 4);
	*at += 8;
	if (op->argc > len / 5)
		fail(EINVAL, "init program: operation %u has %u arguments", op->code, op->argc);
	op->args = calloc(op->argc + 1, sizeof(struct arg));
	if (op->args == NULL)
		fail(ENOMEM, "init program");
	for (i = 0; i < op->argc; i++) {
		uint32_t n;

		if (*at + 4 > len)
			fail(EINVAL, "init program: truncated");
		n = u32(buf + *at);
		*at += 4;
		if (n > len - *at || n + 1 > len - *at || buf[*at + n] != '\0')
			fail(EINVAL, "init program: truncated");
		op->args[i].len = n;
		op->args[i].s = buf + *at;
		*at += (size_t)n + 1;
	}
	return 1;
}

// read_spec_fd reads the whole program from the sealed memfd the parent
// sent it in, and closes it.
static char *read_spec_fd(int fd, size_t *len)
{
	struct stat st;
	size_t at = 0;
	ssize_t n;
	char *buf;

	if (fstat(fd, &st) < 0)
		fail(errno, "read init program: fstat memfd");
	buf = malloc(st.st_size > 0 ? (size_t)st.st_size : 1);
	if (buf == NULL)
		fail(ENOMEM, "read init program");
	while (at < (size_t)st.st_size) {
		n = pread(fd, buf + at, (size_t)st.st_size - at, (off_t)at);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			fail(errno, "read init program: memfd");
		if (n == 0)
			fail(EINVAL, "read init program: memfd shorter than its size");
		at += (size_t)n;
	}
	close(fd);
	*len = at;
	return buf;
}

// receive reads the program: one datagram of any length, or, when the
// program did not fit the socket's send buffer, a datagram carrying the
// descriptor of a sealed memfd that holds it (libct's sendSpec).
static char *receive(size_t *len)
{
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(int) * (1 + MAX_SOURCES))];
	} control;
	struct iovec iov;
	struct msghdr msg;
	struct cmsghdr *cmsg;
	char probe;
	ssize_t n;
	char *buf;
	int fd;

	// A peek installs no descriptor: without a control buffer the kernel
	// drops its copy of them.
	do
		n = recv(init.sock, &probe, 1, MSG_PEEK | MSG_TRUNC);
	while (n < 0 && errno == EINTR);
	if (n <= 0)
		_exit(1);
	buf = malloc((size_t)n);
	if (buf == NULL)
		fail(ENOMEM, "read init program");
	iov.iov_base = buf;
	iov.iov_len = (size_t)n;
	memset(&msg, 0, sizeof(msg));
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = control.buf;
	msg.msg_controllen = sizeof(control.buf);
	do
		n = recvmsg(init.sock, &msg, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n <= 0)
		_exit(1);
	for (cmsg = CMSG_FIRSTHDR(&msg); cmsg != NULL; cmsg = CMSG_NXTHDR(&msg, cmsg)) {
		size_t nfds;

		if (cmsg->cmsg_level != SOL_SOCKET || cmsg->cmsg_type != SCM_RIGHTS ||
		    cmsg->cmsg_len < CMSG_LEN(sizeof(int)))
			continue;
		// The spec's memfd, then the mount sources.
		nfds = (cmsg->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		memcpy(&fd, CMSG_DATA(cmsg), sizeof(fd));
		if (nfds - 1 > MAX_SOURCES)
			fail(EINVAL, "init program: %zu mount sources", nfds - 1);
		memcpy(init.sources, CMSG_DATA(cmsg) + sizeof(int), (nfds - 1) * sizeof(int));
		init.nsources = (int)(nfds - 1);
		free(buf);
		return read_spec_fd(fd, len);
	}
	*len = (size_t)n;
	return buf;
}

// libct_cinit_main runs the program read from sock. The enter stage
// (internal/nsenter) calls it once it joined a container's namespaces. It
// returns only when the program ends in a registered function, which the
// Go runtime then runs (libct_cinit_func); every other program ends in
// execve or _exit.
void libct_cinit_main(int sock)
{
	struct op op;
	size_t len, at = 0;
	char *buf;

	init.sock = sock;
	init.msgfd = sock;
	init.step = "init";
	// The socket reached us through dup2, which clears close-on-exec; set
	// it again so that a successful exec closes it and tells the parent.
	fcntl(sock, F_SETFD, FD_CLOEXEC);
	// What lies past the socket was not handed to the container: the
	// binary's descriptor, which ran this image already, and whatever
	// the caller left open across its exec. The container must not hold
	// them, not even while it waits for Start.
	syscall(SYS_close_range, (unsigned)sock + 1, ~0U, 0);
	buf = receive(&len);
	while (next(buf, len, &at, &op)) {
		run(&op);
		if (init.func)
			return; // buf and op.args stay: pending_func points into them
		free(op.args);
	}
	init.step = "exec";
	fail(0, "init program ended without exec");
}

// libct_stage_args is internal/nsenter's (see there), which every binary
// with libct links; weak, so that this package links alone. Alone, it
// has glibc's constructor arguments, and nothing with another C library
// (a test binary of this package, which runs no stage).
extern int libct_stage_args(int argc, char **argv, char ***out) __attribute__((weak));

__attribute__((constructor)) static void libct_cinit(int argc, char **argv, char **envp)
{
	(void)envp;
	if (libct_stage_args != NULL)
		argc = libct_stage_args(argc, argv, &argv);
#ifndef __GLIBC__
	else
		return;
#endif
	if (argc < 2 || strcmp(argv[0], "libct-cinit") != 0)
		return;
	{
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		init.started = (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
	}
	libct_cinit_main(atoi(argv[1]));
}
