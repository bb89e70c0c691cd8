// Package faultpoint marks the points of libct's operations where a test
// kills the process driving them, to show that whatever phase a creator
// dies in, a later delete removes everything it made.
//
// Only test builds have the points: built with the tag libct_faultinject,
// Hit kills the calling process with SIGKILL when the environment variable
// LIBCT_TEST_KILL_AT names the point. Without the tag Hit is empty and
// the compiler drops its calls, so a release binary pays nothing.
package faultpoint

// EnvVar names the point at which a test build kills itself.
const EnvVar = "LIBCT_TEST_KILL_AT"
