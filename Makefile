# The two commands of a fresh Debian 12 machine: `make run` and `make test`.
# Both install missing Debian packages first (scripts/install_deps.sh), then build with CMake.

JOBS ?= $(shell nproc)
DEMO_MODEL ?= tests/data/models/qwen3-e2e-bf16
PORT ?= 8080

.PHONY: all deps configure build run chat test test-fast test-arm64 asan fuzz bench format clean

all: build

deps:
	@scripts/install_deps.sh

configure: deps
	@test -f build/build.ninja || cmake --preset release

build: configure
	@cmake --build --preset release -j $(JOBS)

# Serves the default model on http://127.0.0.1:8080/v1: $$JUNCTION_MODEL, else a pulled
# DeepSeek-R1-0528-Qwen3-8B, else the bundled tiny demo model (random weights, real Qwen3
# tokenizer; it says so at start-up).
run: build
	./build/junction serve $(if $(JUNCTION_MODEL),--model $(JUNCTION_MODEL),) --host 127.0.0.1 --port $(PORT)

# One chat turn from the command line, without a server.
chat: build
	./build/junction run --model $(DEMO_MODEL) --chat "Hello! Who are you?" --max-tokens 32

test: build
	cd build && ctest -j $(JOBS) --output-on-failure

# Skips tests labelled slow.
test-fast: build
	cd build && ctest -j $(JOBS) --output-on-failure -LE slow

# The engine's kernel, golden and GGUF suites cross-compiled for ARM64 and run under qemu-user at
# every ARM64 kernel level (installs the cross toolchain and qemu when missing).
test-arm64:
	@JOBS=$(JOBS) scripts/test_arm64.sh

asan: deps
	@test -f build-asan/build.ninja || cmake --preset asan
	cmake --build --preset asan -j $(JOBS)
	cd build-asan && ctest -j $(JOBS) --output-on-failure

fuzz: deps
	@test -f build-fuzz/build.ninja || cmake --preset fuzz
	cmake --build --preset fuzz -j $(JOBS)

# Builds the benchmarks (and build/junction, whose bench-model is the end-to-end one) and prints
# how to run each; bench/README.md says what each measures. Runs none: timings want a quiet machine.
bench: configure
	@cmake --build --preset release -j $(JOBS) --target benchmarks
	@awk '/^<!-- make bench: end/ { exit } f && !/^```/ { print } /^<!-- make bench:/ { f = 1 }' bench/README.md

format:
	git ls-files '*.h' '*.cc' | xargs clang-format -i

clean:
	rm -rf build build-debug build-asan build-fuzz build-arm64
