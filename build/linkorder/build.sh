#!/bin/sh
# usage: build/linkorder/build.sh OUTDIR
#
# Builds OUTDIR/link: the Go linker of the installed toolchain with the
# flag -order FILE of _ld/order.go. The toolchain's own sources are not
# changed: the go command compiles cmd/link through an overlay that adds
# _ld/order.go to package ld and gives it a copy of data.go with one line
# more, a call to orderText at the start of textaddress, where the linker
# assigns the functions their addresses. It fails, and changes nothing,
# when this Go's linker has no such function (see README.md).
set -eu

here=$(cd "$(dirname "$0")" && pwd)
out=${1:?usage: build.sh OUTDIR}
ld=$(go env GOROOT)/src/cmd/link/internal/ld
hook='^func (ctxt \*Link) textaddress() {$'

if [ "$(grep -c "$hook" "$ld/data.go" 2>/dev/null)" != 1 ]; then
	echo "linkorder: $ld/data.go has no single textaddress method to hook (go $(go env GOVERSION))" >&2
	exit 1
fi
mkdir -p "$out"
out=$(cd "$out" && pwd)
# The overlay's files go under a directory whose name starts with "_", so
# that the go command's ./... does not take them for a package of libct's.
overlay=$out/_overlay
mkdir -p "$overlay"
sed "/$hook/a\\
	orderText(ctxt)" "$ld/data.go" >"$overlay/data.go"
cat >"$overlay/overlay.json" <<JSON
{"Replace": {
	"$ld/data.go": "$overlay/data.go",
	"$ld/zz_libct_order.go": "$here/_ld/order.go"
}}
JSON
go build -overlay "$overlay/overlay.json" -o "$out/link" cmd/link
