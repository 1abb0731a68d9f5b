#!/usr/bin/env bash
# `make test-arm64`: cross-compiles the engine layers and their kernel, golden and GGUF suites
# for ARM64 with Debian's aarch64-linux-gnu toolchain and runs them under qemu-user, once per
# ARM64 kernel level (JUNCTION_ISA=dotprod, neon, scalar; qemu's `-cpu max` has every extension).
# Installs what is missing first: the cross compiler, qemu-user, and the arm64 builds of the two
# libraries the tests link (GTest, OpenSSL's libcrypto) and of the C and C++ runtimes the tests
# run on (cmake/aarch64-linux-gnu.cmake says why not the cross toolchain's), through Debian's
# multiarch.
# Speed cannot be judged under emulation; this proves the ARM64 kernels give the right numbers.
set -euo pipefail
cd "$(dirname "$0")/.."
JOBS=${JOBS:-$(nproc)}
BUILD=${BUILD_ARM64:-build-arm64}
LEVELS=${ARM64_LEVELS:-dotprod neon scalar}

sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }
missing=()
for p in cmake ninja-build nlohmann-json3-dev g++-aarch64-linux-gnu qemu-user \
  libgtest-dev:arm64 libssl-dev:arm64 libc6:arm64 libstdc++6:arm64; do
  installed "$p" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "test_arm64: installing ${missing[*]}"
  dpkg --print-foreign-architectures | grep -qx arm64 || $sudo dpkg --add-architecture arm64
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

if [ ! -f "$BUILD/build.ninja" ]; then
  cmake -S . -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_TOOLCHAIN_FILE=cmake/aarch64-linux-gnu.cmake -DJUNCTION_ENGINE_ONLY=ON \
    -DJUNCTION_BENCH=OFF
fi
cmake --build "$BUILD" -j "$JOBS"

# ctest registers the kernel, golden and GGUF suites once per ARM64 level (tests/CMakeLists.txt:
# labels isa-dotprod, isa-neon, isa-scalar); the slow long-context suite is left to x86-64.
cd "$BUILD"
for level in $LEVELS; do
  start=$(date +%s)
  ctest -j "$JOBS" --output-on-failure -LE slow -L "isa-$level"
  echo "test_arm64: level $level passed in $(($(date +%s) - start)) s"
done
start=$(date +%s)
ctest -j "$JOBS" --output-on-failure -LE 'slow|isa-'
echo "test_arm64: the suites without kernels passed in $(($(date +%s) - start)) s"
