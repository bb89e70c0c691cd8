#!/usr/bin/env bash
# scripts/conformance.sh CT: the OCI runtime-tools validation suite
# (../shared/oci-validation) against the ct binary CT (make conformance
# with bin/ct, conformance-plain with bin/ct-plain). It fails on a
# regression: fewer assertions passed than CONFORMANCE_MIN, or more failed
# than CONFORMANCE_MAX_FAILED (the Makefile says why those numbers).
#
# Environment: VALIDATION (run.sh), CONFORMANCE_MIN, CONFORMANCE_MAX_FAILED.
set -euo pipefail

cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.."
ct=${1:?usage: scripts/conformance.sh CT}
validation=${VALIDATION:-$(dirname "$PWD")/shared/oci-validation/run.sh}
min=${CONFORMANCE_MIN:?}
maxfailed=${CONFORMANCE_MAX_FAILED:?}
case $ct in /*) ;; *) ct=$PWD/$ct ;; esac
[ -x "$validation" ] || { echo "conformance: $validation is missing" >&2; exit 1; }
[ -x "$ct" ] || { echo "conformance: $ct is missing" >&2; exit 1; }

start=$SECONDS
echo "==> OCI validation suite against $ct"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
"$validation" "$ct" >"$log" 2>&1 || true
grep -E '^(FAIL|#)' "$log" || true
line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$log" | tail -1 || true)
if [ -z "$line" ]; then
	tail -n 20 "$log" >&2
	echo "conformance: the suite printed no totals (its output's end is above)" >&2
	exit 1
fi
passed=${line%% passed*}
failed=${line#*, }
failed=${failed%% failed*}
if [ "$passed" -lt "$min" ] || [ "$failed" -gt "$maxfailed" ]; then
	echo "conformance: $passed assertions passed, $failed failed (want at least $min passed and at most $maxfailed failed)" >&2
	exit 1
fi
echo "==> conformance: $passed assertions passed, $failed failed (the environment's and the suite's own) in $((SECONDS - start)) s"
