// The enter stage: joins a container's namespaces before the Go runtime
// starts threads, because setns(2) into a user or mount namespace (and a
// time namespace) needs a single-threaded process.
//
// It runs as an ELF constructor of every binary that links libct with cgo,
// and does nothing unless the process was started as libct's enter stage:
//
//	argv[0] = "libct-enter"
//	argv[1] = the control socket's fd number
//	argv[2] = "TYPE:FD,TYPE:FD,...", namespace fds in the order to join,
//	          but for the user namespace's, joined after the others
//	          (TYPE is a CLONE_NEW* value in decimal); TYPE 0 is a v1
//	          cgroup's tasks file, which the stage writes "0" to, and so
//	          moves itself, its one thread, into the cgroup (a write of
//	          a pid to cgroup.procs by its parent would wait for an RCU
//	          grace period)
//	argv[3] = "fork" when the process must fork to be in the namespaces
//	          (a pid or time namespace is joined for children only)
//	argv[4] = optional CLONE_NEW* flags, in decimal, of namespaces to
//	          create once the others are joined (a new container that
//	          joins a user namespace makes its other namespaces inside it)
//
// When it forks, the child is created with CLONE_PARENT: it becomes a child
// of the libct caller, which reaps it, and this process reports the child's
// pid on the control socket and exits. Errors are reported there too, in
// the JSON form of spec.Message, and end the process.
//
// Everything else (credentials, security, exec) happens afterwards: in Go,
// or, when argv[0] is "libct-enter-cinit", in the C init
// (internal/cinit), which reads its program from the control socket.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

// libct_cinit_main is internal/cinit's; weak, so that this stage links
// without it and reports its absence. It returns only to let the Go
// runtime run a registered function.
extern void libct_cinit_main(int sock) __attribute__((weak));

// libct_stage_args returns the arguments of a process started as one of
// libct's stages (argv[0] "libct-..."), in *out, and their number; 0 for
// any other process. glibc passes a constructor argc and argv; other C
// libraries (musl) pass it nothing, and there the arguments are read from
// /proc/self/cmdline, once argv[0], which every C library keeps as
// program_invocation_name, has named a stage: the other runs of the
// binary pay one string comparison. The C init's constructor uses it too.
int libct_stage_args(int argc, char **argv, char ***out)
{
#ifdef __GLIBC__
	if (argc < 1 || strncmp(argv[0], "libct-", 6) != 0)
		return 0;
	*out = argv;
	return argc;
#else
	char *buf = NULL, **args;
	size_t len = 0, cap = 0;
	ssize_t n;
	int fd, count = 0, i;

	(void)argc, (void)argv;
	if (program_invocation_name == NULL || strncmp(program_invocation_name, "libct-", 6) != 0)
		return 0;
	fd = open("/proc/self/cmdline", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	do {
		if (len == cap) {
			char *grown = realloc(buf, cap = cap ? 2 * cap : 4096);
			if (grown == NULL) {
				close(fd);
				free(buf);
				return 0;
			}
			buf = grown;
		}
		n = read(fd, buf + len, cap - len);
		if (n > 0)
			len += (size_t)n;
	} while (n > 0 || (n < 0 && errno == EINTR));
	close(fd);
	if (n < 0 || len == 0 || buf[len - 1] != '\0') {
		free(buf);
		return 0;
	}
	for (i = 0; (size_t)i < len; i++)
		count += buf[i] == '\0';
	args = calloc((size_t)count + 1, sizeof(char *));
	if (args == NULL) {
		free(buf);
		return 0;
	}
	for (i = 0, len = 0; i < count; i++) {
		args[i] = buf + len;
		len += strlen(args[i]) + 1;
	}
	*out = args;
	return count;
#endif
}

static void report_step(int sock, const char *kind, const char *step, const char *text, int err, long pid)
{
	char msg[512];
	int n;

	if (pid > 0)
		n = snprintf(msg, sizeof(msg), "{\"kind\":\"%s\",\"index\":%ld}", kind, pid);
	else
		n = snprintf(msg, sizeof(msg),
			     "{\"kind\":\"%s\",\"step\":\"%s\",\"text\":\"%s: %s\",\"errno\":%d}",
			     kind, step, text, strerror(err), err);
	if (n > 0 && write(sock, msg, (size_t)n) < 0)
		_exit(1);
}

static void report(int sock, const char *kind, const char *text, int err, long pid)
{
	report_step(sock, kind, "setns", text, err, pid);
}

static const char *ns_name(long type)
{
	switch (type) {
	case CLONE_NEWUSER: return "setns user";
	case CLONE_NEWNS: return "setns mnt";
	case CLONE_NEWUTS: return "setns uts";
	case CLONE_NEWIPC: return "setns ipc";
	case CLONE_NEWPID: return "setns pid";
	case CLONE_NEWNET: return "setns net";
	case CLONE_NEWCGROUP: return "setns cgroup";
	case 0x80: return "setns time";
	}
	return "setns";
}

// MAX_LATER bounds the namespaces joined after the user namespace: one
// of each other kind.
#define MAX_LATER 8

__attribute__((constructor)) static void libct_nsenter(int argc, char **argv, char **envp)
{
	char *list, *item, *save = NULL;
	int sock, cinit = 0, userfd = -1, nlater = 0, i;
	struct {
		long type;
		int fd;
	} later[MAX_LATER];
	long pid;

	(void)envp;
	argc = libct_stage_args(argc, argv, &argv);
	if (argc < 3)
		return;
	if (strcmp(argv[0], "libct-enter-cinit") == 0)
		cinit = 1;
	else if (strcmp(argv[0], "libct-enter") != 0)
		return;
	sock = atoi(argv[1]);
	list = strdup(argv[2]);
	if (list == NULL) {
		report(sock, "error", "strdup", ENOMEM, 0);
		_exit(1);
	}
	// The user namespace is joined after the others the caller may join
	// as it is: a namespace owned by another user namespace than the one
	// joined (a network namespace of the host's) is out of reach from
	// inside it. The ones refused before are tried again after it, as
	// for a caller that needs the joined namespace's privileges.
	for (item = strtok_r(list, ",", &save); item != NULL; item = strtok_r(NULL, ",", &save)) {
		char *colon = strchr(item, ':');
		long type;
		int fd;

		if (colon == NULL)
			continue;
		*colon = '\0';
		type = strtol(item, NULL, 10);
		fd = atoi(colon + 1);
		if (type == 0) {
			if (write(fd, "0", 1) != 1) {
				report_step(sock, "error", "cgroup", "attach to the cgroup", errno, 0);
				_exit(1);
			}
			close(fd);
			continue;
		}
		if (type == CLONE_NEWUSER) {
			userfd = fd;
			continue;
		}
		if (setns(fd, (int)type) < 0) {
			if (errno != EPERM || nlater == MAX_LATER) {
				report(sock, "error", ns_name(type), errno, 0);
				_exit(1);
			}
			later[nlater].type = type;
			later[nlater++].fd = fd;
			continue;
		}
		close(fd);
	}
	free(list);
	if (userfd >= 0) {
		if (setns(userfd, CLONE_NEWUSER) < 0) {
			report(sock, "error", ns_name(CLONE_NEWUSER), errno, 0);
			_exit(1);
		}
		close(userfd);
		// In a joined user namespace the caller's ids may have no
		// mapping, and files it would make could not be owned: become
		// the namespace's root, which keeps the capabilities setns gave.
		if (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0) {
			report(sock, "error", "become root of the user namespace", errno, 0);
			_exit(1);
		}
	}
	for (i = 0; i < nlater; i++) {
		if (setns(later[i].fd, (int)later[i].type) < 0) {
			report(sock, "error", ns_name(later[i].type), errno, 0);
			_exit(1);
		}
		close(later[i].fd);
	}
	if (argc > 4) {
		long flags = strtol(argv[4], NULL, 10);

		if (flags != 0 && unshare((int)flags) < 0) {
			report(sock, "error", "unshare", errno, 0);
			_exit(1);
		}
	}
	if (argc < 4 || strcmp(argv[3], "fork") != 0)
		goto joined;
	// A raw clone with no new stack behaves as fork(2), with the caller's
	// parent as the child's parent.
	pid = syscall(SYS_clone, CLONE_PARENT | SIGCHLD, 0, NULL, NULL, 0);
	if (pid < 0) {
		report(sock, "error", "clone", errno, 0);
		_exit(1);
	}
	if (pid == 0)
		goto joined;
	report(sock, "pid", NULL, 0, pid);
	_exit(0);
joined:
	if (!cinit)
		return;
	if (libct_cinit_main == NULL) {
		report(sock, "error", "the C init is not linked in", ENOSYS, 0);
		_exit(1);
	}
	libct_cinit_main(sock);
}
