//go:build !cgo

package cinit

// Available tells whether the C init is linked in.
const Available = false
