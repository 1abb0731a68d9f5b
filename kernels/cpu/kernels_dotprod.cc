// The kernel templates instantiated for Neon; compiled with the "dotprod" level's flags
// (kernels/CMakeLists.txt), where dot_s8 is one SDOT.
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

const IsaKernels& dotprod_kernels() {
  static const IsaKernels kernels = make_isa_kernels<Neon>("dotprod");
  return kernels;
}

}  // namespace junction::kernels
