#!/usr/bin/env bash
# Measures ct, as `make build` links it (the release build) and as a plain
# `go build` does (ct-plain), against crun and runc, side by side on one
# busybox bundle (/bin/true, pid+network+ipc+uts+mount namespaces, a cgroup
# under /libct-bench/), and prints one table with the project's goals
# (the release ct no more than crun; the plain ct-plain no more than
# 1.15 times crun):
#
#   run of /bin/true   wall (median, min–max) and CPU (user+sys, children
#                      included) back to back and with runs 100 ms apart
#   create, start, delete, and exec of /bin/true into a running container
#   peak RSS of run (GNU time %M) and the RSS of the process create leaves
#
# usage: bench/compare.sh [RUNS]     (as root; RUNS per item, default 100)
#
# It installs what it lacks from Debian (hyperfine runc crun time
# busybox-static musl-tools), builds bin/ct (make build, with musl) and
# bin/ct-plain (`go build -o bin/ct-plain ./cmd/ct`: cgo, glibc linked
# dynamically, the stock linker and garbage collector) when they are
# missing or older than the sources (CT_PLAIN=path measures that binary
# as the plain build instead, built elsewhere), keeps every state root and the
# bundle in temporary directories and removes them, the containers and
# their cgroups when it ends. The
# table is printed and written to bench/results.md (RESULTS=path to move
# it, RESULTS= to skip), above whatever followed the line
# "<!-- kept by compare.sh -->" there. RUNTIMES="ct ct-plain crun runc"
# picks the runtimes (ct first, ct-plain next if at all, then the goals'
# reference).
# HIDE_UNIFIED=all runs every runtime,
# not only crun, without the cgroup2 tree (see below).
#
# crun refuses a hybrid cgroup host ("cgroups in hybrid mode not
# supported"): on such a host every crun command here runs in a private
# mount namespace where /sys/fs/cgroup/unified is unmounted (unshare -m;
# nothing changes outside it), so crun sees a plain cgroup v1 host.
set -euo pipefail

self=$(readlink -f "$0")
cd "$(dirname "$self")/.."
repo=$PWD
export PATH=/usr/local/go/bin:$PATH

# hide_unified runs "$@" in a private mount namespace without the cgroup2
# tree of a hybrid host (for crun).
hide_unified() {
	unshare -m sh -c 'umount /sys/fs/cgroup/unified && exec "$@"' sh "$@"
}

# The loops of the RSS items run as this script again (inside the private
# mount namespace for crun): __peakrss OUT N RT... / __waitrss OUT N BUNDLE ID RT...
case "${1:-}" in
__peakrss)
	out=$2 n=$3 bundle=$4 id=$5
	shift 5
	for ((i = 0; i < n; i++)); do
		/usr/bin/time -f %M -a -o "$out" "$@" run --bundle "$bundle" "$id" </dev/null >/dev/null
	done
	exit 0
	;;
__waitrss)
	out=$2 n=$3 bundle=$4 id=$5
	shift 5
	for ((i = 0; i < n; i++)); do
		"$@" delete -f "$id" >/dev/null 2>&1 || true
		"$@" create --bundle "$bundle" "$id" </dev/null >/dev/null
		pid=$("$@" state "$id" | sed -n 's/^ *"pid": *\([0-9][0-9]*\).*/\1/p')
		if [[ -z $pid || $pid == 0 ]]; then
			echo "compare.sh: no pid in the state of $id" >&2
			exit 1
		fi
		awk '/^VmRSS:/ {print $2}' "/proc/$pid/status" >>"$out"
		"$@" delete -f "$id" >/dev/null
	done
	exit 0
	;;
esac

runs=${1:-100}
if ! [[ $runs =~ ^[0-9]+$ ]] || ((runs < 2)); then
	echo "usage: bench/compare.sh [RUNS]   (RUNS >= 2, default 100)" >&2
	exit 2
fi
if [[ $(id -u) -ne 0 ]]; then
	echo "compare.sh: must run as root (the runtimes make namespaces and cgroups)" >&2
	exit 1
fi
read -r -a runtimes <<<"${RUNTIMES:-ct ct-plain crun runc}"
# The runtimes under test (ct, then ct-plain when it is measured) and
# their goals: at most this many times the reference's figure.
goals=(-goal ct=1)
under=1
if [[ ${runtimes[1]:-} == ct-plain ]]; then
	goals+=(-goal ct-plain=1.15)
	under=2
fi
if ((${#runtimes[@]} < under + 1)) || [[ ${runtimes[0]} != ct ]]; then
	echo "compare.sh: RUNTIMES: ct first (ct-plain next, if at all), then at least one runtime to compare them with" >&2
	exit 2
fi
for r in "${runtimes[@]:under}"; do
	case $r in crun | runc) ;; *)
		echo "compare.sh: RUNTIMES: $r: after ct (and ct-plain) come crun or runc" >&2
		exit 2
		;;
	esac
done
results=${RESULTS-bench/results.md}
warmup=3
# Samples of the RSS of create's waiting process: each needs a create and
# a delete, so fewer than RUNS.
waitruns=$((runs < 20 ? runs : 20))

# --- what the script needs, from Debian -----------------------------------
missing=()
for d in hyperfine:/usr/bin/hyperfine runc:/usr/sbin/runc crun:/usr/bin/crun time:/usr/bin/time busybox-static:/bin/busybox musl-tools:/usr/bin/musl-gcc; do
	pkg=${d%%:*} file=${d#*:}
	if ! dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null | grep -qx installed || [[ ! -x $file ]]; then
		missing+=("$pkg")
	fi
done
if ((${#missing[@]})); then
	echo "==> installing ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get -q update >/dev/null
	apt-get -q install -y --no-install-recommends "${missing[@]}" >/dev/null
fi

# --- ct, built when missing or older than its sources or its layout --------
if [[ ! -x bin/ct || ! -x bin/mkrootfs ]] ||
	[[ -n $(find . \( -name '*.go' -o -name ct.order \) -not -path './bench/*' -newer bin/ct -print -quit) ]]; then
	echo "==> make build"
	make -s build
fi
# The plain build is what a user gets from `go build` with the toolchain's
# defaults: none of make build's settings leak into it.
ctplain=${CT_PLAIN:-$repo/bin/ct-plain}
if [[ ${runtimes[1]} == ct-plain && -z ${CT_PLAIN:-} ]] &&
	[[ ! -x $ctplain || -n $(find . \( -name '*.go' -o -name '*.c' -o -name '*.h' \) -not -path './bench/*' -newer "$ctplain" -print -quit) ]]; then
	echo "==> go build -o bin/ct-plain ./cmd/ct"
	env -u CC -u CGO_CFLAGS -u CGO_LDFLAGS -u GOEXPERIMENT -u GOFLAGS go build -o "$ctplain" ./cmd/ct
fi
if [[ ${runtimes[1]} == ct-plain && ! -x $ctplain ]]; then
	echo "compare.sh: CT_PLAIN=$ctplain is not an executable" >&2
	exit 2
fi
ctplain=$(readlink -f "$ctplain")

# --- bundle, state roots, cleanup ------------------------------------------
work=$(mktemp -d /tmp/libct-compare.XXXXXX)
# State roots under /run, where the runtimes keep theirs by default (a
# tmpfs on most hosts; the results say what it is here).
state=$(mktemp -d /run/libct-compare.XXXXXX)
tag=$(basename "$state")
cgparent=/libct-bench/$tag
id=bench-$$
sleepid=bench-sleep-$$

hybrid=false
if mountpoint -q /sys/fs/cgroup/unified 2>/dev/null; then
	hybrid=true
fi

declare -A rtcmd
rtcmd[ct]="$repo/bin/ct --root $state/ct"
rtcmd[ct-plain]="$ctplain --root $state/ct-plain"
rtcmd[crun]="crun --root $state/crun"
rtcmd[runc]="runc --root $state/runc"

# in_ns RT CMD...: runs CMD where runtime RT can work (crun: see above;
# HIDE_UNIFIED=all puts every runtime there, to compare them on equal
# terms: a cgroup v1 host).
in_ns() {
	local rt=$1
	shift
	if [[ $hybrid == true && ($rt == crun || ${HIDE_UNIFIED:-} == all) ]]; then
		hide_unified "$@"
	else
		"$@"
	fi
}

# rt RT ARGS...: the runtime's command line with its state root.
rt() {
	local r=$1
	shift
	# shellcheck disable=SC2086 # rtcmd holds words on purpose
	in_ns "$r" ${rtcmd[$r]} "$@"
}

cleanup() {
	local status=$?
	set +e
	for r in "${runtimes[@]}"; do
		[[ -d $state/$r ]] || continue
		for d in "$state/$r"/*/; do
			[[ -d $d ]] || continue
			rt "$r" delete -f "$(basename "$d")" >/dev/null 2>&1
		done
	done
	# The cgroups the runtimes made under /libct-bench/TAG, in every
	# hierarchy, deepest first; /libct-bench itself when it is empty.
	local left=()
	for top in /sys/fs/cgroup/*/libct-bench/"$tag"; do
		[[ -d $top ]] || continue
		find "$top" -depth -type d -exec rmdir {} \; 2>/dev/null
		[[ -d $top ]] && left+=("$top")
	done
	rmdir /sys/fs/cgroup/*/libct-bench 2>/dev/null
	rm -rf "$work" "$state"
	if ((${#left[@]})); then
		echo "compare.sh: cgroups left (a process is still in them): ${left[*]}" >&2
		((status)) || status=1
	fi
	exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# The containers' parent cgroup exists before any runtime runs, in every
# hierarchy, as a container engine's does (kubepods, machine.slice): each
# runtime then makes and removes the container's own cgroup only. (Without
# it, runc and crun leave the parents they made until the cleanup below,
# while ct removes them with the container and makes them again on the
# next start: two more levels in every hierarchy, each run.) A new v1
# cpuset cgroup starts with no cpus and no memory nodes: the root's are
# copied down.
for h in /sys/fs/cgroup/*/; do
	[[ -f ${h}cgroup.procs ]] || continue
	mkdir -p "$h${cgparent#/}"
	if [[ -f ${h}cpuset.cpus ]]; then
		for d in "${h}libct-bench" "$h${cgparent#/}"; do
			cat "${h}cpuset.cpus" >"$d/cpuset.cpus"
			cat "${h}cpuset.mems" >"$d/cpuset.mems"
		done
	fi
done

echo "==> bundle (busybox root, config.json from ct spec) in $work"
go build -o "$work/benchtool" ./bench/cmd/benchtool
bin/mkrootfs "$work/rootfs" >/dev/null
bundle=$work/bundle
sleepbundle=$work/bundle-sleep
mkdir -p "$bundle" "$sleepbundle"
bin/ct spec --bundle "$bundle"
"$work/benchtool" spec "$bundle/config.json" "$work/rootfs" "$cgparent/true" -- /bin/true
bin/ct spec --bundle "$sleepbundle"
"$work/benchtool" spec "$sleepbundle/config.json" "$work/rootfs" "$cgparent/sleep" -- /bin/sleep 100000
for r in "${runtimes[@]}"; do mkdir -p "$state/$r"; done

res=$work/results
mkdir -p "$res"

# Every runtime's executable, and the shared libraries it loads, starts
# from one page-cache state: written back and dropped, then read back by
# the run below. A bin/ct that make build has just written would
# otherwise count more peak RSS than the same file read back
# (bench/cmd/benchtool/settle.go says why).
exes=()
for r in "${runtimes[@]}"; do
	exe=$(command -v "${rtcmd[$r]%% *}")
	exes+=("$exe")
	while read -r lib; do
		exes+=("$lib")
	done < <(ldd "$exe" 2>/dev/null | awk '$2 == "=>" && $3 ~ /^\// {print $3}')
done
"$work/benchtool" settle "${exes[@]}"

# Each runtime runs the bundle once; one that fails is left out of the
# table (its cells read "failed") rather than stopping the others.
ok=()
for r in "${runtimes[@]}"; do
	if out=$(rt "$r" run --bundle "$bundle" "$id" </dev/null 2>&1); then
		ok+=("$r")
	else
		echo "compare.sh: $r cannot run the bundle, left out: $out" >&2
		rt "$r" delete -f "$id" >/dev/null 2>&1 || true
	fi
done

# helper NAME BODY: a small sh script in $work for hyperfine's
# --prepare/--cleanup (hyperfine -N runs commands without a shell).
helper() {
	printf '#!/bin/sh\n%s\n' "$2" >"$work/$1"
	chmod +x "$work/$1"
}
for r in "${ok[@]}"; do
	c=${rtcmd[$r]}
	helper "$r-clean" "$c delete -f $id >/dev/null 2>&1; exit 0"
	helper "$r-created" "$c delete -f $id >/dev/null 2>&1; exec $c create --bundle $bundle $id </dev/null >/dev/null"
	helper "$r-stopped" "$c delete -f $id >/dev/null 2>&1
$c create --bundle $bundle $id </dev/null >/dev/null && $c start $id || exit 1
i=0
until $c state $id | grep -q '\"stopped\"'; do
	i=\$((i + 1)); [ \$i -lt 1000 ] || { echo '$id did not stop' >&2; exit 1; }
	sleep 0.005
done"
done

# measure ITEM RT [hyperfine options...] COMMAND: one hyperfine run,
# exported to $res/ITEM.RT.json; a failure is reported and left out.
measure() {
	local item=$1 r=$2
	shift 2
	local log=$work/$item.$r.log
	if ! in_ns "$r" hyperfine -N --style none --runs "$runs" --warmup "$warmup" \
		--export-json "$res/$item.$r.json" "$@" >"$log" 2>&1; then
		echo "compare.sh: $item $r failed:" >&2
		tail -n 5 "$log" >&2
		rm -f "$res/$item.$r.json"
	fi
}

load() { cut -d' ' -f1-3 /proc/loadavg; }
load0=$(load)
echo "==> measuring ${ok[*]}: $runs runs per item (+$warmup warm-up), load $load0"
for r in "${ok[@]}"; do
	echo "    run, back to back: $r"
	measure run-b2b "$r" "${rtcmd[$r]} run --bundle $bundle $id"
done
for r in "${ok[@]}"; do
	echo "    run, 100 ms apart: $r"
	measure run-spaced "$r" --prepare "sleep 0.1" "${rtcmd[$r]} run --bundle $bundle $id"
done
for r in "${ok[@]}"; do
	echo "    create: $r"
	measure create "$r" --prepare "$work/$r-clean" --cleanup "$work/$r-clean" \
		"${rtcmd[$r]} create --bundle $bundle $id"
done
for r in "${ok[@]}"; do
	echo "    start: $r"
	measure start "$r" --prepare "$work/$r-created" --cleanup "$work/$r-clean" "${rtcmd[$r]} start $id"
done
for r in "${ok[@]}"; do
	echo "    delete: $r"
	measure delete "$r" --prepare "$work/$r-stopped" --cleanup "$work/$r-clean" "${rtcmd[$r]} delete $id"
done
for r in "${ok[@]}"; do
	echo "    exec: $r"
	if rt "$r" run -d --bundle "$sleepbundle" "$sleepid" </dev/null >/dev/null 2>"$work/sleep.$r.log"; then
		measure exec "$r" "${rtcmd[$r]} exec $sleepid /bin/true"
	else
		echo "compare.sh: $r run -d of the sleep container failed: $(cat "$work/sleep.$r.log")" >&2
	fi
	rt "$r" delete -f "$sleepid" >/dev/null 2>&1 || true
done
for r in "${ok[@]}"; do
	echo "    peak RSS of run, RSS of create's waiting process: $r"
	# shellcheck disable=SC2086
	if ! in_ns "$r" "$self" __peakrss "$res/peakrss.$r.txt" "$runs" "$bundle" "$id" ${rtcmd[$r]}; then
		echo "compare.sh: peak RSS of $r failed" >&2
		rm -f "$res/peakrss.$r.txt"
	fi
	# shellcheck disable=SC2086
	if ! in_ns "$r" "$self" __waitrss "$res/waitrss.$r.txt" "$waitruns" "$bundle" "$id" ${rtcmd[$r]}; then
		echo "compare.sh: RSS of $r's waiting process failed" >&2
		rm -f "$res/waitrss.$r.txt"
	fi
done
loadend=$(load)

# --- the table ---------------------------------------------------------------
version() {
	case $1 in
	ct) bin/ct --version | sed -n 1p ;;
	ct-plain) echo "ct-plain: $("$ctplain" --version | sed -n 1p)" ;;
	*) "$1" --version 2>/dev/null | sed -n 1p ;;
	esac
}
versions=()
for r in "${runtimes[@]}"; do versions+=("$(version "$r")"); done
notes=(
	"Wall: hyperfine median (min–max) of $runs runs after $warmup warm-up runs; CPU: hyperfine's mean user+sys of the runtime command and of the processes it reaped (the container of run and exec; not the process create leaves waiting, nor a started container, which no measured command reaps)."
	"create, start and delete are measured alone: hyperfine --prepare deletes the container (create), creates it (start), or creates and starts it and waits until it stopped (delete), outside the measured time. exec runs /bin/true in a running sleep container of the same root."
	"Peak RSS: GNU time %M of run (the largest of the runtime's process and the processes it reaped), median (min–max) of $runs runs. Waiting RSS: VmRSS of the pid in the state of a created container, $waitruns samples. Before the first run, every runtime's executable and the shared libraries it loads were written back and dropped from the page cache (benchtool settle), so that each was read back from disk the same way."
	"The bundle: config.json from \`ct spec\` with process.args [/bin/true], terminal false, namespaces pid, network, ipc, uts, mount, linux.cgroupsPath $cgparent/true, whose parent the script made beforehand in every hierarchy (as an engine's kubepods or machine.slice is there), so that each runtime makes and removes the container's own cgroup only; a busybox root from bin/mkrootfs; state roots under /run, on $(stat -f -c %T /run)."
)
notes+=("ct: bin/ct from \`make build\` (the release build: static, musl, functions laid out by build/linkorder, Go's older garbage collector). ct-plain: $ctplain, $(if ldd "$ctplain" >/dev/null 2>&1; then echo "linked dynamically ($(ldd "$ctplain" | awk '$2 == "=>" {print $1}' | paste -sd, -))"; else echo "linked statically"; fi)$(if [[ -z ${CT_PLAIN:-} ]]; then echo ", from \`go build -o bin/ct-plain ./cmd/ct\` with the toolchain's defaults (cgo, the stock linker and collector)"; fi).")
if [[ $hybrid == true && ${HIDE_UNIFIED:-} == all ]]; then
	notes+=("This host is a cgroup v1 hybrid, which crun refuses (\"cgroups in hybrid mode not supported\"). HIDE_UNIFIED=all: every runtime's commands ran in a private mount namespace where /sys/fs/cgroup/unified is unmounted (unshare -m; nothing changed outside it), so that all three saw the same cgroup v1 host.")
elif [[ $hybrid == true ]]; then
	notes+=("This host is a cgroup v1 hybrid and crun refuses it (\"cgroups in hybrid mode not supported\"): every crun command ran in a private mount namespace where /sys/fs/cgroup/unified is unmounted (unshare -m; nothing changed outside it), so crun saw a cgroup v1 host. The others ran on the host as it is (HIDE_UNIFIED=all runs them in such a namespace too).")
fi
notes+=("Host: $(uname -srm), $(nproc) CPUs, load average $load0 at the start, $loadend at the end. $(
	IFS=,
	echo "${versions[*]}" | sed 's/,/; /g'
).")

table=$("$work/benchtool" table "${notes[@]/#/-note=}" "${goals[@]}" "$res" "${runtimes[@]}")
names=$(printf '%s, ' "${runtimes[@]}")
header="## ${names%, } side by side ($(date -u '+%Y-%m-%d %H:%M UTC'), \`bench/compare.sh $runs\`)"
echo
echo "$header"
echo
echo "$table"
if [[ -n $results ]]; then
	# What follows the marker line in the old file (notes written by
	# hand, such as where the time goes) is kept below the new table.
	kept=
	if [[ -f $results ]]; then
		kept=$(sed -n '/^<!-- kept by compare.sh -->$/,$p' "$results")
	fi
	printf '%s\n\n%s\n' "$header" "$table" >"$results"
	if [[ -n $kept ]]; then
		printf '\n%s\n' "$kept" >>"$results"
	fi
	echo
	echo "==> written to $results"
fi
