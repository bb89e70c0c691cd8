package main

// Socket activation (sd_listen_fds(3)) through ct, as runc and crun pass
// it on: a service manager that starts ct with listening sockets hands
// them to the program in the container.

import (
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/libct/libct"
)

// activationFiles are the sockets ct was handed: fds 3 .. 3+LISTEN_FDS-1,
// when LISTEN_PID names ct, as sd_listen_fds(3) checks. They come first
// among the program's descriptors, so they keep their numbers.
func activationFiles() ([]*os.File, error) {
	count := os.Getenv("LISTEN_FDS")
	if count == "" || os.Getenv("LISTEN_PID") != strconv.Itoa(os.Getpid()) {
		return nil, nil
	}
	n, err := strconv.Atoi(count)
	if err != nil || n < 0 {
		return nil, fmt.Errorf("LISTEN_FDS %q: not a count of descriptors", count)
	}
	return inheritedFiles(3, n, "LISTEN_FDS", "listen-fd-")
}

// activationEnv is env with the socket activation variables of n
// sockets: LISTEN_FDS, LISTEN_FDNAMES when ct got names, and LISTEN_PID,
// which must be the program's pid. With a pid namespace of its own the
// program is its pid 1; without one, its pid is not known before the
// init is cloned, and the variable is left out rather than wrong (the
// program then sees no sockets, as sd_listen_fds(3) would tell it).
func activationEnv(env []string, n int, cfg *libct.Config) []string {
	env = slices.DeleteFunc(slices.Clone(env), func(kv string) bool {
		return strings.HasPrefix(kv, "LISTEN_FDS=") || strings.HasPrefix(kv, "LISTEN_PID=") || strings.HasPrefix(kv, "LISTEN_FDNAMES=")
	})
	env = append(env, "LISTEN_FDS="+strconv.Itoa(n))
	if names, ok := os.LookupEnv("LISTEN_FDNAMES"); ok {
		env = append(env, "LISTEN_FDNAMES="+names)
	}
	if cfg.Namespaces.Has(libct.NewPID) {
		env = append(env, "LISTEN_PID=1")
	}
	return env
}
