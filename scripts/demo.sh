#!/usr/bin/env bash
# Demo: run a busybox shell in a container with its own mount, pid, uts, ipc
# and network namespaces, and show what it sees. Run as root from anywhere:
#   make demo      (installs deps and builds bin/ct and bin/mkrootfs first)
#   scripts/demo.sh
# Exits with the container's exit status.
set -euo pipefail

cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.."
export PATH="/usr/local/go/bin:$PATH"

CT=${CT:-bin/ct}
if [[ ! -x $CT ]]; then
	echo "demo: $CT is missing; run 'make build' (or 'make demo')" >&2
	exit 1
fi
if [[ $(id -u) -ne 0 ]]; then
	echo "demo: run as root: namespaces and mounts need it" >&2
	exit 1
fi

dir=$(mktemp -d "${TMPDIR:-/tmp}/libct-demo.XXXXXX")
# --one-file-system: never descend into a mount a failed run left behind.
trap 'rm -rf --one-file-system -- "$dir"' EXIT

echo "==> building a busybox root filesystem in $dir"
if [[ -x bin/mkrootfs ]]; then
	bin/mkrootfs "$dir"
else
	go run ./internal/testutil/cmd/mkrootfs "$dir"
fi

echo "==> starting /bin/sh in a container: new mount, pid, uts, ipc and net namespaces"
echo "    it should see: hostname libct-demo, itself as pid 1 with only its own"
echo "    processes, only the container's mounts, and only a loopback device"
echo

script='echo "hostname: $(hostname)"; echo "--- processes"; ps; echo "--- mounts"; cat /proc/self/mounts; echo "--- network devices"; ip -o link | cut -d" " -f2,3'
status=0
"$CT" spawn --rootfs "$dir" --hostname libct-demo --ns mnt,pid,uts,ipc,net -- \
	/bin/sh -c "$script" || status=$?

echo
echo "==> container exited with status $status"
exit "$status"
