#!/usr/bin/env bash
# scripts/runc-bats.sh CT: runc v1.3.6's own integration suite
# (../shared/runc-bats) against the ct binary CT (make runc-bats with
# bin/ct, runc-bats-plain with bin/ct-plain). It fails when fewer tests
# pass than RUNC_BATS_MIN, or when a file hits the per-file timeout (a
# hang). The README lists every test that still fails, with its reason.
#
# The suite's setup (runc's sources, its test helpers, the busybox and
# Debian images) is cached in RUNC_BATS_WORK, outside the clone: a later
# run on the same machine starts at once.
#
# Environment: RUNC_BATS (run.sh), RUNC_BATS_MIN, RUNC_BATS_WORK,
# PER_FILE_TIMEOUT.
set -euo pipefail

cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.."
ct=${1:?usage: scripts/runc-bats.sh CT}
suite=${RUNC_BATS:-$(dirname "$PWD")/shared/runc-bats/run.sh}
min=${RUNC_BATS_MIN:?}
case $ct in /*) ;; *) ct=$PWD/$ct ;; esac
[ -x "$suite" ] || { echo "runc-bats: $suite is missing" >&2; exit 1; }
[ -x "$ct" ] || { echo "runc-bats: $ct is missing" >&2; exit 1; }
export PER_FILE_TIMEOUT=${PER_FILE_TIMEOUT:-300}
export LABEL=${LABEL:-$(basename "$ct")}

start=$SECONDS
echo "==> runc v1.3.6 integration suite against $ct"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
rc=0
"$suite" "$ct" >"$log" 2>&1 || rc=$?
cat "$log"
if [ "$rc" = 2 ]; then
	echo "runc-bats: the suite's setup failed (above)" >&2
	exit 1
fi
line=$(grep -E '^[0-9]+ passed, [0-9]+ failed, [0-9]+ skipped' "$log" | tail -1 || true)
if [ -z "$line" ]; then
	echo "runc-bats: the suite printed no totals (its output is above)" >&2
	exit 1
fi
passed=${line%% passed*}
status=0
if grep -q '(timed out)' "$log"; then
	echo "runc-bats: a file timed out after ${PER_FILE_TIMEOUT}s: ct hangs there" >&2
	status=1
fi
if [ "$passed" -lt "$min" ]; then
	echo "runc-bats: $passed tests passed, want at least $min" >&2
	status=1
fi
echo "==> runc-bats: $line in $((SECONDS - start)) s (at least $min must pass)"
exit "$status"
