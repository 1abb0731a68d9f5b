// The kernel templates instantiated for Scalar; compiled with that instruction set's flags.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include "kernels/cpu/isa_kernels.h"
#include "kernels/cpu/simd_scalar-inl.h"
#include "kernels/quant/quant_ref.h"
#include "kernels/ref/ref_ops.h"

namespace junction::kernels {
namespace {
// The quantized dots in the SIMD kernels' float order: the kernel templates call them.
#include "kernels/cpu/quant_dot_scalar-inl.h"

bool has_unpacked_dot(DType) {
  return false;
}
void quant_matmul_unpacked(const std::byte*, size_t, int64_t, const WeightView&, int64_t, int64_t,
                           float*) {}

// Packed Q4_K / Q6_K in plain C++: the reference's integer sums per super-block, finished in the
// SIMD kernels' float order (std::fma is exact without an FMA unit too), so all levels agree.
float packed_q4_k_row_dot(const BlockQ4_Kx16* blocks, int64_t nsb, int r,
                          const quant::BlockQ8_K* a) {
  float sum = 0.0f;
  for (int64_t i = 0; i < nsb; ++i) {
    const BlockQ4_Kx16& b = blocks[i];
    int total = 0, mins = 0;
    for (int sub = 0; sub < 8; ++sub) {
      int dot = 0;
      for (int l = 0; l < 32; ++l)
        dot += packed_q4_k_code(b, r, 32 * sub + l) * a[i].qs[32 * sub + l];
      total += b.scales[sub][r] * dot;
      mins += b.mins[sub / 2][r][sub % 2] * (a[i].bsums[2 * sub] + a[i].bsums[2 * sub + 1]);
    }
    const float d = f16_to_f32(b.d[r]), dmin = f16_to_f32(b.dmin[r]);
    sum = sum + std::fma(a[i].d * d, static_cast<float>(total),
                         -(a[i].d * dmin * static_cast<float>(mins)));
  }
  return sum;
}
float packed_q6_k_row_dot(const BlockQ6_Kx16* blocks, int64_t nsb, int r,
                          const quant::BlockQ8_K* a) {
  float sum = 0.0f;
  for (int64_t i = 0; i < nsb; ++i) {
    const BlockQ6_Kx16& b = blocks[i];
    int total = 0;
    for (int g = 0; g < 16; ++g) {
      int dot = 0;
      for (int l = 0; l < 16; ++l)
        dot += (packed_q6_k_code(b, r, 16 * g + l) - 32) * a[i].qs[16 * g + l];
      total += b.scales[g / 2][r][g % 2] * dot;
    }
    sum = std::fma(b.d[r] * a[i].d, static_cast<float>(total), sum);
  }
  return sum;
}
void packed_matmul_gemv(const std::byte* xq, size_t xq_row_bytes, int64_t n_tokens,
                        const PackedKQuant& p, int64_t row_begin, int64_t row_end, float* y) {
  for (int64_t n = row_begin; n < row_end; ++n) {
    const int64_t g = n / kPackedRows;
    const int r = static_cast<int>(n % kPackedRows);
    for (int64_t t = 0; t < n_tokens; ++t) {
      const auto* a = reinterpret_cast<const quant::BlockQ8_K*>(xq + t * xq_row_bytes);
      y[t * p.rows() + n] =
          p.dtype() == DType::Q4_K
              ? packed_q4_k_row_dot(p.group<BlockQ4_Kx16>(g), p.super_blocks(), r, a)
              : packed_q6_k_row_dot(p.group<BlockQ6_Kx16>(g), p.super_blocks(), r, a);
    }
  }
}
void packed_matmul_unpacked(const std::byte* xq, size_t xq_row_bytes, int64_t n_tokens,
                            const PackedKQuant& p, int64_t row_begin, int64_t row_end, float* y) {
  packed_matmul_gemv(xq, xq_row_bytes, n_tokens, p, row_begin, row_end, y);
}

// Q8_0 weights packed at load (its plain C++ version).
#include "kernels/cpu/packed_q8_0_kernels-inl.h"

#include "kernels/cpu/kernels_impl-inl.h"
}  // namespace

const IsaKernels& scalar_kernels() {
  static const IsaKernels kernels = make_isa_kernels<Scalar>("scalar");
  return kernels;
}

}  // namespace junction::kernels
