// main() of the test binaries that ctest runs once per instruction-set level (JUNCTION_ISA =
// avx512, avx2, scalar on x86-64; dotprod, neon, scalar on ARM64; labels isa-<level>, see
// tests/CMakeLists.txt). Where JUNCTION_ISA names a level this CPU cannot run, it runs no test and
// prints gtest's skip marker, which ctest reports as skipped: an AVX2 machine shows its avx512
// tests as skipped, neither passed nor dead of SIGILL. A level no build knows is a failure (a typo
// must not skip a whole suite).
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "core/error.h"
#include "kernels/ops.h"

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  if (GTEST_FLAG_GET(list_tests)) return RUN_ALL_TESTS();  // ctest's discovery, at build time
  try {
    junction::kernels::resolve_isa();
  } catch (const junction::Error& e) {
    const char* env = std::getenv("JUNCTION_ISA");
    const std::string_view level = env != nullptr ? env : "";
    const bool known = level == "avx512" || level == "avx2" || level == "dotprod" ||
                       level == "neon" || level == "scalar";
    std::printf("%s %s\n", known ? "[  SKIPPED ]" : "[  FAILED  ]", e.what());
    return known ? 0 : 1;
  }
  return RUN_ALL_TESTS();
}
