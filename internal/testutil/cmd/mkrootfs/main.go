// Command mkrootfs builds the busybox root filesystem used by the tests and
// the demo:
//
//	go run ./internal/testutil/cmd/mkrootfs DIR
//
// DIR must be empty or not exist. It needs Debian's busybox-static.
package main

import (
	"fmt"
	"os"

	"github.com/libct/libct/internal/testutil"
)

func main() {
	if len(os.Args) != 2 || os.Args[1] == "" || os.Args[1][0] == '-' {
		fmt.Fprintln(os.Stderr, "usage: mkrootfs DIR")
		os.Exit(2)
	}
	if err := testutil.BuildBusyboxRootfs(os.Args[1]); err != nil {
		fmt.Fprintln(os.Stderr, "mkrootfs:", err)
		os.Exit(1)
	}
}
