package main

// ct lives a few milliseconds per command, most of them in system calls
// (cgroup mkdirs, clone, mounts) that are slow by the measure of the Go
// runtime's sysmon thread: while one lasts, sysmon wakes at its shortest
// period to see whether it should take the processor back, and the
// kernel adds its default timer slack to each sleep. Each wake-up is a
// timer interrupt and two context switches, and a ct run has enough of
// them to show in its CPU time (bench/results.md). Go has no setting for
// sysmon's period.
//
// Timer slack is a per-thread property (prctl(2) PR_SET_TIMERSLACK) that a
// new thread copies from the thread that makes it. The runtime makes
// sysmon first, from the main thread, before any package init runs
// (runtime.main in runtime/proc.go); in a cgo program it does so with
// pthread_create. The linker hands ct's pthread_create calls to the
// wrapper below (--wrap), which gives that first thread the slack of
// SYSMON_TIMER_SLACK_NS. sysmon's wake-ups in a busy process then come
// that far apart; when the process is idle sysmon sleeps longer anyway.
//
// sysmon makes threads too (a processor it takes back from a system call
// may need a new thread to run on): the wrapper makes every thread with
// the main thread's slack, whichever thread asks. So no other thread, and
// no process ct forks (a container's init, a hook), gets sysmon's: sysmon
// runs no Go code of ct's and forks nothing.
//
// The library does not do this: a long-lived program is idle most of its
// life, and its threads are its own business.

/*
#cgo LDFLAGS: -Wl,--wrap=pthread_create
#include <pthread.h>
#include <sys/prctl.h>

#define SYSMON_TIMER_SLACK_NS 1000000

int __real_pthread_create(pthread_t *, const pthread_attr_t *, void *(*)(void *), void *);

static int threads_made;
// own_slack is the main thread's slack, set before the first thread is
// made (and so before any other thread reads it); 0 when unknown.
static int own_slack;

// create_with_slack makes the thread with slack as the caller's for the
// time of the call, then sets the caller's back to restore.
static int create_with_slack(int slack, int restore, pthread_t *thread, const pthread_attr_t *attr,
			     void *(*start)(void *), void *arg)
{
	int err;

	if (prctl(PR_SET_TIMERSLACK, slack, 0, 0, 0) != 0)
		return __real_pthread_create(thread, attr, start, arg);
	err = __real_pthread_create(thread, attr, start, arg);
	prctl(PR_SET_TIMERSLACK, restore, 0, 0, 0);
	return err;
}

int __wrap_pthread_create(pthread_t *thread, const pthread_attr_t *attr,
			  void *(*start)(void *), void *arg)
{
	int caller;

	if (__atomic_fetch_add(&threads_made, 1, __ATOMIC_RELAXED) == 0) {
		caller = prctl(PR_GET_TIMERSLACK, 0, 0, 0, 0);
		if (caller <= 0)
			return __real_pthread_create(thread, attr, start, arg);
		own_slack = caller;
		return create_with_slack(SYSMON_TIMER_SLACK_NS, caller, thread, attr, start, arg);
	}
	caller = prctl(PR_GET_TIMERSLACK, 0, 0, 0, 0);
	if (own_slack <= 0 || caller <= 0 || caller == own_slack)
		return __real_pthread_create(thread, attr, start, arg);
	return create_with_slack(own_slack, caller, thread, attr, start, arg);
}
*/
import "C"

// sysmonTimerSlack is the slack the first runtime thread gets, in ns.
const sysmonTimerSlack = C.SYSMON_TIMER_SLACK_NS
