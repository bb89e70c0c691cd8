// Package e2e holds the end-to-end tests of ct as the OCI runtime of real
// container engines: containerd 1.6 (ctr, through the runc v2 shim
// io.containerd.runc.v2, with --runc-binary), podman 4.3 (--runtime) and
// Docker Engine 20.10 (dockerd --add-runtime ct=<ct> --default-runtime
// ct, through containerd and the same shim), all from Debian 12.
//
//	make build && go test -count=1 -v ./test/...
//
// For each engine the tests run a container and check its output and exit
// status, exec into it with and without a terminal, pause and resume it,
// kill and stop it, apply a memory limit (the cgroup file ct wrote) and
// see the engine report the OOM kill, run it in the host's network and in
// a private one, and finally check that nothing is left behind: no ct
// state directory, no cgroup under the engine's parent (or /libct), no
// process, no mount, no shim socket. Docker's test also checks what its
// command line offers on top: --user, --read-only, --cap-drop and
// --cap-add, --privileged (also for exec), no-new-privileges, seccomp,
// --init, --shm-size, --sysctl, --tmpfs, --device, --ulimit, masked paths,
// bind and named volumes, stdin, host namespaces and those of another
// container, a private cgroup namespace, top, stats, cpu and memory
// limits and their update, stop signals, docker restart and --restart
// on-failure, health checks, removing a paused container, and
// --pids-limit.
//
// # What they need
//
// Root (internal/testutil.RequireRoot), Debian's busybox-static (the image
// is built locally from it), and the engines: apt-get install containerd
// podman docker.io (make deps). A missing engine skips its test with the reason,
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
//   - dockerd runs with --data-root, --exec-root (where it starts a
//     containerd of its own, namespace moby), --pidfile, its socket and an
//     empty --config-file in a temporary directory; the clients are
//     Debian's /usr/bin/docker (another client may come first in PATH)
//     with DOCKER_HOST and DOCKER_CONFIG there. It adds no firewall rule,
//     leaves the host's forwarding alone and makes no bridge
//     (--iptables=false --ip6tables=false --ip-forward=false
//     --ip-masq=false --bridge=none), so containers get --network none or
//     host; its cgroup parent is /libct-docker-e2e-<pid>. The image is
//     loaded from a docker-save archive the tests write. Outside the
//     directory, dockerd 20.10 makes /etc/docker/key.json and
//     /run/docker/plugins whatever its options, and its containerd's
//     shims use /run/containerd/s: the tests remove those they made. ct's
//     state is under <exec-root>/runtime-runc/moby, the root dockerd 20.10
//     gives every runtime.
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
//   - dockerd 20.10 keeps its bind mount of the host's network namespace,
//     <exec-root>/netns/default, after it stops: the tests unmount it
//     (dockerd's own, not a container's).
//   - Its log shows "failed to remove runc container ... exit status 255"
//     now and then, from the shim's clean-up after it exits: the shim
//     loses the exit status of the runtime it ran (ct exited 0; runc
//     1.1.5 in ct's place gets the same warnings). The tests ignore it.
package e2e
