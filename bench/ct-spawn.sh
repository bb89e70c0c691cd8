#!/usr/bin/env bash
# Runs `ct spawn /bin/true` N times back to back in a container with mnt,
# pid, uts, ipc and net namespaces and a busybox root, and prints the
# wall time and the CPU time (user+sys of ct and its containers) per run.
#
# usage: bench/ct-spawn.sh [N]   (as root, after `make build`)
set -euo pipefail
cd "$(dirname "$(readlink -f "$0")")/.."
n=${1:-100}
work=$(mktemp -d /tmp/libct-bench.XXXXXX)
# State lives under /run, as under the default /run/libct (a tmpfs on
# most hosts).
state=$(mktemp -d /run/libct-bench.XXXXXX)
trap 'rm -rf "$work" "$state"' EXIT
bin/mkrootfs "$work/rootfs" >/dev/null
ct=(bin/ct --root "$state" spawn --rootfs "$work/rootfs" --ns 'mnt,pid,uts,ipc,net' -- /bin/true)
"${ct[@]}"  # warm the page cache

start=$(date +%s%N)
# Fields 16 and 17 of /proc/PID/stat: CPU of reaped children, in ticks.
read -r u0 s0 < <(awk '{print $16, $17}' /proc/$$/stat)
for ((i = 0; i < n; i++)); do "${ct[@]}"; done
end=$(date +%s%N)
read -r cu cs < <(awk '{print $16, $17}' /proc/$$/stat)
hz=$(getconf CLK_TCK)
awk -v n="$n" -v wall=$((end - start)) -v cpu=$((cu + cs - u0 - s0)) -v hz="$hz" 'BEGIN {
	printf "ct spawn /bin/true: %d runs, wall %.2f ms/run, cpu %.2f ms/run, %.0f runs/s\n",
		n, wall / n / 1e6, cpu * 1000 / hz / n, n / (wall / 1e9)
}'
