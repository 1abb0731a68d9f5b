// The kernel templates instantiated for Avx512; compiled with that instruction set's flags.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include "kernels/cpu/isa_kernels.h"
#include "kernels/cpu/simd_avx512-inl.h"
#include "kernels/quant/quant_ref.h"
#include "kernels/ref/ref_ops.h"

namespace junction::kernels {
namespace {
// The quantized dots first: the kernel templates call them.
#include "kernels/cpu/quant_dot_impl-inl.h"
// Q4_K weights packed at load.
#include "kernels/cpu/packed_k_quant_kernels-inl.h"
// The Q8_0 prefill GEMM on VNNI (used by quant_matmul_rows for > 1 token).
#include "kernels/cpu/q8_0_gemm_vnni-inl.h"
// Q8_0 weights packed at load (its prefill reads them through the GEMM above).
#include "kernels/cpu/packed_q8_0_kernels-inl.h"
// Activation quantization, called by the CPU backend before each quantized matmul.
#include "kernels/cpu/quantize_activations_avx512-inl.h"

#include "kernels/cpu/kernels_impl-inl.h"
}  // namespace

const IsaKernels& avx512_kernels() {
  static const IsaKernels kernels = make_isa_kernels<Avx512>("avx512");
  return kernels;
}

}  // namespace junction::kernels
