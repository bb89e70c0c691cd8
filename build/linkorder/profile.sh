#!/usr/bin/env bash
# usage: build/linkorder/profile.sh   (as root; installs linux-perf if missing)
#
# Writes build/linkorder/ct.order: the functions of ct that a container's
# lifecycle runs. The workload is the one of bench/compare.sh, on a
# busybox bundle with pid, network, ipc, uts and mount namespaces and a
# cgroup, in two tiers: ct run of /bin/true, the main job, whose functions
# are laid out first; then create, start, state, exec of /bin/true, kill,
# delete and list of a sleep container.
#
# Three sources name the functions (mkorder/main.go says how they are
# merged):
#
#  1. coverage: a build with -cover -coverpkg=all runs the workload once;
#     it sees every Go function it ran, but not the runtime's nor
#     assembly;
#  2. samples: perf samples the CPU every 5 µs of the workload, 20 times;
#  3. page faults: ct is linked with the order so far and runs the
#     workload; the function at each page fault has run, so any not yet
#     named is added, and ct is linked again, until no fault names a new
#     one. A function that only the first two missed shows up this way,
#     as the first to touch a window of text outside the ordered part.
#
# Everything it makes is under a temporary directory, and the containers
# under a temporary state root; both are removed at the end, and with
# them, by ct delete, the containers' cgroups (/libct-linkorder-PID/...).
set -euo pipefail

self=$(readlink -f "$0")
cd "$(dirname "$self")/../.."
repo=$PWD
export PATH=/usr/local/go/bin:$PATH

if [[ $(id -u) -ne 0 ]]; then
	echo "profile.sh: must run as root (containers need namespaces and cgroups)" >&2
	exit 1
fi
if ! command -v perf >/dev/null; then
	echo "==> installing linux-perf"
	export DEBIAN_FRONTEND=noninteractive
	apt-get -q update >/dev/null
	apt-get -q install -y --no-install-recommends linux-perf >/dev/null
fi

work=$(mktemp -d /tmp/libct-linkorder.XXXXXX)
state=$(mktemp -d /run/libct-linkorder.XXXXXX)
cgroups=/libct-linkorder-$$
run_id=order-run-$$
sleep_id=order-sleep-$$

cleanup() {
	local status=$?
	set +e
	for d in "$state"/*/; do
		[[ -d $d ]] && "$repo/bin/ct" --root "$state" delete -f "$(basename "$d")" >/dev/null 2>&1
	done
	rm -rf "$work" "$state"
	local left
	left=$(find /sys/fs/cgroup -maxdepth 2 -name "${cgroups#/}" 2>/dev/null)
	if [[ -n $left ]]; then
		echo "profile.sh: cgroups left: $left" >&2
		((status)) || status=1
	fi
	exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

echo "==> bundles in $work"
make -s build CT_ORDER= >/dev/null
go build -o "$work/benchtool" ./bench/cmd/benchtool
go build -o "$work/mkorder" ./build/linkorder/mkorder
bin/mkrootfs "$work/rootfs" >/dev/null
for b in true sleep; do
	mkdir -p "$work/$b"
	bin/ct spec --bundle "$work/$b"
done
"$work/benchtool" spec "$work/true/config.json" "$work/rootfs" "$cgroups/true" -- /bin/true
"$work/benchtool" spec "$work/sleep/config.json" "$work/rootfs" "$cgroups/sleep" -- /bin/sleep 100000

# workload TIER CT [EVENT PERIOD]: the commands of one tier, run by CT,
# each recorded by perf (perf record -e EVENT -c PERIOD) into
# $work/TIER/out.N.data when an event is given. Tier 1 is ct run, the
# main job; tier 2 the rest of the lifecycle, whose own functions are
# laid out after run's (mkorder/main.go).
workload() {
	local tier=$1 ct=$2 event=${3:-} period=${4:-} n=0
	step() {
		n=$((n + 1))
		if [[ -n $event ]]; then
			perf --buildid-dir "$work/buildid" record -q -N -e "$event" -c "$period" -o "$work/$tier/out.$n.data" -- \
				"$ct" --root "$state" "$@" </dev/null >/dev/null
		else
			"$ct" --root "$state" "$@" </dev/null >/dev/null
		fi
	}
	if [[ $tier == 1 ]]; then
		step run --bundle "$work/true" "$run_id"
		return
	fi
	step create --bundle "$work/sleep" "$sleep_id"
	step start "$sleep_id"
	step state "$sleep_id"
	step exec "$sleep_id" /bin/true
	step kill "$sleep_id" KILL
	# The kill is asynchronous: wait for the container to stop.
	for _ in $(seq 100); do
		"$ct" --root "$state" state "$sleep_id" | grep -q '"stopped"' && break
		sleep 0.05
	done
	step delete "$sleep_id"
	step list
}

# perf_syms TIER CT: the names of the functions in the samples of the
# perf record outputs of the tier's last workload, which it removes. Only
# CT's own samples count: a container's program is a static binary at the
# same addresses, whose samples perf may name with CT's symbols. perf
# keeps no cache of binaries here (-N, an empty --buildid-dir): in one,
# builds of ct with the same build ID but another layout would lend their
# symbols to the samples.
perf_syms() {
	local comm
	comm=$(basename "$2")
	for f in "$work/$1"/out.*.data; do
		perf --buildid-dir "$work/buildid" script -i "$f" -F comm,ip,sym 2>/dev/null
	done | awk -v comm="${comm:0:15}" '$1 == comm' |
		sed -E 's/^[[:space:]]*[^[:space:]]+[[:space:]]+[0-9a-f]+ //' | sort -u
	rm -f "$work/$1"/out.*.data
}

tiers=(1 2)
mkdir -p "$work/1" "$work/2"

echo "==> coverage"
make -s build CT_ORDER= CT_BIN="$work/ct-cover" CT_FLAGS="-cover -coverpkg=all" >/dev/null
for t in "${tiers[@]}"; do
	mkdir "$work/$t/cover"
	GOCOVERDIR=$work/$t/cover workload "$t" "$work/ct-cover"
	go tool covdata func -i "$work/$t/cover" >"$work/$t/cover.txt"
done

echo "==> CPU samples"
go tool nm -n -size bin/ct >"$work/nm.txt"
for t in "${tiers[@]}"; do
	for _ in $(seq 20); do
		workload "$t" bin/ct cpu-clock 5000
		perf_syms "$t" bin/ct >>"$work/$t/samples.txt"
	done
	sort -u -o "$work/$t/samples.txt" "$work/$t/samples.txt"
done

order() {
	"$work/mkorder" -nm "$work/nm.txt" "${tiers[@]/#/$work/}" >"$work/order"
}
order
for round in $(seq 10); do
	make -s build CT_ORDER="$work/order" CT_BIN="$work/ct-order" >/dev/null
	"$work/benchtool" settle "$work/ct-order"
	for t in "${tiers[@]}"; do
		workload "$t" "$work/ct-order" page-faults 1
		perf_syms "$t" "$work/ct-order" >"$work/faults.txt"
		sort -u -o "$work/$t/samples.txt" "$work/$t/samples.txt" "$work/faults.txt"
	done
	before=$(wc -l <"$work/order")
	order
	after=$(wc -l <"$work/order")
	echo "==> page faults, round $round: $((after - before)) functions more"
	((after > before)) || break
done
cp "$work/order" build/linkorder/ct.order
echo "==> build/linkorder/ct.order: $(wc -l <build/linkorder/ct.order) functions; run make build"
