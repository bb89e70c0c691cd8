// Package e2e holds the end-to-end tests of ct as the OCI runtime of real
// container engines: containerd 1.6 (ctr, through the runc v2 shim
// io.containerd.runc.v2, with --runc-binary) and podman 4.3 (--runtime),
// both from Debian 12.
//
//	make build && go test -count=1 -v ./test/...
//
// For each engine the tests run a container and check its output and exit
// status, exec into it with and without a terminal, pause and resume it,
// kill and stop it, apply a memory limit (the cgroup file ct wrote) and
// see the engine report the OOM kill, run it in the host's network and in
// a private one, and finally check that nothing is left behind: no ct
// state directory, no cgroup under the engine's parent (or /libct), no
// process, no mount, no shim socket.
//
// # What they need
//
// Root (internal/testutil.RequireRoot), Debian's busybox-static (the image
// is built locally from it), and the engines: apt-get install containerd
// podman (make deps). A missing engine skips its test with the reason,
// unless CI=true, where it fails.
//
// ct itself is built by the tests from this working tree (with the static
// flags of the Makefile) into a temporary directory; set CT_BINARY to an
// absolute path to test another build, such as the bin/ct of make build.
// Run with CGO_ENABLED=0, the tests build ct without cgo, so without
// libct's enter stage: ct exec into the engines' containers (which have a
// mount namespace) is then refused, and the exec tests skip with that
// refusal's text (libct.ErrNoEnterStage, through
// testutil.RequireEnterStageIn); ct's features tell the tests which
// build they drive. Everything else runs.
//
// # What they leave alone
//
// Nothing is downloaded and no system service is used:
//
//   - containerd runs as the tests' own daemon, with root, state, socket
//     and config.toml in a temporary directory, the CRI and opt plugins
//     disabled, and is stopped by its PID. Its namespace is libct-test, so
//     its containers' cgroups are /libct-test/<id>. ct's state goes under
//     --runc-root in the temporary directory and ctr's fifos under
//     --fifo-dir. The only files outside it are the shims' sockets in
//     /run/containerd/s (containerd 1.6 hard-codes that place); the tests
//     check that those are gone.
//   - podman runs with --root, --runroot, --tmpdir, --volumepath and
//     --network-config-dir in a temporary directory, the vfs storage
//     driver (no mounts of its own), the cgroupfs manager, the file events
//     backend, its own containers.conf (CONTAINERS_CONF) and a cgroup
//     parent /libct-e2e-podman-<pid>. ct keeps its state in its default
//     root, /run/libct: podman does not pass --runtime-flag options to the
//     runtime it calls from the container's exit command, so a root of
//     ct's own would be missed there.
//   - Networks: podman only with --network none or host (its default
//     network would add a bridge and firewall rules to the host), and
//     containers.conf sets netns none as the default; ctr never sets one
//     up (no --cni).
//   - Every process the tests start is ended by its PID.
//
// # Engine quirks worked around
//
//   - The sandbox these tests were written on lacks CAP_SYS_RESOURCE, so
//     podman's default rlimits (RLIMIT_NOFILE 1048576, RLIMIT_NPROC
//     32768) cannot be set by any runtime; containers.conf sets limits no
//     higher than the tests' own.
//   - conmon 2.1.6 writes its "oom" file into its working directory, which
//     is podman's, while podman 4.3 looks for it in the container's static
//     directory: the OOM test creates the container and starts it from
//     that directory, so podman can report OOMKilled.
package e2e
