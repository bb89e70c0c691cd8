// The idmapped mounts of the C init: the parent cannot hand them over in
// the program, which it compiles before the container's user namespace
// exists, so they follow the program on the control socket, as many
// messages as the descriptors need (libct's sendIDMapped), and are taken
// before anything of the root file system is done.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/mount.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "mountfd.h"

// MAX_FDS_PER_MESSAGE is libct's bound on the descriptors of one message.
#define MAX_FDS_PER_MESSAGE 64

static struct {
	int *fds;
	long n;
} mountfds;

// take_rights stores the descriptors a message carried; it returns how
// many it found.
static long take_rights(struct msghdr *msg, long got, long n)
{
	struct cmsghdr *cmsg;
	long found = 0;

	for (cmsg = CMSG_FIRSTHDR(msg); cmsg != NULL; cmsg = CMSG_NXTHDR(msg, cmsg)) {
		size_t i, count;

		if (cmsg->cmsg_level != SOL_SOCKET || cmsg->cmsg_type != SCM_RIGHTS)
			continue;
		count = (cmsg->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (i = 0; i < count; i++, found++) {
			int fd;

			memcpy(&fd, CMSG_DATA(cmsg) + i * sizeof(int), sizeof(fd));
			if (got + found < n)
				mountfds.fds[got + found] = fd;
			else
				close(fd);
		}
	}
	return found;
}

int libct_recv_mount_fds(int sock, long n)
{
	long got = 0, i;

	mountfds.fds = malloc((size_t)n * sizeof(int));
	if (mountfds.fds == NULL) {
		errno = ENOMEM;
		return -1;
	}
	for (i = 0; i < n; i++)
		mountfds.fds[i] = -1;
	mountfds.n = n;
	while (got < n) {
		union {
			struct cmsghdr align;
			char buf[CMSG_SPACE(sizeof(int) * MAX_FDS_PER_MESSAGE)];
		} control;
		char data[64];
		struct iovec iov = {.iov_base = data, .iov_len = sizeof(data)};
		struct msghdr msg;
		ssize_t r;
		long found;

		memset(&msg, 0, sizeof(msg));
		msg.msg_iov = &iov;
		msg.msg_iovlen = 1;
		msg.msg_control = control.buf;
		msg.msg_controllen = sizeof(control.buf);
		do
			r = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
		while (r < 0 && errno == EINTR);
		if (r < 0)
			return -1;
		if (r == 0) {
			errno = ECONNRESET;
			return -1;
		}
		found = take_rights(&msg, got, n);
		if (found == 0) {
			errno = EBADMSG;
			return -1;
		}
		got += found;
	}
	return 0;
}

int libct_move_mount_fd(long k, int target)
{
	int fd, r, saved;

	if (k < 0 || k >= mountfds.n || mountfds.fds[k] < 0) {
		errno = EBADF;
		return -1;
	}
	fd = mountfds.fds[k];
	mountfds.fds[k] = -1;
	r = (int)syscall(SYS_move_mount, fd, "", target, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH);
	saved = errno;
	close(fd);
	errno = saved;
	return r;
}
