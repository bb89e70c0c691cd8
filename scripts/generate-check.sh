#!/usr/bin/env bash
# scripts/generate-check.sh: fails when a generated file (the easyjson
# codecs of the state and of config.json, the seccomp syscall tables) is
# not what `go generate ./...` makes from today's sources: a type changed
# without its codec, or a codec edited by hand. In a tree with changes of
# its own, only what go generate changes counts.
set -euo pipefail

cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.."
snapshot() { git status --porcelain --untracked-files=all; git diff | sha256sum; }
echo "==> go generate ./... (the generated files must not change)"
before=$(snapshot)
go generate ./...
if [ "$before" != "$(snapshot)" ]; then
	echo "generate-check: go generate changed the tree; commit what it made:" >&2
	git status --short >&2
	exit 1
fi
echo "==> generate-check: the generated files are up to date"
