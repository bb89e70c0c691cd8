//go:build linux && cgo

// Package nsenter links the enter stage: a constructor, written in C, that
// joins a container's namespaces before the Go runtime starts (see
// nsenter.c). Importing the package is all it takes; without cgo the stage
// is missing and Available is false.
package nsenter

// #cgo CFLAGS: -Wall -O2
import "C"

// Available tells whether the enter stage is linked in.
const Available = true
