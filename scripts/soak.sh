#!/usr/bin/env bash
# scripts/soak.sh [KILLS]: kills `ct create` and `ct run -d` with SIGKILL
# after a random 0-60 ms, KILLS times (default 500), as an engine, a shim
# or a timeout would; after each, `ct delete -f` and a scan of the host
# for what the container left: processes in its cgroup, its cgroups in
# every hierarchy (v1 controllers and the cgroup2 tree), mounts under its
# bundle or the state root, network devices, its state directory and
# temporary directories of the create. It prints the counts and exits 1
# when anything leaked. make soak runs it; CI does not.
#
# The bundle runs `sleep 100` in a busybox root (bin/mkrootfs) with the
# default spec's five namespaces (pid, network, ipc, uts, mount) and a
# cgroup of its own (/libct/ID). A run whose ct finished before its kill
# counts as "finished first" and does not count as a kill.
#
# Environment: CT (default bin/ct), MKROOTFS (default bin/mkrootfs).
set -euo pipefail

cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.."
want=${1:-500}
ct=$(readlink -f "${CT:-bin/ct}")
mkrootfs=$(readlink -f "${MKROOTFS:-bin/mkrootfs}")
for bin in "$ct" "$mkrootfs"; do
	[ -x "$bin" ] || { echo "soak: $bin is missing (make build first)" >&2; exit 1; }
done
[ "$(id -u)" = 0 ] || { echo "soak: needs root" >&2; exit 1; }

work=$(mktemp -d /tmp/libct-soak.XXXXXX)
root=$work/root
bundle=$work/bundle
mkdir -p "$bundle"
"$mkrootfs" "$bundle/rootfs" >/dev/null
(cd "$bundle" && "$ct" spec)
sed -i -e 's/"terminal": true/"terminal": false/' \
	-e '/"args": \[/,/\]/ s/"sh"/"sleep", "100"/' "$bundle/config.json"
grep -q '"sleep", "100"' "$bundle/config.json" || { echo "soak: could not edit $bundle/config.json" >&2; exit 1; }

declare -A leaks=([process]=0 [cgroup]=0 [mount]=0 [netdev]=0 [state]=0 [tempdir]=0 [delete-failed]=0)
kills=0 finished=0 runs=0 leaked_runs=0

# procs_in ID: the live processes whose cgroup, in any hierarchy, is the
# container's or under it.
procs_in() {
	local f pid state
	for f in /proc/[0-9]*/cgroup; do
		grep -qE ":/libct/$1(/|\$)" "$f" 2>/dev/null || continue
		pid=${f#/proc/}
		pid=${pid%/cgroup}
		state=$(sed -E 's/.*\) (.).*/\1/' "/proc/$pid/stat" 2>/dev/null) || continue
		[ "$state" = Z ] || echo "$pid"
	done
}

# scan ID: counts and reports what the container left, and removes it
# so that the next run starts clean.
scan() {
	local id=$1 found=0 pids dirs d n
	pids=$(procs_in "$id")
	if [ -n "$pids" ]; then
		n=$(wc -w <<<"$pids")
		leaks[process]=$((leaks[process] + n)) found=1
		echo "leak: $id: processes $pids" >&2
		# shellcheck disable=SC2086 # a list of pids
		kill -KILL $pids 2>/dev/null || true
	fi
	dirs=$(ls -d /sys/fs/cgroup/*/libct/"$id" /sys/fs/cgroup/libct/"$id" 2>/dev/null || true)
	if [ -n "$dirs" ]; then
		n=$(wc -l <<<"$dirs")
		leaks[cgroup]=$((leaks[cgroup] + n)) found=1
		echo "leak: $id: cgroups $(tr '\n' ' ' <<<"$dirs")" >&2
		sleep 0.1
		for d in $dirs; do rmdir "$d" 2>/dev/null || true; done
	fi
	n=$(awk -v b="$bundle" -v r="$root" '$5 ~ "^(" b "|" r ")(/|$)"' /proc/self/mountinfo | wc -l)
	if [ "$n" -gt 0 ]; then
		leaks[mount]=$((leaks[mount] + n)) found=1
		echo "leak: $id: $n mounts under $bundle or $root" >&2
	fi
	n=$(find /sys/class/net/ -maxdepth 1 -name "*${id: -8}*" | wc -l)
	if [ "$n" -gt 0 ]; then
		leaks[netdev]=$((leaks[netdev] + n)) found=1
	fi
	if [ -e "$root/$id" ]; then
		leaks[state]=$((leaks[state] + 1)) found=1
		echo "leak: $id: state $root/$id" >&2
		rm -rf "${root:?}/$id"
	fi
	n=$(find "$root" -mindepth 1 -maxdepth 1 -name ".*" | wc -l)
	if [ "$n" -gt 0 ]; then
		leaks[tempdir]=$((leaks[tempdir] + n)) found=1
		echo "leak: $id: temporary directories $(find "$root" -mindepth 1 -maxdepth 1 -name ".*")" >&2
		find "$root" -mindepth 1 -maxdepth 1 -name ".*" -exec rm -rf {} +
	fi
	if [ "$found" = 1 ]; then
		leaked_runs=$((leaked_runs + 1))
	fi
}

start=$SECONDS
while [ "$kills" -lt "$want" ]; do
	runs=$((runs + 1))
	id=libct-soak-$$-$runs
	if ((runs % 2)); then
		op=(create --bundle "$bundle" "$id")
	else
		op=(run --detach --bundle "$bundle" "$id")
	fi
	"$ct" --root "$root" "${op[@]}" </dev/null >/dev/null 2>&1 &
	pid=$!
	sleep "$(printf '0.%03d' $((RANDOM % 61)))"
	kill -KILL "$pid" 2>/dev/null || true
	rc=0
	{ wait "$pid"; } 2>/dev/null || rc=$?
	if [ "$rc" = 137 ]; then
		kills=$((kills + 1))
	else
		finished=$((finished + 1))
	fi
	if ! "$ct" --root "$root" delete --force "$id" >/dev/null 2>"$work/delete.err"; then
		leaks[delete-failed]=$((leaks[delete-failed] + 1))
		echo "leak: $id: delete --force failed: $(cat "$work/delete.err")" >&2
	fi
	scan "$id"
	if ((runs % 100 == 0)); then
		echo "soak: $runs runs, $kills kills, $leaked_runs with leaks ($((SECONDS - start)) s)"
	fi
done

total=0
for kind in "${!leaks[@]}"; do
	total=$((total + leaks[$kind]))
done
echo "soak: $runs runs of ct create / ct run -d in $((SECONDS - start)) s"
echo "soak: kills (SIGKILL while ct ran): $kills; finished before the kill: $finished"
printf 'soak: leaks by kind:'
for kind in process cgroup mount netdev state tempdir delete-failed; do
	printf ' %s=%d' "$kind" "${leaks[$kind]}"
done
echo
echo "soak: runs with any leak: $leaked_runs; leaks in all: $total"
rm -rf "$work"
[ "$total" = 0 ]
