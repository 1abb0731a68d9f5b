// Dot products of quantized weight rows with quantized activations (Q8_0 / Q8_K) on ARM64
// Advanced SIMD: quant_dot_impl-inl.h's counterpart, included by kernels_neon.cc and
// kernels_dotprod.cc inside their anonymous namespaces. Types without a version here (Q5_K, ...)
// use the scalar reference, whose float order Q5_K must keep (see quant::vec_dot_ref).
//
// The inner step is dot_s8: each int32 lane gains the sum of four int8 products, a[4l..4l+3] x
// b[4l..4l+3]. With the dot product extension (ARMv8.2, the "dotprod" level) that is one SDOT, as
// vpdpbusd is on AVX-512 VNNI; on the baseline ("neon") it is widening multiplies and two
// pairwise adds, as maddubs + madd are on AVX2. Both give the same lanes, so every float below
// sees the same integers at both levels. All codes fit int8 as they are (Q4_K 0..15, Q6_K
// value + 32 in 0..63, Q8_0 -128..127, Q4_0 code - 8), so no sign trick or offset is needed.
//
// Float order: the x86 levels' (quant_dot_impl-inl.h), which the packed kernels
// (packed_k_quant_neon-inl.h, packed_q8_0_kernels-inl.h) and the scalar level's plain versions of
// them keep too: Q8_0 as 8 lanes (two 4-lane vectors) with one fma each per block, summed as
// hsum_f32 sums 8 lanes (Q4_0 too); Q4_K and Q6_K finished per super-block in ggml's scalar order.
// Decode on stored and packed weights and prefill therefore agree bit for bit, at every level.

inline float h2f(uint16_t h) {
  return vgetq_lane_f32(vcvt_f32_f16(vreinterpret_f16_u16(vdup_n_u16(h))), 0);
}

inline int32x4_t dot_s8(int32x4_t acc, int8x16_t a, int8x16_t b) {
#if defined(__ARM_FEATURE_DOTPROD)
  return vdotq_s32(acc, a, b);
#else
  // int8 x int8 fits int16 (|-128 x -128| = 2^14); pairs of those fit int32.
  const int32x4_t lo = vpaddlq_s16(vmull_s8(vget_low_s8(a), vget_low_s8(b)));
  const int32x4_t hi = vpaddlq_s16(vmull_high_s8(a, b));
  return vaddq_s32(acc, vpaddq_s32(lo, hi));
#endif
}

// Eight float lanes held as lanes 0-3 and 4-7, summed in hsum_f32's order (quant_dot_impl-inl.h):
// s = lo + hi, then (s0 + s2) + (s1 + s3).
inline float hsum8_f32(float32x4_t lo, float32x4_t hi) {
  const float32x4_t s = vaddq_f32(lo, hi);
  const float32x2_t h = vadd_f32(vget_low_f32(s), vget_high_f32(s));
  return vget_lane_f32(vpadd_f32(h, h), 0);
}

// Four bytes broadcast to every 32-bit lane: the activations every row's lane multiplies.
inline int8x16_t broadcast4_s8(const int8_t* p) {
  int32_t v;
  std::memcpy(&v, p, 4);
  return vreinterpretq_s8_s32(vdupq_n_s32(v));
}

float vec_dot_q8_0(DType, const std::byte* row, const void* activations, int64_t n) {
  const auto* x = reinterpret_cast<const quant::BlockQ8_0*>(row);
  const auto* y = static_cast<const quant::BlockQ8_0*>(activations);
  float32x4_t acc_lo = vdupq_n_f32(0.0f), acc_hi = vdupq_n_f32(0.0f);
  for (int64_t i = 0; i < n / quant::kQK; ++i) {
    const int32x4_t lo = dot_s8(vdupq_n_s32(0), vld1q_s8(x[i].qs), vld1q_s8(y[i].qs));
    const int32x4_t hi = dot_s8(vdupq_n_s32(0), vld1q_s8(x[i].qs + 16), vld1q_s8(y[i].qs + 16));
    const float32x4_t d = vdupq_n_f32(h2f(x[i].d) * h2f(y[i].d));
    acc_lo = vfmaq_f32(acc_lo, vcvtq_f32_s32(lo), d);
    acc_hi = vfmaq_f32(acc_hi, vcvtq_f32_s32(hi), d);
  }
  return hsum8_f32(acc_lo, acc_hi);
}

float vec_dot_q4_0(DType, const std::byte* row, const void* activations, int64_t n) {
  const auto* x = reinterpret_cast<const quant::BlockQ4_0*>(row);
  const auto* y = static_cast<const quant::BlockQ8_0*>(activations);
  const uint8x16_t low4 = vdupq_n_u8(0x0F);
  const int8x16_t eight = vdupq_n_s8(8);
  float32x4_t acc_lo = vdupq_n_f32(0.0f), acc_hi = vdupq_n_f32(0.0f);
  for (int64_t i = 0; i < n / quant::kQK; ++i) {
    // Elements 0..15 are the low nibbles, 16..31 the high ones; values code - 8.
    const uint8x16_t packed = vld1q_u8(x[i].qs);
    const int8x16_t lo_w = vsubq_s8(vreinterpretq_s8_u8(vandq_u8(packed, low4)), eight);
    const int8x16_t hi_w = vsubq_s8(vreinterpretq_s8_u8(vshrq_n_u8(packed, 4)), eight);
    const int32x4_t lo = dot_s8(vdupq_n_s32(0), lo_w, vld1q_s8(y[i].qs));
    const int32x4_t hi = dot_s8(vdupq_n_s32(0), hi_w, vld1q_s8(y[i].qs + 16));
    const float32x4_t d = vdupq_n_f32(h2f(x[i].d) * h2f(y[i].d));
    acc_lo = vfmaq_f32(acc_lo, vcvtq_f32_s32(lo), d);
    acc_hi = vfmaq_f32(acc_hi, vcvtq_f32_s32(hi), d);
  }
  return hsum8_f32(acc_lo, acc_hi);
}

float vec_dot_q4_k(DType, const std::byte* row, const void* activations, int64_t n) {
  const auto* x = reinterpret_cast<const quant::BlockQ4_K*>(row);
  const auto* y = static_cast<const quant::BlockQ8_K*>(activations);
  const uint8x16_t low4 = vdupq_n_u8(0x0F);
  float sum = 0.0f;
  for (int64_t i = 0; i < n / quant::kQK_K; ++i) {
    uint8_t sc[8], m[8];
    for (int j = 0; j < 8; ++j) quant::scale_min_k4(j, x[i].scales, &sc[j], &m[j]);
    int32x4_t acc = vdupq_n_s32(0);
    for (int c = 0; c < 4; ++c) {
      int32x4_t dlo = vdupq_n_s32(0), dhi = vdupq_n_s32(0);
      for (int k = 0; k < 2; ++k) {  // byte l holds element l (low nibble) and l + 32 (high)
        const uint8x16_t packed = vld1q_u8(x[i].qs + 32 * c + 16 * k);
        dlo = dot_s8(dlo, vreinterpretq_s8_u8(vandq_u8(packed, low4)),
                     vld1q_s8(y[i].qs + 64 * c + 16 * k));
        dhi = dot_s8(dhi, vreinterpretq_s8_u8(vshrq_n_u8(packed, 4)),
                     vld1q_s8(y[i].qs + 64 * c + 32 + 16 * k));
      }
      acc = vmlaq_n_s32(acc, dlo, sc[2 * c]);
      acc = vmlaq_n_s32(acc, dhi, sc[2 * c + 1]);
    }
    int mins = 0;
    for (int j = 0; j < 8; ++j) mins += m[j] * (y[i].bsums[2 * j] + y[i].bsums[2 * j + 1]);
    sum += std::fma(y[i].d * h2f(x[i].d), static_cast<float>(vaddvq_s32(acc)),
                    -(y[i].d * h2f(x[i].dmin) * static_cast<float>(mins)));
  }
  return sum;
}

float vec_dot_q6_k(DType, const std::byte* row, const void* activations, int64_t n) {
  const auto* x = reinterpret_cast<const quant::BlockQ6_K*>(row);
  const auto* y = static_cast<const quant::BlockQ8_K*>(activations);
  const uint8x16_t low4 = vdupq_n_u8(0x0F), two = vdupq_n_u8(3);
  float sum = 0.0f;
  for (int64_t i = 0; i < n / quant::kQK_K; ++i) {
    int32x4_t acc = vdupq_n_s32(0);
    for (int half = 0; half < 2; ++half) {
      for (int k = 0; k < 2; ++k) {  // elements 16k .. 16k + 15 of each 32-element run
        const uint8_t* ql = x[i].ql + 64 * half + 16 * k;
        const uint8x16_t qh = vld1q_u8(x[i].qh + 32 * half + 16 * k);
        const uint8x16_t ql_a = vld1q_u8(ql), ql_b = vld1q_u8(ql + 32);
        // Codes 0..63 (value + 32) of the four 32-element runs of this half.
        const uint8x16_t u[4] = {
            vorrq_u8(vandq_u8(ql_a, low4), vshlq_n_u8(vandq_u8(qh, two), 4)),
            vorrq_u8(vandq_u8(ql_b, low4), vshlq_n_u8(vandq_u8(vshrq_n_u8(qh, 2), two), 4)),
            vorrq_u8(vshrq_n_u8(ql_a, 4), vshlq_n_u8(vandq_u8(vshrq_n_u8(qh, 4), two), 4)),
            vorrq_u8(vshrq_n_u8(ql_b, 4), vshlq_n_u8(vshrq_n_u8(qh, 6), 4)),
        };
        for (int run = 0; run < 4; ++run) {
          const int element = 128 * half + 32 * run + 16 * k;
          const int32x4_t d =
              dot_s8(vdupq_n_s32(0), vreinterpretq_s8_u8(u[run]), vld1q_s8(y[i].qs + element));
          acc = vmlaq_n_s32(acc, d, x[i].scales[element / 16]);
        }
      }
    }
    int offset = 0;  // the codes carry +32: subtract 32 * sum of each group's activations
    for (int g = 0; g < 16; ++g) offset += x[i].scales[g] * y[i].bsums[g];
    sum = std::fma(h2f(x[i].d) * y[i].d, static_cast<float>(vaddvq_s32(acc) - 32 * offset), sum);
  }
  return sum;
}

// Prefill on stored rows runs the decode dot per token (no unpacked-row GEMM here yet): prefill
// and decode are then the same arithmetic by construction.
bool has_unpacked_dot(DType) {
  return false;
}
void quant_matmul_unpacked(const std::byte*, size_t, int64_t, const WeightView&, int64_t, int64_t,
                           float*) {}

using QuantDot = float (*)(DType, const std::byte*, const void*, int64_t);

QuantDot quant_vec_dot(DType type) {
  switch (type) {
    case DType::Q8_0:
      return &vec_dot_q8_0;
    case DType::Q4_0:
      return &vec_dot_q4_0;
    case DType::Q4_K:
      return &vec_dot_q4_k;
    case DType::Q6_K:
      return &vec_dot_q6_k;
    default:
      return &quant::vec_dot_ref;
  }
}
