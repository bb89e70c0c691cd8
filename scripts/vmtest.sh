#!/usr/bin/env bash
# scripts/vmtest.sh BUILD: the cgroup v2 tests in the pure cgroup v2 guest
# of ../shared/vm (this machine is a v1 hybrid, without AppArmor), with
# CI=true there so that nothing is skipped (make vmtest, vmtest-plain):
# the cgroups package's whole suite, the security package's (AppArmor
# enforced there), and the library's cgroup and AppArmor tests (VMTESTS).
#
#   release  the library's test binary with the release flags (static,
#            musl when musl-gcc is there); cgroups and security, which
#            start no container from their own binary, with
#            CGO_ENABLED=0 (also static)
#   plain    all three built by plain `go test -c`: dynamic, linked with
#            glibc. run-in-vm.sh copies a dynamic executable's shared
#            libraries (what ldd lists) into the guest at the same paths,
#            so the plain build runs there as it is; no static test
#            binary is needed. The library's inits re-execute that
#            binary before they change root, where the loader is still
#            the guest's.
#
# Environment: VM (run-in-vm.sh), VMTESTS (the library's -test.run), GO.
set -euo pipefail

cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.."
build=${1:?usage: scripts/vmtest.sh release|plain}
go=${GO:-go}
vm=${VM:-$(dirname "$PWD")/shared/vm/run-in-vm.sh}
vmtests=${VMTESTS:-TestCgroup|TestPauseResume|TestKillable|TestAppArmorInContainer|ForeignFreezer|TestHostPIDNamespaceLeftovers}
[ -x "$vm" ] || { echo "vmtest: $vm is missing (the shared/ folder beside the repository)" >&2; exit 1; }

# shellcheck source=scripts/release-flags.sh
. scripts/release-flags.sh

work=$(mktemp -d /tmp/libct-vm.XXXXXX)
trap 'rm -rf "$work"' EXIT

# testbin PKG OUT: the test binary of PKG, built the way BUILD is.
testbin() {
	local pkg=$1 out=$2
	case $build/$pkg in
	release/.) env ${musl[@]+"${musl[@]}"} "$go" test "${static[@]}" -c -o "$out" "$pkg" ;;
	release/*) CGO_ENABLED=0 "$go" test -c -o "$out" "$pkg" ;;
	plain/*) "$go" test -c -o "$out" "$pkg" ;;
	*)
		echo "usage: scripts/vmtest.sh release|plain" >&2
		exit 2
		;;
	esac
}

# vmrun LABEL PKG ARG...: builds PKG's test binary, runs it in the guest
# with ARGs, prints the test lines of what it wrote, and fails when it did.
vmrun() {
	local label=$1 pkg=$2 start=$SECONDS bin
	shift 2
	bin=$work/$(basename "$(readlink -f "$pkg")").test
	testbin "$pkg" "$bin"
	echo "==> cgroup v2 VM ($build): $label ($(file -b "$bin" | grep -o 'statically linked\|dynamically linked'))"
	set +e
	"$vm" -e CI=true "$bin" -test.v "$@" | grep -E '^(--- |PASS|FAIL|ok|    [^ ]+_test\.go:[0-9]+: )'
	local rc=${PIPESTATUS[0]}
	set -e
	echo "==> cgroup v2 VM ($build): $label: exit $rc in $((SECONDS - start)) s"
	return "$rc"
}

rc=0
vmrun "package cgroups" ./cgroups || rc=1
vmrun "package security (AppArmor enforced there)" ./security || rc=1
vmrun "libct ($vmtests)" . -test.run "$vmtests" || rc=1
exit "$rc"
