// Matmuls on Q4_K / Q6_K weights in the interleaved layout of packed_k_quant.h, on ARM64 Advanced
// SIMD: packed_k_quant_kernels-inl.h's counterpart, included by kernels_neon.cc and
// kernels_dotprod.cc inside their anonymous namespaces after quant_dot_neon-inl.h.
//
// The same design as the x86 decode kernels: one group of 16 rows per step, rows kept in lanes
// to the end (four 4-lane vectors, rows 4q .. 4q + 3 in vector q), per 16 bytes of codes (one
// 32-bit word of 4 rows) a mask or shift and one dot_s8 against 4 activations broadcast to every
// row's lane; each sub-block's sums scaled by the rows' scales once; Q4_K's minima and Q6_K's +32
// offset through the activations' 16-element sums.
//
// Numbers: per super-block the integer sums are exactly vec_dot_q4_k's / vec_dot_q6_k's, finished
// per row in their float order (Q4_K sum += fma(y.d * d, total, -(y.d * dmin * mins)); Q6_K
// sum = fma(d * y.d, total, sum)), so packed equals stored and every level equals the scalar
// level's plain version bit for bit. Prefill runs the decode kernel for each token while the
// group is in cache (no GEMM on the packed layout here yet), so prefill equals decode too.

// Rows 4q .. 4q + 3's bytes (one per row) widened to int32 lanes.
inline int32x4_t widen4_u8(const uint8_t* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return vreinterpretq_s32_u32(
      vmovl_u16(vget_low_u16(vmovl_u8(vreinterpret_u8_u32(vdup_n_u32(v))))));
}

// Rows 4q .. 4q + 3 of a [row][2] pair table of int16-sized values (8 entries as int16 lanes:
// row 0's pair, row 1's, ...) times the pair (b0, b1), summed per row: lane r = p[r][0] b0 +
// p[r][1] b1.
inline int32x4_t pair_dot4(int16x8_t pairs, const int16_t* b) {
  int32_t v;
  std::memcpy(&v, b, 4);
  const int16x8_t bb = vreinterpretq_s16_s32(vdupq_n_s32(v));
  return vpaddq_s32(vmull_s16(vget_low_s16(pairs), vget_low_s16(bb)), vmull_high_s16(pairs, bb));
}

// out[r] = dot(row 16g + r, token y) for the 16 rows of one group.
inline void packed_q4_k_group_dot(const BlockQ4_Kx16* blocks, int64_t nsb,
                                  const quant::BlockQ8_K* y, const int16_t* bs2, float* out) {
  const uint8x16_t low = vdupq_n_u8(0x0F);
  float32x4_t sum[4];
  for (auto& s : sum) s = vdupq_n_f32(0.0f);
  for (int64_t i = 0; i < nsb; ++i) {
    const BlockQ4_Kx16& b = blocks[i];
    const int8_t* q8 = y[i].qs;
    int32x4_t acc[4];
    for (auto& a : acc) a = vdupq_n_s32(0);
    for (int c = 0; c < 4; ++c) {
      int32x4_t lo[4], hi[4];
      for (int q = 0; q < 4; ++q) lo[q] = hi[q] = vdupq_n_s32(0);
      for (int v = 0; v < 8; ++v) {
        const int8x16_t ya = broadcast4_s8(q8 + 64 * c + 4 * v);
        const int8x16_t yb = broadcast4_s8(q8 + 64 * c + 32 + 4 * v);
        for (int q = 0; q < 4; ++q) {
          const uint8x16_t w = vld1q_u8(b.qs[8 * c + v][4 * q]);
          lo[q] = dot_s8(lo[q], vreinterpretq_s8_u8(vandq_u8(w, low)), ya);
          hi[q] = dot_s8(hi[q], vreinterpretq_s8_u8(vshrq_n_u8(w, 4)), yb);
        }
      }
      for (int q = 0; q < 4; ++q) {
        acc[q] = vmlaq_s32(acc[q], lo[q], widen4_u8(b.scales[2 * c] + 4 * q));
        acc[q] = vmlaq_s32(acc[q], hi[q], widen4_u8(b.scales[2 * c + 1] + 4 * q));
      }
    }
    const float32x4_t yd = vdupq_n_f32(y[i].d);
    for (int q = 0; q < 4; ++q) {
      int32x4_t mins = vdupq_n_s32(0);
      for (int j = 0; j < 4; ++j)
        mins = vaddq_s32(mins, pair_dot4(vreinterpretq_s16_u16(vmovl_u8(vld1_u8(b.mins[j][4 * q]))),
                                         bs2 + i * 8 + 2 * j));
      const float32x4_t d = vcvt_f32_f16(vreinterpret_f16_u16(vld1_u16(b.d + 4 * q)));
      const float32x4_t dmin = vcvt_f32_f16(vreinterpret_f16_u16(vld1_u16(b.dmin + 4 * q)));
      const float32x4_t min_part = vmulq_f32(vmulq_f32(yd, dmin), vcvtq_f32_s32(mins));
      sum[q] = vaddq_f32(sum[q],
                         vfmaq_f32(vnegq_f32(min_part), vmulq_f32(yd, d), vcvtq_f32_s32(acc[q])));
    }
  }
  for (int q = 0; q < 4; ++q) vst1q_f32(out + 4 * q, sum[q]);
}

// out[r] = dot(row 16g + r, token y) for a group of Q6_K rows. Codes (value + 32) are rebuilt
// from the low-4-bit and high-2-bit planes in place; sums per 16-element group are scaled by
// that group's scales. One quarter of the rows at a time keeps the 8 partial sums in registers.
inline void packed_q6_k_group_dot(const BlockQ6_Kx16* blocks, int64_t nsb,
                                  const quant::BlockQ8_K* y, float* out) {
  const uint8x16_t m0f = vdupq_n_u8(0x0F), m03 = vdupq_n_u8(0x03), m0c = vdupq_n_u8(0x0C);
  const uint8x16_t m30 = vdupq_n_u8(0x30), mc0 = vdupq_n_u8(0xC0);
  float32x4_t sum[4];
  for (auto& s : sum) s = vdupq_n_f32(0.0f);
  for (int64_t i = 0; i < nsb; ++i) {
    const BlockQ6_Kx16& b = blocks[i];
    const int8_t* q8 = y[i].qs;
    for (int q = 0; q < 4; ++q) {
      // Each 16-element group pair's scales for these 4 rows: [row][group 2j, 2j + 1] as int16.
      int16x8_t pair[8];
      int32x4_t offset = vdupq_n_s32(0);  // sum of scale x 16-element activation sum, per row
      for (int j = 0; j < 8; ++j) {
        pair[j] = vmovl_s8(vld1_s8(b.scales[j][4 * q]));
        offset = vaddq_s32(offset, pair_dot4(pair[j], y[i].bsums + 2 * j));
      }
      int32x4_t acc = vdupq_n_s32(0);
      for (int h = 0; h < 2; ++h) {
        int32x4_t part[4][2];  // [quarter][first / second 16 elements of its 32]
        for (auto& p : part) p[0] = p[1] = vdupq_n_s32(0);
        for (int v = 0; v < 8; ++v) {
          const uint8x16_t wa = vld1q_u8(b.ql[16 * h + v][4 * q]);
          const uint8x16_t wb = vld1q_u8(b.ql[16 * h + 8 + v][4 * q]);
          const uint8x16_t wh = vld1q_u8(b.qh[8 * h + v][4 * q]);
          const uint8x16_t c[4] = {
              vorrq_u8(vandq_u8(wa, m0f), vshlq_n_u8(vandq_u8(wh, m03), 4)),
              vorrq_u8(vandq_u8(wb, m0f), vshlq_n_u8(vandq_u8(wh, m0c), 2)),
              vorrq_u8(vshrq_n_u8(wa, 4), vandq_u8(wh, m30)),
              vorrq_u8(vshrq_n_u8(wb, 4), vshrq_n_u8(vandq_u8(wh, mc0), 2)),
          };
          for (int k = 0; k < 4; ++k)
            part[k][v / 4] = dot_s8(part[k][v / 4], vreinterpretq_s8_u8(c[k]),
                                    broadcast4_s8(q8 + 128 * h + 32 * k + 4 * v));
        }
        for (int k = 0; k < 4; ++k) {  // groups 8h + 2k and 8h + 2k + 1: scale pair j = 4h + k
          const int16x8_t s = pair[4 * h + k];
          const int32x4_t even = vmovl_s16(vget_low_s16(vuzp1q_s16(s, s)));
          const int32x4_t odd = vmovl_s16(vget_low_s16(vuzp2q_s16(s, s)));
          acc = vmlaq_s32(vmlaq_s32(acc, part[k][0], even), part[k][1], odd);
        }
      }
      const int32x4_t total = vsubq_s32(acc, vshlq_n_s32(offset, 5));
      sum[q] = vfmaq_f32(sum[q], vmulq_f32(vld1q_f32(b.d + 4 * q), vdupq_n_f32(y[i].d)),
                         vcvtq_f32_s32(total));
    }
  }
  for (int q = 0; q < 4; ++q) vst1q_f32(out + 4 * q, sum[q]);
}

#include "kernels/cpu/packed_k_quant_gemv-inl.h"

// Prefill: the same kernel, token after token per group.
void packed_matmul_unpacked(const std::byte* xq, size_t xq_row_bytes, int64_t n_tokens,
                            const PackedKQuant& p, int64_t row_begin, int64_t row_end, float* y) {
  packed_matmul_gemv(xq, xq_row_bytes, n_tokens, p, row_begin, row_end, y);
}
