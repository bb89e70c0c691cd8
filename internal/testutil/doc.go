// Package testutil holds the helpers shared by the test packages of this
// repository: the root gate, busybox root filesystems and leak counters.
//
// Tests run as root on the real kernel. RequireRoot is the only way a test
// may opt out of that, and in CI (CI=true) it refuses to: a test that cannot
// run there fails instead of being skipped.
//
// A build without cgo (CGO_ENABLED=0) lacks the enter stage, C code that
// joins user, mount and time namespaces; libct refuses what needs it with
// libct.ErrNoEnterStage. RequireEnterStage (RequireEnterStageIn for a
// binary the test built) skips a test of such a feature with that error's
// text: the one other reason a test may skip, and only in such a build.
//
// The package keeps no mutable package-level state; every helper works from
// its arguments and the running system.
package testutil
