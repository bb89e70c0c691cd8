// The idmapped mounts the parent makes on the host and hands to the C init
// (mountfd.c), which moves them into the container's root.
#ifndef LIBCT_CINIT_MOUNTFD_H
#define LIBCT_CINIT_MOUNTFD_H

// libct_recv_mount_fds takes the n detached mounts the parent sent on
// sock right after the program. It returns 0, or -1 with errno set.
int libct_recv_mount_fds(int sock, long n);

// libct_move_mount_fd moves the k-th of them onto the mount point target
// (a descriptor) and closes it. It returns 0, or -1 with errno set.
int libct_move_mount_fd(long k, int target);

#endif
