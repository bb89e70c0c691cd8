#!/bin/sh
# usage: go build -toolexec "build/linkorder/toolexec.sh LINK ORDER" ...
#
# Runs every tool of the build as it is, except the linker: for it, LINK
# (made by build.sh) with -order ORDER. The go command asks each tool's
# version with -V=full and keys its cache on the line it gets; the line
# given for the linker names LINK's and ORDER's contents too, so that a
# new order file or linker links ct again.
set -eu
link=$1 order=$2 tool=$3
shift 3
case ${tool##*/} in
link)
	if [ "$*" = -V=full ]; then
		echo "$("$link" -V=full) order=$(cat "$link" "$order" | sha256sum | cut -c1-16)"
		exit 0
	fi
	exec "$link" -order "$order" "$@"
	;;
esac
exec "$tool" "$@"
