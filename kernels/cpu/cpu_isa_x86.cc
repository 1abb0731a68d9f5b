// Which x86-64 kernel levels this CPU runs (cpuid), and each level's table. The other
// architectures have their own file (cpu_isa_arm64.cc); CMake builds the one for the target.
#include <cpuid.h>

#include <string_view>
#include <vector>

#include "kernels/cpu/isa_kernels.h"
#include "kernels/ops.h"

namespace junction::kernels {

namespace {
// F16C is CPUID.1:ECX bit 29 (clang's __builtin_cpu_supports does not know the name).
bool cpu_has_f16c() {
  unsigned a, b, c, d;
  return __get_cpuid(1, &a, &b, &c, &d) && (c & bit_F16C) != 0;
}
}  // namespace

std::string_view detect_cpu_isa() {
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
      __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq") &&
      __builtin_cpu_supports("avx512vnni") && __builtin_cpu_supports("fma") && cpu_has_f16c())
    return "avx512";
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && cpu_has_f16c())
    return "avx2";
  return "scalar";
}

std::vector<std::string_view> cpu_isa_levels() {
  const std::string_view best = detect_cpu_isa();
  std::vector<std::string_view> levels;
  if (best == "avx512") levels.push_back("avx512");
  if (best == "avx512" || best == "avx2") levels.push_back("avx2");
  levels.push_back("scalar");
  return levels;
}

const IsaKernels& level_kernels(std::string_view level) {
  if (level == "avx512") return avx512_kernels();
  if (level == "avx2") return avx2_kernels();
  return scalar_kernels();
}

}  // namespace junction::kernels
