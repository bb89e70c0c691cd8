// Package testutil holds the helpers shared by the test packages of this
// repository: the root gate, busybox root filesystems and leak counters.
//
// Tests run as root on the real kernel. RequireRoot is the only way a test
// may opt out of that, and in CI (CI=true) it refuses to: a test that cannot
// run there fails instead of being skipped.
//
// The package keeps no mutable package-level state; every helper works from
// its arguments and the running system.
package testutil
