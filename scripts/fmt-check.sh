#!/usr/bin/env bash
# scripts/fmt-check.sh: fails when a Go file of the module is not as
# gofmt writes it, and names the files.
set -euo pipefail

cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.."
echo "==> gofmt check"
bad=$(find . -name '*.go' -not -path './.git/*' -not -path './vendor/*' -not -path '*/testdata/*' -print0 |
	xargs -0 -r gofmt -l)
if [ -n "$bad" ]; then
	echo "these files are not gofmt-formatted (run gofmt -w on them):" >&2
	sed 's/^/    /' <<<"$bad" >&2
	exit 1
fi
