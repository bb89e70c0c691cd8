//go:build !libct_faultinject

package faultpoint

// Enabled tells whether this build has the fault points.
const Enabled = false

// Hit does nothing: this build has no fault points.
func Hit(string) {}
