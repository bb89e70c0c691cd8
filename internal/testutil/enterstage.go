package testutil

import (
	"testing"

	"github.com/libct/libct/internal/nsenter"
)

// RequireEnterStage skips t when the binary under test was built without
// the enter stage (CGO_ENABLED=0), which everything that joins a user,
// mount or time namespace needs: Enter into most containers, a start
// that joins such a namespace by path, ct exec. The reason given is the
// text of the error libct refuses those operations with
// (nsenter.ErrMissing, exported as libct.ErrNoEnterStage), so that the
// skip and the refusal read the same.
//
// It is the only reason a test may give for skipping in a build without
// cgo; a test does not test Available itself.
func RequireEnterStage(t testing.TB) {
	t.Helper()
	requireEnterStage(t, nsenter.Available)
}

// RequireEnterStageIn is RequireEnterStage for a test of another binary,
// such as the ct the engine tests build, that says itself whether it has
// the stage (ct features, see package oci).
func RequireEnterStageIn(t testing.TB, binaryHasStage bool) {
	t.Helper()
	requireEnterStage(t, binaryHasStage)
}

func requireEnterStage(t testing.TB, available bool) {
	t.Helper()
	if available {
		return
	}
	t.Skip(nsenter.ErrMissing.Error())
}
