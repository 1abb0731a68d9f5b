// Which ARM64 kernel levels this CPU runs, and each level's table. Advanced SIMD (NEON) is part
// of the ARMv8-A baseline, so "neon" always runs; "dotprod" (the ARMv8.2 SDOT instruction, four
// int8 products summed into each int32 lane) is optional and reported by the kernel in the
// auxiliary vector (HWCAP_ASIMDDP), as every CPU feature a user program may use on Linux is.
#include <sys/auxv.h>

#include <string_view>
#include <vector>

#include "kernels/cpu/isa_kernels.h"
#include "kernels/ops.h"

namespace junction::kernels {

namespace {
// From the kernel's <asm/hwcap.h> (Linux 4.15+), spelled out so older headers build too.
constexpr unsigned long kHwcapAsimdDotProduct = 1ul << 20;
}  // namespace

std::string_view detect_cpu_isa() {
  if ((getauxval(AT_HWCAP) & kHwcapAsimdDotProduct) != 0) return "dotprod";
  return "neon";
}

std::vector<std::string_view> cpu_isa_levels() {
  const std::string_view best = detect_cpu_isa();
  std::vector<std::string_view> levels;
  if (best == "dotprod") levels.push_back("dotprod");
  levels.push_back("neon");
  levels.push_back("scalar");
  return levels;
}

const IsaKernels& level_kernels(std::string_view level) {
  if (level == "dotprod") return dotprod_kernels();
  if (level == "neon") return neon_kernels();
  return scalar_kernels();
}

}  // namespace junction::kernels
