#!/usr/bin/env bash
# scripts/test.sh: the stages of make test, for each of the three builds a
# user can make (README, "Building"), one after another:
#
#   release  make build (bin/ct: static, musl, ordered linker), unit (the
#            suite with the release flags, then the Go-init pass; test/
#            drives bin/ct), vmtest (cgroup v2 guest), conformance (the
#            OCI validation suite against bin/ct), runc-bats (runc's
#            integration suite against bin/ct)
#   plain    make build-plain (bin/ct-plain: go build ./cmd/ct, cgo,
#            dynamic glibc), unit-plain (plain go test; test/ drives
#            bin/ct-plain), vmtest-plain, conformance-plain,
#            runc-bats-plain
#   nocgo    make build-nocgo (bin/ct-nocgo: CGO_ENABLED=0), unit-nocgo
#            (CGO_ENABLED=0 go test; test/ drives bin/ct-nocgo)
#
# Every stage runs even when an earlier one failed, except those of a
# build whose binary could not be made; at the end a table gives each
# stage's result and time, and the status is 1 when any failed.
#
# Environment: BUILDS (the builds to test, "release plain nocgo"), MAKE.
# The make variables of the command line (PKGS, TESTFLAGS, ...) reach the
# stages through make's own environment.
set -euo pipefail

cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.."
make=${MAKE:-make}
read -ra builds <<<"${BUILDS:-release plain nocgo}"

declare -A stages=(
	[release]="build unit vmtest conformance runc-bats"
	[plain]="build-plain unit-plain vmtest-plain conformance-plain runc-bats-plain"
	[nocgo]="build-nocgo unit-nocgo"
)

for b in "${builds[@]}"; do
	[ -n "${stages[$b]:-}" ] || { echo "test: unknown build $b (release, plain or nocgo)" >&2; exit 2; }
done

results=()
failed=0
total=$SECONDS
for b in "${builds[@]}"; do
	read -ra targets <<<"${stages[$b]}"
	built=1
	for t in "${targets[@]}"; do
		if [ "$built" = 0 ]; then
			results+=("$(printf '%-8s %-18s %-8s %5s' "$b" "$t" skipped -)")
			continue
		fi
		echo
		echo "==> test stage: $b: make $t"
		start=$SECONDS
		if "$make" --no-print-directory "$t"; then
			r=ok
		else
			r=FAILED failed=1
			# The other stages of this build need its binary.
			case $t in build*) built=0 ;; esac
		fi
		results+=("$(printf '%-8s %-18s %-8s %5s' "$b" "$t" "$r" "$((SECONDS - start))s")")
	done
done

echo
echo "==> test stages (build, make target, result, time):"
printf '    %s\n' "${results[@]}"
echo "==> test stages: $((SECONDS - total)) s in all"
exit "$failed"
