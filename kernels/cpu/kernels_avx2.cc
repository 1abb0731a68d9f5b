// The kernel templates instantiated for Avx2; compiled with that instruction set's flags.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include "kernels/cpu/isa_kernels.h"
#include "kernels/cpu/simd_avx2-inl.h"
#include "kernels/quant/quant_ref.h"
#include "kernels/ref/ref_ops.h"

namespace junction::kernels {
namespace {
// The quantized dots first: the kernel templates call them.
#include "kernels/cpu/quant_dot_impl-inl.h"
// Q4_K weights packed at load.
#include "kernels/cpu/packed_k_quant_kernels-inl.h"
// The Q8_0 prefill GEMM (used by quant_matmul_rows and for Q8_0 packed at load).
#include "kernels/cpu/q8_0_gemm_avx2-inl.h"
// Q8_0 weights packed at load.
#include "kernels/cpu/packed_q8_0_kernels-inl.h"
// Activation quantization, called by the CPU backend before each quantized matmul.
#include "kernels/cpu/quantize_activations_avx2-inl.h"

#include "kernels/cpu/kernels_impl-inl.h"
}  // namespace

const IsaKernels& avx2_kernels() {
  static const IsaKernels kernels = make_isa_kernels<Avx2>("avx2");
  return kernels;
}

}  // namespace junction::kernels
