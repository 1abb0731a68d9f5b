# Cross-compiling for 64-bit ARM Linux with Debian's aarch64-linux-gnu toolchain, on a Debian
# host with the arm64 architecture added (dpkg --add-architecture arm64) for the few target
# libraries the engine's tests link (GTest, OpenSSL's libcrypto) and the runtime libraries. Test
# binaries run under qemu-user: ctest and gtest_discover_tests prefix them with
# CMAKE_CROSSCOMPILING_EMULATOR.
# `-cpu max` gives the emulated CPU every extension qemu has (dotprod, i8mm, ...), so every arm64
# kernel level can run; JUNCTION_ISA picks which (scripts/test_arm64.sh runs each).
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)
set(CMAKE_CXX_COMPILER aarch64-linux-gnu-g++)
set(CMAKE_LIBRARY_ARCHITECTURE aarch64-linux-gnu)
# The programs run on the arm64 C and C++ runtimes of multiarch (libc6:arm64, libstdc++6:arm64 in
# /lib/aarch64-linux-gnu), not the cross toolchain's copies in /usr/aarch64-linux-gnu: under
# qemu 7.2 the first thread a program starts hangs with the cross glibc (2.36-8cross1), not with
# the multiarch one (2.36-9+deb12u*). Same ABI, so the cross-linked binaries run on either.
set(CMAKE_CROSSCOMPILING_EMULATOR qemu-aarch64;-cpu;max;-L;/)
# Multiarch: arm64 libraries live in /usr/lib/aarch64-linux-gnu beside the host's, headers in
# /usr/include; header-only packages (nlohmann_json) are found where the host has them.
set(ENV{PKG_CONFIG_LIBDIR} /usr/lib/aarch64-linux-gnu/pkgconfig:/usr/share/pkgconfig)
