# The two commands of a fresh Debian 12 machine: `make run` and `make test`.
# Both install missing Debian packages first (scripts/install_deps.sh), then build with CMake.

JOBS ?= $(shell nproc)
DEMO_MODEL ?= tests/data/models/qwen3-e2e-bf16

.PHONY: all deps configure build run test test-fast asan fuzz bench format clean

all: build

deps:
	@scripts/install_deps.sh

configure: deps
	@test -f build/build.ninja || cmake --preset release

build: configure
	@cmake --build --preset release -j $(JOBS)

# A tiny random-weight Qwen3 with the real Qwen3 tokenizer: the tokens are noise, but they come
# out of the whole pipeline. Point --model at a real checkpoint folder for real text.
run: build
	./build/junction run --model $(DEMO_MODEL) --chat "Hello! Who are you?" --max-tokens 32

test: build
	cd build && ctest -j $(JOBS) --output-on-failure

# Skips tests labelled slow.
test-fast: build
	cd build && ctest -j $(JOBS) --output-on-failure -LE slow

asan: deps
	@test -f build-asan/build.ninja || cmake --preset asan
	cmake --build --preset asan -j $(JOBS)
	cd build-asan && ctest -j $(JOBS) --output-on-failure

fuzz: deps
	@test -f build-fuzz/build.ninja || cmake --preset fuzz
	cmake --build --preset fuzz -j $(JOBS)

bench: build
	./build/bench/decode_bench --help >/dev/null 2>&1 || true
	@echo "benchmarks: see bench/README.md"

format:
	git ls-files '*.h' '*.cc' | xargs clang-format -i

clean:
	rm -rf build build-debug build-asan build-fuzz
