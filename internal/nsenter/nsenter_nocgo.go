//go:build !linux || !cgo

package nsenter

// Available tells whether the enter stage is linked in: not without cgo,
// so entering a user, mount or time namespace is not possible, and libct
// refuses it with ErrMissing.
const Available = false
