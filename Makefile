# libct for Go. Targets: deps build test bench demo clean (and the stages
# of test: see below).
# Tests need root and the real kernel; see internal/testutil.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
export PATH := /usr/local/go/bin:$(PATH)
export DEBIAN_FRONTEND := noninteractive

GO        ?= go
# The release build links binaries that start containers statically: a
# registered Go function runs in a new image of the binary inside the
# container's root, where the host's dynamic loader and libc are not (see
# the README). STATIC and STATIC_ENV are for the benchmarks here; the
# scripts take the same from scripts/release-flags.sh.
STATIC    := -tags netgo,osusergo -ldflags '-linkmode=external -extldflags=-static'
# They link with musl when musl-gcc is there (make deps installs it), and
# with glibc otherwise: glibc's start-up asks the CPU its features with
# cpuid instructions, each a VM exit on a virtual machine, in ct and again
# in every init and enter stage it starts; musl's asks nothing, and its ct
# is smaller (bench/results.md has the figures). musl ships no kernel
# headers: the C stages get the system's linux/ and asm/ (Debian's
# linux-libc-dev, which gcc brings) after musl's own. STATIC_ENV is
# expanded when a recipe runs, after deps may have installed musl-gcc.
MUSL_INC  := $(CURDIR)/bin/musl-include
STATIC_ENV = $(if $(shell command -v musl-gcc 2>/dev/null),CC=musl-gcc CGO_CFLAGS='-O2 -g -idirafter $(MUSL_INC)')
# make build is scripts/build-release.sh: ct static, with musl, without
# Go 1.26's Green Tea collector (the script says what happens when Go
# removes that opt-out), linked by a copy of the Go linker that lays out
# first the functions a container's lifecycle runs, named in CT_ORDER
# (empty: the linker's own layout), so that `ct run` touches fewer pages
# of its text (build/linkorder/README.md). In CI (CI=true) a Go whose
# linker build/linkorder cannot hook fails the build; elsewhere ct is
# linked by the stock linker with a warning.
# After the link, build/linkorder/ordercheck reports the share of
# CT_ORDER's functions that exist in ct and fails below CT_ORDER_MIN
# percent. A renamed or removed function is merely no longer laid out
# first, so a few percent cost little; below the floor enough of the
# start path is scattered again that it is time to run
# build/linkorder/profile.sh. When the hook was used it also checks that
# ct's text starts with them.
# CT_BIN and CT_FLAGS let build/linkorder/profile.sh build its coverage
# and trial binaries the same way.
CT_ORDER  ?= build/linkorder/ct.order
CT_BIN    ?= bin/ct
CT_FLAGS  ?=
CT_ORDER_MIN ?= 90
PKGS      ?= ./...
TESTFLAGS ?=
BENCH     ?= .
# Debian packages the tests need (DEPS) and the demo (DEMO_DEPS), each with
# a file it installs. Packages that ship services (containerd) must not
# start them: the install runs under a policy-rc.d that says no, and the
# tests start their own daemons (docker.io's docker.service and
# docker.socket included).
DEMO_DEPS := busybox-static:/bin/busybox musl-tools:/usr/bin/musl-gcc
DEPS      := $(DEMO_DEPS) iproute2:/usr/sbin/ip uidmap:/usr/bin/newuidmap \
	containerd:/usr/bin/containerd podman:/usr/bin/podman docker.io:/usr/sbin/dockerd \
	shellcheck:/usr/bin/shellcheck

.DEFAULT_GOAL := build
.PHONY: all deps build build-plain build-nocgo test unit unit-plain unit-nocgo vmtest vmtest-plain \
	generate-check conformance conformance-plain runc-bats runc-bats-plain e2e soak vet fmt-check shellcheck bench bench-ci bench-scale demo clean

all: build test

deps:
	@scripts/deps.sh $(DEPS)

build: $(MUSL_INC)
	@CT_BIN='$(CT_BIN)' CT_ORDER='$(CT_ORDER)' CT_ORDER_MIN='$(CT_ORDER_MIN)' CT_FLAGS='$(CT_FLAGS)' GO='$(GO)' \
		scripts/build-release.sh
	$(GO) build -o bin/mkrootfs ./internal/testutil/cmd/mkrootfs

# The same by its relative name, as typed: make bin/musl-include.
bin/musl-include: $(MUSL_INC)

$(MUSL_INC):
	@mkdir -p $@
	@arch=$$(gcc -print-multiarch); \
	for d in /usr/include/linux /usr/include/asm-generic /usr/include/$$arch/asm; do \
		test -d $$d || { echo "$$d is missing (Debian's linux-libc-dev)" >&2; exit 1; }; \
		ln -sfn $$d $@/; \
	done

# Twice: the files of the CGO_ENABLED=0 build (*_nocgo.go) are vetted
# only without cgo.
vet:
	@echo "==> go vet $(PKGS)"
	@$(GO) vet $(PKGS)
	@echo "==> CGO_ENABLED=0 go vet $(PKGS)"
	@CGO_ENABLED=0 $(GO) vet $(PKGS)

fmt-check:
	@scripts/fmt-check.sh

# The generated files (codecs, syscall tables) must be what go generate
# makes today (scripts/generate-check.sh).
generate-check:
	@scripts/generate-check.sh

# The shell scripts of the build, CI, tests and benchmarks, at shellcheck's
# warning level (its style and info notes do not fail).
SH_SCRIPTS := .ci/run $(wildcard scripts/*.sh build/linkorder/*.sh bench/*.sh cgroups/*.sh)
shellcheck:
	@echo "==> shellcheck -x -S warning $(SH_SCRIPTS)"
	@shellcheck -x -S warning $(SH_SCRIPTS)

# make test runs scripts/test.sh: every stage below for each of the three
# builds (README, "Building"), each stage timed, all of them even when one
# fails (except those of a build whose binary could not be made), and a
# table of results at the end. BUILDS narrows it (make test BUILDS=plain).
#   release  build, unit, vmtest, conformance, runc-bats
#   plain    build-plain, unit-plain, vmtest-plain, conformance-plain,
#            runc-bats-plain
#   nocgo    build-nocgo, unit-nocgo
# Each ct binary is built once per run, and the suites of its build share
# it: test/'s engine tests take it as CT_BINARY (unit*), the validation
# suite as its runtime (conformance*). cmd/ct's tests need none: they run
# their own test binary as ct, built like the rest of that suite.
BUILDS ?= release plain nocgo
test: deps vet fmt-check shellcheck generate-check
	@BUILDS='$(BUILDS)' MAKE='$(MAKE)' scripts/test.sh
	@echo "==> test: PASS"

# The plain build, as `go build` and `go install` make it (cgo on, linked
# dynamically with glibc when gcc is there), and the one without cgo.
build-plain:
	$(GO) build -o bin/ct-plain ./cmd/ct
build-nocgo:
	CGO_ENABLED=0 $(GO) build -o bin/ct-nocgo ./cmd/ct

# The OCI runtime-tools validation suite against a ct (see
# ../shared/oci-validation and scripts/conformance.sh). It fails on a
# regression: fewer assertions passed, or more failed, than the floor
# below, which is the count of a run here (README, "Conformance") less
# margins for the suite's races (poststart's order against the program's
# own output, process_rlimits, killsig), which flake for every runtime.
VALIDATION      ?= $(CURDIR)/../shared/oci-validation/run.sh
CONFORMANCE_MIN ?= 3800
CONFORMANCE_MAX_FAILED ?= 29
conformance: build
	@scripts/conformance.sh bin/ct
conformance-plain: build-plain
	@scripts/conformance.sh bin/ct-plain

# runc v1.3.6's own integration suite against a ct (see ../shared/runc-bats
# and scripts/runc-bats.sh). It fails below the floor, which is ct's count
# on this kind of host less the tests the README names flaky (it lists
# what still fails, and why), or when a file hangs until its timeout.
RUNC_BATS       ?= $(CURDIR)/../shared/runc-bats/run.sh
RUNC_BATS_MIN   ?= 227
runc-bats: build
	@scripts/runc-bats.sh bin/ct
runc-bats-plain: build-plain
	@scripts/runc-bats.sh bin/ct-plain

# The Go test suite of PKGS (scripts/unit.sh), test/'s engine tests
# driving the ct of the same build. unit: with the release flags (static,
# musl), then the packages that start containers (GOINIT_PKGS) again with
# LIBCT_INIT=go and glibc: most starts go through the C init
# (internal/cinit), and this pass tests the Go init, its reference and
# fallback, as fully; glibc's constructors get their arguments from the C
# library rather than from /proc/self/cmdline (see internal/nsenter), so
# both ways are tested. unit-plain: plain `go test` (cgo, dynamic glibc).
# unit-nocgo: `CGO_ENABLED=0 go test`.
GOINIT_PKGS ?= . ./cmd/ct
unit: build $(MUSL_INC)
	@CT_BINARY=$(CURDIR)/bin/ct scripts/unit.sh release
unit-plain: build-plain
	@CT_BINARY=$(CURDIR)/bin/ct-plain scripts/unit.sh plain
unit-nocgo: build-nocgo
	@CT_BINARY=$(CURDIR)/bin/ct-nocgo scripts/unit.sh nocgo

# SOAK_KILLS random-delay (0-60 ms) SIGKILLs of bin/ct create and run -d,
# each followed by delete -f and a scan for leaks (scripts/soak.sh); it
# prints its counts and fails on any leak. CI does not run it.
SOAK_KILLS ?= 500
soak: build
	@scripts/soak.sh $(SOAK_KILLS)

# The engines alone: containerd, podman and Docker with bin/ct as their
# runtime (make unit runs them too, with the same bin/ct).
e2e: deps build
	@echo "==> e2e: containerd, podman and dockerd with bin/ct as their runtime"
	@CT_BINARY=$(CURDIR)/bin/ct $(GO) test -count=1 -v -timeout 10m ./test/...

# The cgroup v2 tests in the pure cgroup v2 guest of ../shared/vm (this
# machine is a v1 hybrid, without AppArmor), with CI=true there so that
# nothing is skipped: the cgroups package's whole suite, the security
# package's (AppArmor enforcement), and the library's tests named by
# VMTESTS (scripts/vmtest.sh). vmtest builds the library's test binary
# with the release flags; vmtest-plain builds all three with plain
# `go test -c`: run-in-vm.sh copies a dynamic executable's libraries into
# the guest, so the plain build needs no static binary there.
VM       ?= $(CURDIR)/../shared/vm/run-in-vm.sh
VMTESTS  ?= TestCgroup|TestPauseResume|TestKillable|TestAppArmorInContainer|ForeignFreezer|TestHostPIDNamespaceLeftovers
vmtest: $(MUSL_INC)
	@scripts/vmtest.sh release
vmtest-plain:
	@scripts/vmtest.sh plain

# bench: the library's Go benchmarks, then ct, crun and runc side by side
# on one busybox bundle (bench/compare.sh, RUNS runs per item).
RUNS ?= 100
bench: deps build
	$(STATIC_ENV) $(GO) test $(STATIC) -run '^$$' -bench '$(BENCH)' -benchmem -timeout 30m $(PKGS)
	bench/compare.sh $(RUNS)

# What CI runs after the tests, to show a performance regression: the Go
# benchmarks, 20 iterations each, and bench/compare.sh with 20 runs an
# item, whose table it prints (bench/results.md is left alone). It fails
# when a benchmark or the script does, never on a figure: these machines
# are too noisy for a timed gate.
bench-ci: deps build
	$(STATIC_ENV) $(GO) test $(STATIC) -run '^$$' -bench '$(BENCH)' -benchtime 20x -benchmem -timeout 30m $(PKGS)
	RESULTS= bench/compare.sh 20

# bench-scale: 1000 containers started, listed, killed and destroyed.
bench-scale: deps $(MUSL_INC)
	LIBCT_SCALE=1 $(STATIC_ENV) $(GO) test $(STATIC) -run '^$$' -bench '^BenchmarkScale$$' -benchtime 1x -timeout 30m .

demo:
	@$(MAKE) --no-print-directory deps DEPS="$(DEMO_DEPS)"
	@$(MAKE) --no-print-directory build
	scripts/demo.sh

clean:
	rm -rf bin/

# What the scripts take from make (command line or defaults). Last: an
# export before a variable's ?= would define it empty first.
export GO PKGS TESTFLAGS GOINIT_PKGS VM VMTESTS VALIDATION CONFORMANCE_MIN CONFORMANCE_MAX_FAILED \
	RUNC_BATS RUNC_BATS_MIN
