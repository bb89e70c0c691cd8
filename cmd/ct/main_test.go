package main

import (
	"os"
	"testing"

	"github.com/libct/libct"
)

// runAsCT, set in the environment, makes the test binary behave as the ct
// command: the tests run it to see what ct prints and how it exits.
const runAsCT = "LIBCT_TEST_RUN_AS_CT"

// TestMain starts as ct's main does. libct.Init comes first: the binary is
// also the containers' init stage. Run with runAsCT=1, the binary is ct
// itself, with main's very body; otherwise it runs the tests.
func TestMain(m *testing.M) {
	libct.Init()
	if os.Getenv(runAsCT) == "1" {
		os.Exit(ct(os.Args[1:], os.Stderr))
	}
	os.Exit(m.Run())
}
