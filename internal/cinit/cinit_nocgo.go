//go:build !cgo

package cinit

// Available tells whether the C init is linked in.
const Available = false

// PendingFunc reports the registered function left to run by the C init,
// which is not linked in: never any.
func PendingFunc() (name string, arg []byte, env []string, ok bool) { return "", nil, nil, false }
