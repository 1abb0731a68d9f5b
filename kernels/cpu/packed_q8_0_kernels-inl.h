// Matmuls on Q8_0 weights in the 16-row layout of packed_q8_0.h. Included by kernels_avx512.cc
// and kernels_avx2.cc after quant_dot_impl-inl.h (and q8_0_gemm_vnni-inl.h on AVX-512), by
// kernels_neon.cc and kernels_dotprod.cc after quant_dot_neon-inl.h, and by kernels_scalar.cc,
// inside their anonymous namespaces; each gets the version for its flags.
//
// Decode (and a few tokens): one group of 16 rows per step, the group's blocks read in order.
// On AVX-512 one 64-byte load holds block b of two rows; against the token's block broadcast to
// both halves, one vpdpbusd gives the 8 int32 lanes (sums of 4 byte products) of each row, which
// are converted and accumulated with one fma by the row's scale x the token's scale, 8 float
// lanes per row, and summed across lanes once per row at the end.
//
// Numbers: exactly vec_dot_q8_0's (quant_dot_impl-inl.h), so decode on packed weights equals decode
// and prefill on stored ones bit for bit: the same int32 lanes, the same scale product
// h2f(w.d) * h2f(a.d), the same fma per block and lane, the same 8-lane sum (hsum_f32's order).
// vpdpbusd multiplies unsigned by signed bytes; instead of the sign trick the codes are flipped
// to w + 128 and each lane starts at -128 x (sum of its 4 activation bytes), computed once per
// token: sum (w + 128) a - 128 sum a = sum w a, exactly.
//
// More tokens: on AVX-512 VNNI the prefill GEMM (q8_0_gemm_vnni-inl.h) on row tiles copied out of
// the packed copy, on AVX2 its GEMM (q8_0_gemm_avx2-inl.h) reading the packed rows in place; NEON
// and scalar run the GEMV for each token while the group is in cache.

#if defined(__AVX512VNNI__) && defined(__AVX512BW__)

// Per token: each block's lane start values (-128 x sum of 4 activation bytes) and scale.
struct PackedQ8_0Token {
  std::vector<int32_t> starts;  // [nb][8]
  std::vector<float> d;         // [nb]
};

void prepare_packed_q8_0_token(const quant::BlockQ8_0* y, int64_t nb, PackedQ8_0Token& t) {
  t.starts.resize(static_cast<size_t>(nb * 8));
  t.d.resize(static_cast<size_t>(nb));
  const __m256i u128 = _mm256_set1_epi8(static_cast<char>(0x80));
  for (int64_t b = 0; b < nb; ++b) {
    const __m256i sum128 = _mm256_dpbusd_epi32(_mm256_setzero_si256(), u128, load256(y[b].qs));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(t.starts.data() + b * 8),
                        _mm256_sub_epi32(_mm256_setzero_si256(), sum128));
    t.d[b] = h2f(y[b].d);
  }
}

// out[r] = dot(row 16g + r, token y) for the 16 rows of group g.
inline void packed_q8_0_group_dot(const PackedQ8_0& p, int64_t g, const quant::BlockQ8_0* y,
                                  const PackedQ8_0Token& t, float* out) {
  const int64_t nb = p.blocks();
  const int8_t* qs = p.qs(g);
  const uint16_t* d = p.d(g);
  const __m512i flip = _mm512_set1_epi8(static_cast<char>(0x80));
  constexpr int64_t kPrefetchBytes = 4096;
  __m512i pair_index[8];  // lanes 0-7: row 2j's scale, 8-15: row 2j + 1's
  for (int j = 0; j < 8; ++j)
    pair_index[j] = _mm512_inserti64x4(_mm512_set1_epi32(2 * j), _mm256_set1_epi32(2 * j + 1), 1);
  __m512 acc[8];
  for (auto& a : acc) a = _mm512_setzero_ps();
  for (int64_t b = 0; b < nb; ++b) {
    const __m512i a = _mm512_broadcast_i64x4(load256(y[b].qs));
    const __m512i start = _mm512_broadcast_i64x4(load256(t.starts.data() + b * 8));
    const __m512 scale = _mm512_mul_ps(
        _mm512_cvtph_ps(_mm256_load_si256(reinterpret_cast<const __m256i*>(d + b * 16))),
        _mm512_set1_ps(t.d[b]));
    const int8_t* w = qs + b * 512;
    // Software prefetch 4 KB ahead (the scales of the next group too, which come before its
    // codes): measured single threaded from memory, 19-20 GB/s without, 25-29 with.
    for (int j = 0; j < 8; ++j)
      _mm_prefetch(reinterpret_cast<const char*>(w + kPrefetchBytes + 64 * j), _MM_HINT_T0);
    for (int j = 0; j < 8; ++j) {
      const __m512i codes = _mm512_xor_si512(_mm512_load_si512(w + 64 * j), flip);
      const __m512i lanes = _mm512_dpbusd_epi32(start, codes, a);
      acc[j] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(lanes),
                               _mm512_permutexvar_ps(pair_index[j], scale), acc[j]);
    }
  }
  for (int j = 0; j < 8; ++j) {
    out[2 * j] = hsum_f32(_mm512_castps512_ps256(acc[j]));
    out[2 * j + 1] = hsum_f32(_mm512_extractf32x8_ps(acc[j], 1));
  }
}

#else

// AVX2, NEON and plain C++: per token, each block's scale (f16_to_f32 is exact, as h2f is; this
// runs once per block and token, not per row).
struct PackedQ8_0Token {
  std::vector<float> d;  // [nb]
};

void prepare_packed_q8_0_token(const quant::BlockQ8_0* y, int64_t nb, PackedQ8_0Token& t) {
  t.d.resize(static_cast<size_t>(nb));
  for (int64_t b = 0; b < nb; ++b) t.d[b] = f16_to_f32(y[b].d);
}

#if defined(__AVX2__)

// The same on AVX2: rows 0-7, then 8-15 (16 accumulators would not fit the 16 registers), each
// row's block on its own as vec_dot_q8_0 takes it.
inline void packed_q8_0_group_dot(const PackedQ8_0& p, int64_t g, const quant::BlockQ8_0* y,
                                  const PackedQ8_0Token& t, float* out) {
  const int64_t nb = p.blocks();
  const int8_t* qs = p.qs(g);
  const uint16_t* d = p.d(g);
  for (int h = 0; h < 2; ++h) {
    __m256 acc[8];
    for (auto& a : acc) a = _mm256_setzero_ps();
    for (int64_t b = 0; b < nb; ++b) {
      const __m256i a = load256(y[b].qs);
      const __m256 scale = _mm256_mul_ps(
          _mm256_cvtph_ps(_mm_load_si128(reinterpret_cast<const __m128i*>(d + b * 16 + 8 * h))),
          _mm256_set1_ps(t.d[b]));
      const int8_t* w = qs + b * 512 + h * 256;
      for (int r = 0; r < 8; ++r) {
        const __m256i codes = _mm256_load_si256(reinterpret_cast<const __m256i*>(w + 32 * r));
        const __m256i lanes = dot_u8s8(_mm256_setzero_si256(), _mm256_sign_epi8(codes, codes),
                                       _mm256_sign_epi8(a, codes));
        acc[r] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(lanes),
                                 _mm256_permutevar8x32_ps(scale, _mm256_set1_epi32(r)), acc[r]);
      }
    }
    for (int r = 0; r < 8; ++r) out[8 * h + r] = hsum_f32(acc[r]);
  }
}

#elif defined(__ARM_NEON)

// The same on ARM64 NEON, rows 0-7 then 8-15 as on AVX2: each row's block b as vec_dot_q8_0
// (quant_dot_neon-inl.h) takes it, its 8 int32 lanes in two 4-lane vectors.
inline void packed_q8_0_group_dot(const PackedQ8_0& p, int64_t g, const quant::BlockQ8_0* y,
                                  const PackedQ8_0Token& t, float* out) {
  const int64_t nb = p.blocks();
  const int8_t* qs = p.qs(g);
  const uint16_t* d = p.d(g);
  for (int h = 0; h < 2; ++h) {
    float32x4_t acc[8][2];
    for (auto& a : acc) a[0] = a[1] = vdupq_n_f32(0.0f);
    for (int64_t b = 0; b < nb; ++b) {
      const int8x16_t a0 = vld1q_s8(y[b].qs), a1 = vld1q_s8(y[b].qs + 16);
      const float32x4_t td = vdupq_n_f32(t.d[b]);
      float scale[8];  // the 8 rows' scales x the token's (FCVTL is exact, as h2f)
      vst1q_f32(scale,
                vmulq_f32(vcvt_f32_f16(vreinterpret_f16_u16(vld1_u16(d + b * 16 + 8 * h))), td));
      vst1q_f32(
          scale + 4,
          vmulq_f32(vcvt_f32_f16(vreinterpret_f16_u16(vld1_u16(d + b * 16 + 8 * h + 4))), td));
      const int8_t* w = qs + b * 512 + h * 256;
      for (int r = 0; r < 8; ++r) {
        const int32x4_t lo = dot_s8(vdupq_n_s32(0), vld1q_s8(w + 32 * r), a0);
        const int32x4_t hi = dot_s8(vdupq_n_s32(0), vld1q_s8(w + 32 * r + 16), a1);
        const float32x4_t s = vdupq_n_f32(scale[r]);
        acc[r][0] = vfmaq_f32(acc[r][0], vcvtq_f32_s32(lo), s);
        acc[r][1] = vfmaq_f32(acc[r][1], vcvtq_f32_s32(hi), s);
      }
    }
    for (int r = 0; r < 8; ++r) out[8 * h + r] = hsum8_f32(acc[r][0], acc[r][1]);
  }
}

#else

// Plain C++ in the SIMD kernels' order: 8 lanes of 4 products per block, one fma per lane
// (std::fma is exact without an FMA unit too), the lanes summed as hsum_f32 sums them.
inline void packed_q8_0_group_dot(const PackedQ8_0& p, int64_t g, const quant::BlockQ8_0* y,
                                  const PackedQ8_0Token& t, float* out) {
  const int64_t nb = p.blocks();
  const int8_t* qs = p.qs(g);
  const uint16_t* d = p.d(g);
  for (int r = 0; r < kPackedQ8Rows; ++r) {
    float acc[8] = {};
    for (int64_t b = 0; b < nb; ++b) {
      const int8_t* w = qs + (b * kPackedQ8Rows + r) * 32;
      const float scale = f16_to_f32(d[b * kPackedQ8Rows + r]) * t.d[b];
      for (int l = 0; l < 8; ++l) {
        int lane = 0;
        for (int k = 4 * l; k < 4 * l + 4; ++k) lane += w[k] * y[b].qs[k];
        acc[l] = std::fma(static_cast<float>(lane), scale, acc[l]);
      }
    }
    const float s0 = acc[0] + acc[4], s1 = acc[1] + acc[5], s2 = acc[2] + acc[6],
                s3 = acc[3] + acc[7];
    out[r] = (s0 + s2) + (s1 + s3);
  }
}

#endif  // __AVX2__, __ARM_NEON
#endif

// A few tokens against rows [row_begin, row_end): each group of 16 rows meets every token while
// its blocks are in cache, so the weights are read from memory once per call.
void packed_q8_0_matmul_gemv(const std::byte* xq, size_t xq_row_bytes, int64_t n_tokens,
                             const PackedQ8_0& p, int64_t row_begin, int64_t row_end, float* y) {
  const int64_t nb = p.blocks();
  auto act = [&](int64_t t) {
    return reinterpret_cast<const quant::BlockQ8_0*>(xq + t * xq_row_bytes);
  };
  std::vector<PackedQ8_0Token> tokens(static_cast<size_t>(n_tokens));
  for (int64_t t = 0; t < n_tokens; ++t) prepare_packed_q8_0_token(act(t), nb, tokens[t]);
  alignas(64) float out[kPackedQ8Rows];
  for (int64_t g = row_begin / kPackedQ8Rows; g * kPackedQ8Rows < row_end; ++g) {
    const int64_t r0 = std::max(row_begin, g * kPackedQ8Rows);
    const int64_t r1 = std::min(row_end, (g + 1) * kPackedQ8Rows);
    for (int64_t t = 0; t < n_tokens; ++t) {
      packed_q8_0_group_dot(p, g, act(t), tokens[t], out);
      for (int64_t r = r0; r < r1; ++r) y[t * p.rows() + r] = out[r - g * kPackedQ8Rows];
    }
  }
}

// Rows [row_begin, row_end) x n_tokens: the GEMV for a few tokens, the prefill GEMM reading the
// packed rows for more where there is one.
void packed_q8_0_matmul_rows(const std::byte* xq, size_t xq_row_bytes, int64_t n_tokens,
                             const PackedQ8_0& p, int64_t row_begin, int64_t row_end, float* y) {
#if defined(__AVX512VNNI__) && defined(__AVX512VL__) && defined(__AVX512DQ__)
  constexpr int64_t kGemvTokens = 2;
  if (n_tokens > kGemvTokens) {
    const WeightView shape{nullptr, DType::Q8_0, p.rows(), p.cols()};
    return quant_matmul_q8_0_vnni(xq, xq_row_bytes, n_tokens, shape, &p, row_begin, row_end, y);
  }
#elif defined(__AVX2__) && !defined(__AVX512F__)
  constexpr int64_t kGemvTokens = 2;
  if (n_tokens > kGemvTokens) {
    const WeightView shape{nullptr, DType::Q8_0, p.rows(), p.cols()};
    return quant_matmul_q8_0_avx2(xq, xq_row_bytes, n_tokens, shape, &p, row_begin, row_end, y);
  }
#endif
  packed_q8_0_matmul_gemv(xq, xq_row_bytes, n_tokens, p, row_begin, row_end, y);
}
