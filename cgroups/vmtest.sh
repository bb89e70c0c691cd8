#!/usr/bin/env bash
# vmtest.sh - run the cgroups test suite on a pure cgroup v2 host: builds a
# static test binary and runs it in the qemu guest of ../../shared/vm (see
# its README). Extra arguments go to the test binary (default: -test.v).
# Exits with the test binary's status.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(dirname "$here")
vm=${CT_VM_DIR:-$(dirname "$repo")/shared/vm}
export PATH="/usr/local/go/bin:$PATH"
export HOME="${HOME:-/root}"

bin=$(mktemp /tmp/cgroups.test.XXXXXX)
trap 'rm -f "$bin"' EXIT
(cd "$repo" && CGO_ENABLED=0 go test -c -o "$bin" ./cgroups)
[ $# -gt 0 ] || set -- -test.v
# CI=true inside too: a test that cannot run there fails.
"$vm/run-in-vm.sh" -e CI="${CI:-true}" "$bin" "$@"
