# shellcheck shell=bash
# scripts/release-flags.sh, sourced by the scripts of the release build
# (build-release.sh, unit.sh, vmtest.sh): the go flags and environment of
# the Makefile's STATIC and STATIC_ENV, as bash arrays.
#
# static: binaries that start containers are linked statically, since a
# registered Go function runs in a new image of the binary inside the
# container's root, where the host's loader and libc are not.
# musl: they link with musl when musl-gcc is there (make deps installs
# it): its start-up runs no cpuid (each a VM exit on a virtual machine;
# glibc's runs dozens). musl ships no kernel headers: the C stages get the
# system's linux/ and asm/ (bin/musl-include, made by the Makefile) after
# musl's own. libc names the one used.
# Run from the repository's top directory.

# shellcheck disable=SC2034 # used by the scripts that source this
static=(-tags 'netgo,osusergo' -ldflags '-linkmode=external -extldflags=-static')
musl=()
libc=glibc
if command -v musl-gcc >/dev/null 2>&1; then
	# shellcheck disable=SC2034
	musl=(CC=musl-gcc "CGO_CFLAGS=-O2 -g -idirafter $PWD/bin/musl-include")
	# shellcheck disable=SC2034
	libc=musl
fi
