#!/usr/bin/env bash
# scripts/build-release.sh: the release build of ct (make build runs it).
#
# ct is linked statically (a registered Go function runs in a new image of
# the binary inside the container's root, where the host's loader and libc
# are not), with musl when musl-gcc is there, without Go's Green Tea
# collector, and by the linker of build/linkorder, which lays out first
# the functions named in CT_ORDER. Then it checks that the order still
# fits the code (build/linkorder/ordercheck).
#
# Environment (the Makefile passes its variables of the same names):
#   CT_BIN        output (bin/ct)
#   CT_ORDER      order file (build/linkorder/ct.order); empty: the stock
#                 linker's layout and no check (profile.sh's trial builds)
#   CT_ORDER_MIN  least share, in percent, of CT_ORDER's functions that
#                 must exist in CT_BIN (90; see the Makefile)
#   CT_FLAGS      more go build flags, split at spaces (profile.sh's
#                 -cover -coverpkg=all)
#   CI            "true": a Go whose linker build/linkorder cannot hook
#                 fails the build; elsewhere ct is linked by the stock
#                 linker with a warning
#   GO            the go command (go)
set -euo pipefail

cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.."
go=${GO:-go}
bin=${CT_BIN:-bin/ct}
order=${CT_ORDER-build/linkorder/ct.order}
min=${CT_ORDER_MIN:-90}
read -ra extra <<<"${CT_FLAGS:-}"
goversion=$("$go" env GOVERSION)

# static and musl: the flags and environment of the release build.
# shellcheck source=scripts/release-flags.sh
. scripts/release-flags.sh
env=(${musl[@]+"${musl[@]}"})
[ "$libc" = musl ] || echo "==> $bin: musl-gcc is missing (make deps installs musl-tools): linked with glibc" >&2

# ct is built without Go 1.26's default Green Tea garbage collector, whose
# mark bits sit at the end of each small-object span: a short command that
# touches the first page of a span touches its last too, and ct rarely
# collects at all (peak RSS of `ct run` 4.95 -> 4.65 MB, CPU unchanged).
# Go plans to remove the opt-out (1.27): a go command that no longer knows
# the experiment refuses it (`go env` fails), and ct is then built with
# the default collector, which works as well and costs about 0.3 MB of
# peak RSS; the build says so and goes on, in CI too. Remove this block
# then.
gcexp=nogreenteagc
if GOEXPERIMENT="${GOEXPERIMENT:+$GOEXPERIMENT,}$gcexp" "$go" env GOEXPERIMENT >/dev/null 2>&1; then
	env+=("GOEXPERIMENT=${GOEXPERIMENT:+$GOEXPERIMENT,}$gcexp")
else
	echo "==> $bin: $goversion refuses GOEXPERIMENT=$gcexp (the opt-out is gone): built with the default garbage collector" >&2
fi

toolexec=()
if [ -n "$order" ]; then
	[ -f "$order" ] || { echo "build-release: CT_ORDER $order: no such file" >&2; exit 1; }
	if build/linkorder/build.sh bin/linkorder; then
		toolexec=(-toolexec "$PWD/build/linkorder/toolexec.sh $PWD/bin/linkorder/link $(readlink -f "$order")")
		echo "==> $bin: functions laid out by $order (build/linkorder)"
	elif [ "${CI:-}" = true ]; then
		cat >&2 <<EOF
==> $bin: build/linkorder cannot hook the linker of $goversion (above).
    CI=true: failing rather than linking the release ct with the stock
    linker (1.5 MB more peak RSS per ct run). Port build/linkorder/_ld and
    build.sh to this Go, or, if Go now orders functions by profile itself,
    use that and remove build/linkorder (see its README).
EOF
		exit 1
	else
		echo "==> warning: $bin: the Go linker's own layout: build/linkorder cannot hook $goversion (above); CI=true makes this an error" >&2
	fi
fi

cmd=(env ${env[@]+"${env[@]}"} "$go" build "${static[@]}" ${extra[@]+"${extra[@]}"}
	${toolexec[@]+"${toolexec[@]}"} -o "$bin" ./cmd/ct)
printf '%q ' "${cmd[@]}"
echo
"${cmd[@]}"

# The order file names functions; a function renamed or removed since
# profile.sh wrote it is no longer laid out first. ordercheck reports the
# share that still exists and fails below CT_ORDER_MIN; when the hook was
# used it also checks that the text starts with them.
if [ -n "$order" ]; then
	laid=()
	[ ${#toolexec[@]} -eq 0 ] || laid=(-laid-out)
	"$go" run ./build/linkorder/ordercheck -min "$min" ${laid[@]+"${laid[@]}"} "$order" "$bin"
fi
