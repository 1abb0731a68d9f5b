// The kernel levels a test runs: the level in force (JUNCTION_ISA, else the best this CPU runs)
// and every lower one this CPU runs, lowest ("scalar") first. ctest runs the kernel, golden and
// teacher-forced suites once per level (labels isa-avx512, isa-avx2, isa-scalar), so an AVX-512
// machine also proves the AVX2 and scalar paths; no table of a level the CPU lacks is ever built.
#pragma once

#include <algorithm>
#include <string_view>
#include <vector>

#include "kernels/cpu/isa_kernels.h"
#include "kernels/ops.h"

namespace junction::testing {

inline std::vector<std::string_view> isa_levels_under_test() {
  const std::string_view top = kernels::resolve_isa();
  const auto levels = kernels::cpu_isa_levels();  // best first
  std::vector<std::string_view> out(std::find(levels.begin(), levels.end(), top), levels.end());
  std::reverse(out.begin(), out.end());
  return out;
}

inline std::vector<const kernels::IsaKernels*> kernels_under_test() {
  std::vector<const kernels::IsaKernels*> out;
  for (const std::string_view level : isa_levels_under_test())
    out.push_back(&kernels::isa_kernels(level));
  return out;
}

}  // namespace junction::testing
