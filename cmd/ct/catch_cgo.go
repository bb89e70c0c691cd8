//go:build cgo

package main

/*
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>

static int caught_signals_fd = -1;

// send_caught_signal runs on whichever thread the kernel picked, on the Go
// runtime's signal stack of that thread (SA_ONSTACK, which Go requires of
// non-Go handlers). send(2) is async-signal-safe; MSG_NOSIGNAL keeps a
// closed reading end from raising SIGPIPE, and a full queue drops the
// signal, as os/signal does.
static void send_caught_signal(int sig)
{
	int saved = errno;
	unsigned char b = (unsigned char)sig;

	(void)send(caught_signals_fd, &b, 1, MSG_DONTWAIT | MSG_NOSIGNAL);
	errno = saved;
}

static int catch_signals(int fd, const int *sigs, int n)
{
	struct sigaction sa;
	int i;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = send_caught_signal;
	sa.sa_flags = SA_ONSTACK | SA_RESTART;
	sigfillset(&sa.sa_mask);
	caught_signals_fd = fd;
	for (i = 0; i < n; i++)
		if (sigaction(sigs[i], &sa, NULL) != 0)
			return errno;
	return 0;
}
*/
import "C"

import (
	"fmt"
	"syscall"
)

// sendCaughtSignals installs a handler for each of sigs that sends the
// signal's number to fd. The Go runtime resets the handlers to the
// default in every process ct forks, before it execs.
func sendCaughtSignals(sigs []syscall.Signal, fd int) error {
	if len(sigs) == 0 {
		return nil
	}
	nums := make([]C.int, len(sigs))
	for i, s := range sigs {
		nums[i] = C.int(s)
	}
	if errno := C.catch_signals(C.int(fd), &nums[0], C.int(len(nums))); errno != 0 {
		return fmt.Errorf("sigaction: %w", syscall.Errno(errno))
	}
	return nil
}
