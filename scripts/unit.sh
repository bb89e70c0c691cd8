#!/usr/bin/env bash
# scripts/unit.sh BUILD: the Go test suite of PKGS (./...) built the way
# BUILD is (make unit, unit-plain, unit-nocgo):
#
#   release  the release flags: static (-tags netgo,osusergo, external
#            link, -extldflags=-static), musl when musl-gcc is there; then
#            the packages that start containers (GOINIT_PKGS) again with
#            LIBCT_INIT=go and glibc, so that the Go init is tested as
#            fully as the C init
#   plain    `go test` as a user runs it: cgo on, dynamic glibc, no flags
#   nocgo    `CGO_ENABLED=0 go test`: no C stages
#
# The engine tests in test/ drive a ct binary given by CT_BINARY: make
# passes bin/ct, bin/ct-plain and bin/ct-nocgo, built once for all the
# suites of their build. cmd/ct's tests need none: they run their own test
# binary as ct, built the way the suite is.
#
# Environment: PKGS, TESTFLAGS (split at spaces), GOINIT_PKGS, CT_BINARY,
# GO. Tests run one package at a time (-p 1): they are root on one kernel.
set -euo pipefail

cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.."
build=${1:?usage: scripts/unit.sh release|plain|nocgo}
go=${GO:-go}
read -ra pkgs <<<"${PKGS:-./...}"
read -ra testflags <<<"${TESTFLAGS:-}"
read -ra goinit_pkgs <<<"${GOINIT_PKGS:-. ./cmd/ct}"
common=(-count=1 -p 1 -timeout 30m)

if [ -n "${CT_BINARY:-}" ]; then
	case $CT_BINARY in /*) ;; *) CT_BINARY=$PWD/$CT_BINARY ;; esac
	[ -x "$CT_BINARY" ] || { echo "unit: CT_BINARY $CT_BINARY is missing (make build first)" >&2; exit 1; }
	export CT_BINARY
fi

# run LABEL COMMAND...: prints the command, its result and its time. A
# failure is remembered, and the next pass runs all the same.
failed=0
run() {
	local label=$1 start=$SECONDS rc=0
	shift
	echo "==> $label: $(printf '%q ' "$@") (euid $(id -u), CI=${CI:-}, CT_BINARY=${CT_BINARY:-})"
	"$@" || rc=$?
	if [ "$rc" = 0 ]; then
		echo "==> $label: ok in $((SECONDS - start)) s"
	else
		echo "==> $label: FAILED (exit $rc) in $((SECONDS - start)) s"
		failed=1
	fi
}

# The fault-injection tests (TestKilledAt*) run once more per build, in
# test binaries built with the tag libct_faultinject: it gives them the
# points where ct kills itself (internal/faultpoint). Every other test
# runs without it, as released.
fault=(-run 'TestKilledAt' . ./cmd/ct)

case $build in
release)
	# shellcheck source=scripts/release-flags.sh
	. scripts/release-flags.sh
	run "unit (release flags, static $libc)" \
		env ${musl[@]+"${musl[@]}"} "$go" test "${static[@]}" "${common[@]}" \
		${testflags[@]+"${testflags[@]}"} "${pkgs[@]}"
	# glibc's constructors get their arguments from the C library rather
	# than from /proc/self/cmdline (see internal/nsenter): both ways are
	# tested.
	run "unit (LIBCT_INIT=go: every start through the Go init; static glibc)" \
		env LIBCT_INIT=go "$go" test "${static[@]}" "${common[@]}" \
		${testflags[@]+"${testflags[@]}"} "${goinit_pkgs[@]}"
	run "fault injection (release flags, static $libc)" \
		env ${musl[@]+"${musl[@]}"} "$go" test -tags netgo,osusergo,libct_faultinject \
		-ldflags '-linkmode=external -extldflags=-static' "${common[@]}" "${fault[@]}"
	;;
plain)
	run "unit (plain go test: cgo, dynamic glibc)" \
		"$go" test "${common[@]}" ${testflags[@]+"${testflags[@]}"} "${pkgs[@]}"
	run "fault injection (plain go test)" \
		"$go" test -tags libct_faultinject "${common[@]}" "${fault[@]}"
	;;
nocgo)
	run "unit (CGO_ENABLED=0 go test: no C stages)" \
		env CGO_ENABLED=0 "$go" test "${common[@]}" ${testflags[@]+"${testflags[@]}"} "${pkgs[@]}"
	run "fault injection (CGO_ENABLED=0 go test)" \
		env CGO_ENABLED=0 "$go" test -tags libct_faultinject "${common[@]}" "${fault[@]}"
	;;
*)
	echo "usage: scripts/unit.sh release|plain|nocgo" >&2
	exit 2
	;;
esac
exit "$failed"
