// Command sdnotify sends its arguments, one per line, as one datagram to
// the socket named by NOTIFY_SOCKET, as systemd-notify(1) does. It is
// built static for the tests' busybox roots, which have no sender of
// their own:
//
//	sdnotify READY=1 STATUS=serving
package main

import (
	"fmt"
	"net"
	"os"
	"strings"
)

func main() {
	path := os.Getenv("NOTIFY_SOCKET")
	if path == "" || len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: NOTIFY_SOCKET=PATH sdnotify VAR=VALUE...")
		os.Exit(2)
	}
	conn, err := net.DialUnix("unixgram", nil, &net.UnixAddr{Name: path, Net: "unixgram"})
	if err == nil {
		_, err = conn.Write([]byte(strings.Join(os.Args[1:], "\n")))
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "sdnotify:", err)
		os.Exit(1)
	}
}
