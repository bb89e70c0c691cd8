#!/usr/bin/env bash
# scripts/deps.sh PACKAGE:FILE...: installs with apt-get the Debian
# packages that are missing: not installed, or installed without FILE (a
# package removed by hand leaves its dpkg record). Packages that ship
# services (containerd, docker.io) must not start them: the install runs
# under a policy-rc.d that says no, since the tests start their own
# daemons.
set -euo pipefail

export DEBIAN_FRONTEND=noninteractive
missing=()
for d in "$@"; do
	pkg=${d%%:*} file=${d#*:}
	if ! dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null | grep -qx installed || [ ! -e "$file" ]; then
		missing+=("$pkg")
	fi
done
if [ ${#missing[@]} = 0 ]; then
	echo "==> deps: all installed"
	exit 0
fi
echo "==> deps: installing ${missing[*]}"
if [ "$(id -u)" -ne 0 ]; then
	echo "deps: must run as root to install ${missing[*]}" >&2
	exit 1
fi
log=$(mktemp)
policy=
if [ ! -e /usr/sbin/policy-rc.d ]; then
	policy=/usr/sbin/policy-rc.d
	printf '#!/bin/sh\nexit 101\n' >"$policy"
	chmod +x "$policy"
fi
cleanup() { [ -z "$policy" ] || rm -f "$policy"; rm -f "$log"; }
trap cleanup EXIT
if ! { apt-get -q update && apt-get -q install -y --no-install-recommends "${missing[@]}"; } </dev/null >"$log" 2>&1; then
	cat "$log" >&2
	echo "deps: apt-get failed" >&2
	exit 1
fi
