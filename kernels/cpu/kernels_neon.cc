// The kernel templates instantiated for Neon; compiled with the "neon" level's flags
// (kernels/CMakeLists.txt): the ARMv8-A baseline.
#include <arm_neon.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include "kernels/cpu/isa_kernels.h"
#include "kernels/cpu/simd_neon-inl.h"
#include "kernels/quant/quant_ref.h"
#include "kernels/ref/ref_ops.h"

namespace junction::kernels {
namespace {
// The quantized dots first: the kernel templates call them.
#include "kernels/cpu/quant_dot_neon-inl.h"
// Q4_K weights packed at load.
#include "kernels/cpu/packed_k_quant_neon-inl.h"
// Q8_0 weights packed at load.
#include "kernels/cpu/packed_q8_0_kernels-inl.h"

#include "kernels/cpu/kernels_impl-inl.h"
}  // namespace

const IsaKernels& neon_kernels() {
  static const IsaKernels kernels = make_isa_kernels<Neon>("neon");
  return kernels;
}

}  // namespace junction::kernels
