// Dot products of quantized weight rows with quantized activations (Q8_0 / Q8_K), the way ggml
// defines them, on 256-bit integer SIMD. Included by kernels_avx512.cc (where the u8 x s8 step is
// one AVX-512 VNNI vpdpbusd) and kernels_avx2.cc (maddubs + madd), inside an anonymous namespace.
// Types without a fast version here use the scalar reference.
//
// Unsigned weight codes times signed activations: each format's offset (Q4_0's 8, Q6_K's 32) or
// minimum (Q4_K's m) is applied afterwards through the activation sums, so every inner step is a
// plain u8 x s8 multiply-accumulate.

// f16 -> f32 with the F16C instruction (exact, like core/dtype.h's portable version, but one
// instruction instead of a branchy bit shuffle: Q8_0 converts two scales per 32 weights).
inline float h2f(uint16_t h) {
  return _cvtsh_ss(h);
}

inline __m256i dot_u8s8(__m256i acc, __m256i u, __m256i s) {
#if defined(__AVX512VNNI__) && defined(__AVX512VL__)
  return _mm256_dpbusd_epi32(acc, u, s);
#else
  // Pairs of u8 x s8 products fit int16 here: codes are at most 63 (and 127 x 127 for Q8_0).
  return _mm256_add_epi32(acc, _mm256_madd_epi16(_mm256_maddubs_epi16(u, s), _mm256_set1_epi16(1)));
#endif
}

inline int hsum_i32(__m256i v) {
  __m128i s = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
  s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0x4e));
  s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0xb1));
  return _mm_cvtsi128_si32(s);
}

inline float hsum_f32(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

inline __m256i load256(const void* p) {
  return _mm256_loadu_si256(static_cast<const __m256i*>(p));
}

float vec_dot_q8_0(DType, const std::byte* row, const void* activations, int64_t n) {
  const auto* x = reinterpret_cast<const quant::BlockQ8_0*>(row);
  const auto* y = static_cast<const quant::BlockQ8_0*>(activations);
  __m256 acc = _mm256_setzero_ps();
  for (int64_t i = 0; i < n / quant::kQK; ++i) {
    const __m256i w = load256(x[i].qs), a = load256(y[i].qs);
    // |w| x (a * sign(w)) = w x a, with the unsigned operand first as vpdpbusd wants.
    const __m256i sum =
        dot_u8s8(_mm256_setzero_si256(), _mm256_sign_epi8(w, w), _mm256_sign_epi8(a, w));
    const float d = h2f(x[i].d) * h2f(y[i].d);
    acc = _mm256_fmadd_ps(_mm256_cvtepi32_ps(sum), _mm256_set1_ps(d), acc);
  }
  return hsum_f32(acc);
}

float vec_dot_q4_0(DType, const std::byte* row, const void* activations, int64_t n) {
  const auto* x = reinterpret_cast<const quant::BlockQ4_0*>(row);
  const auto* y = static_cast<const quant::BlockQ8_0*>(activations);
  const __m256i low4 = _mm256_set1_epi8(0x0F), ones = _mm256_set1_epi8(1);
  __m256 acc = _mm256_setzero_ps();
  for (int64_t i = 0; i < n / quant::kQK; ++i) {
    const __m128i packed = _mm_loadu_si128(reinterpret_cast<const __m128i*>(x[i].qs));
    // Elements 0..15 are the low nibbles, 16..31 the high ones.
    const __m256i q = _mm256_and_si256(_mm256_set_m128i(_mm_srli_epi16(packed, 4), packed), low4);
    const __m256i a = load256(y[i].qs);
    const __m256i qa = dot_u8s8(_mm256_setzero_si256(), q, a);
    const __m256i sa = dot_u8s8(_mm256_setzero_si256(), ones, a);
    const __m256i sum = _mm256_sub_epi32(qa, _mm256_slli_epi32(sa, 3));  // sum (q - 8) a
    const float d = h2f(x[i].d) * h2f(y[i].d);
    acc = _mm256_fmadd_ps(_mm256_cvtepi32_ps(sum), _mm256_set1_ps(d), acc);
  }
  return hsum_f32(acc);
}

float vec_dot_q4_k(DType, const std::byte* row, const void* activations, int64_t n) {
  const auto* x = reinterpret_cast<const quant::BlockQ4_K*>(row);
  const auto* y = static_cast<const quant::BlockQ8_K*>(activations);
  const __m256i low4 = _mm256_set1_epi8(0x0F);
  float sum = 0.0f;
  for (int64_t i = 0; i < n / quant::kQK_K; ++i) {
    uint8_t sc[8], m[8];
    for (int j = 0; j < 8; ++j) quant::scale_min_k4(j, x[i].scales, &sc[j], &m[j]);
    __m256i acc = _mm256_setzero_si256();
    for (int c = 0; c < 4; ++c) {
      const __m256i packed = load256(x[i].qs + 32 * c);
      const __m256i lo = _mm256_and_si256(packed, low4);
      const __m256i hi = _mm256_and_si256(_mm256_srli_epi16(packed, 4), low4);
      const __m256i dlo = dot_u8s8(_mm256_setzero_si256(), lo, load256(y[i].qs + 64 * c));
      const __m256i dhi = dot_u8s8(_mm256_setzero_si256(), hi, load256(y[i].qs + 64 * c + 32));
      acc = _mm256_add_epi32(acc, _mm256_mullo_epi32(dlo, _mm256_set1_epi32(sc[2 * c])));
      acc = _mm256_add_epi32(acc, _mm256_mullo_epi32(dhi, _mm256_set1_epi32(sc[2 * c + 1])));
    }
    int mins = 0;
    for (int j = 0; j < 8; ++j) mins += m[j] * (y[i].bsums[2 * j] + y[i].bsums[2 * j + 1]);
    // The fused form GCC contracts the plain expression to in a kernels TU, written out so that
    // it does not depend on inlining (the packed kernels and the prefill GEMM use it too).
    sum += std::fma(y[i].d * h2f(x[i].d), static_cast<float>(hsum_i32(acc)),
                    -(y[i].d * h2f(x[i].dmin) * static_cast<float>(mins)));
  }
  return sum;
}

float vec_dot_q5_k(DType, const std::byte* row, const void* activations, int64_t n) {
  const auto* x = reinterpret_cast<const quant::BlockQ5_K*>(row);
  const auto* y = static_cast<const quant::BlockQ8_K*>(activations);
  const __m256i low4 = _mm256_set1_epi8(0x0F), bit = _mm256_set1_epi8(0x10);
  __m256 acc = _mm256_setzero_ps();
  float mins_sum = 0.0f;
  for (int64_t i = 0; i < n / quant::kQK_K; ++i) {
    uint8_t sc[8], m[8];
    for (int j = 0; j < 8; ++j) quant::scale_min_k4(j, x[i].scales, &sc[j], &m[j]);
    const __m256i qh = load256(x[i].qh);
    __m256i sumi = _mm256_setzero_si256();
    for (int c = 0; c < 4; ++c) {
      const __m256i packed = load256(x[i].qs + 32 * c);
      // Fifth bits: bit 2c of qh for the low nibbles, bit 2c + 1 for the high ones.
      const __m256i h_lo =
          _mm256_and_si256(_mm256_slli_epi16(_mm256_srli_epi16(qh, 2 * c), 4), bit);
      const __m256i h_hi =
          _mm256_and_si256(_mm256_slli_epi16(_mm256_srli_epi16(qh, 2 * c + 1), 4), bit);
      const __m256i lo = _mm256_or_si256(_mm256_and_si256(packed, low4), h_lo);
      const __m256i hi =
          _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(packed, 4), low4), h_hi);
      const __m256i dlo = dot_u8s8(_mm256_setzero_si256(), lo, load256(y[i].qs + 64 * c));
      const __m256i dhi = dot_u8s8(_mm256_setzero_si256(), hi, load256(y[i].qs + 64 * c + 32));
      sumi = _mm256_add_epi32(sumi, _mm256_mullo_epi32(dlo, _mm256_set1_epi32(sc[2 * c])));
      sumi = _mm256_add_epi32(sumi, _mm256_mullo_epi32(dhi, _mm256_set1_epi32(sc[2 * c + 1])));
    }
    int mins = 0;
    for (int j = 0; j < 8; ++j) mins += m[j] * (y[i].bsums[2 * j] + y[i].bsums[2 * j + 1]);
    // ggml's order (see quant::vec_dot_ref): a float vector of d * lanes across blocks, the
    // minima as a scalar fused multiply-add.
    acc = _mm256_fmadd_ps(_mm256_set1_ps(y[i].d * h2f(x[i].d)), _mm256_cvtepi32_ps(sumi), acc);
    mins_sum = std::fma(-y[i].d * h2f(x[i].dmin), static_cast<float>(mins), mins_sum);
  }
  return hsum_f32(acc) + mins_sum;
}

float vec_dot_q6_k(DType, const std::byte* row, const void* activations, int64_t n) {
  const auto* x = reinterpret_cast<const quant::BlockQ6_K*>(row);
  const auto* y = static_cast<const quant::BlockQ8_K*>(activations);
  const __m256i low4 = _mm256_set1_epi8(0x0F), two = _mm256_set1_epi8(3);
  float sum = 0.0f;
#if !(defined(__AVX512VNNI__) && defined(__AVX512VL__))
  // Per run k of a half: bytes that pick the 16-bit scale of group 2k of the half's 8 into every
  // pair of the low 128 bits, of group 2k + 1 into the high ones.
  auto pick = [](int k) {
    return _mm256_setr_epi8(4 * k, 4 * k + 1, 4 * k, 4 * k + 1, 4 * k, 4 * k + 1, 4 * k, 4 * k + 1,
                            4 * k, 4 * k + 1, 4 * k, 4 * k + 1, 4 * k, 4 * k + 1, 4 * k, 4 * k + 1,
                            4 * k + 2, 4 * k + 3, 4 * k + 2, 4 * k + 3, 4 * k + 2, 4 * k + 3,
                            4 * k + 2, 4 * k + 3, 4 * k + 2, 4 * k + 3, 4 * k + 2, 4 * k + 3,
                            4 * k + 2, 4 * k + 3, 4 * k + 2, 4 * k + 3);
  };
  const __m256i picks[4] = {pick(0), pick(1), pick(2), pick(3)};
#endif
  for (int64_t i = 0; i < n / quant::kQK_K; ++i) {
    __m256i acc = _mm256_setzero_si256();
#if !(defined(__AVX512VNNI__) && defined(__AVX512VL__))
    // The 16 group scales as int16 (s0..s7 | s8..s15), once per super-block.
    const __m256i scales16 =
        _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(x[i].scales)));
#endif
    for (int half = 0; half < 2; ++half) {
      const uint8_t* ql = x[i].ql + 64 * half;
#if !(defined(__AVX512VNNI__) && defined(__AVX512VL__))
      // This half's 8 scales in both 128-bit lanes, for the byte shuffles below.
      const __m256i half_scales = half ? _mm256_permute4x64_epi64(scales16, 0xEE)
                                       : _mm256_permute4x64_epi64(scales16, 0x44);
#endif
      const __m256i qh = load256(x[i].qh + 32 * half);
      const __m256i ql_a = load256(ql), ql_b = load256(ql + 32);
      // Codes 0..63 (value + 32) of the four 32-element runs of this half.
      const __m256i u[4] = {
          _mm256_or_si256(_mm256_and_si256(ql_a, low4),
                          _mm256_slli_epi16(_mm256_and_si256(qh, two), 4)),
          _mm256_or_si256(_mm256_and_si256(ql_b, low4),
                          _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(qh, 2), two), 4)),
          _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(ql_a, 4), low4),
                          _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(qh, 4), two), 4)),
          _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(ql_b, 4), low4),
                          _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(qh, 6), two), 4)),
      };
      for (int k = 0; k < 4; ++k) {
        const int element = 128 * half + 32 * k;
#if defined(__AVX512VNNI__) && defined(__AVX512VL__)
        const int group = element / 16;
        const __m256i d = dot_u8s8(_mm256_setzero_si256(), u[k], load256(y[i].qs + element));
        // Lanes 0-3 hold the first 16 elements (group g), lanes 4-7 the next (g + 1).
        const __m256i scale =
            _mm256_set_epi32(x[i].scales[group + 1], x[i].scales[group + 1], x[i].scales[group + 1],
                             x[i].scales[group + 1], x[i].scales[group], x[i].scales[group],
                             x[i].scales[group], x[i].scales[group]);
        acc = _mm256_add_epi32(acc, _mm256_mullo_epi32(d, scale));
#else
        // AVX2: the byte pairs' sums (at most 2 x 63 x 127) times the group's scale as 16-bit
        // pairs, one madd instead of madd by ones and a 32-bit multiply: lane i is still the sum
        // of elements 4i..4i+3 times their group's scale, the same integers as above.
        // The scales come from one shuffle of the super-block's widened scales (group in the low
        // 128 bits, group + 1 in the high ones) rather than two scalar broadcasts and an insert.
        const __m256i pairs = _mm256_maddubs_epi16(u[k], load256(y[i].qs + element));
        const __m256i scale = _mm256_shuffle_epi8(half_scales, picks[k]);
        acc = _mm256_add_epi32(acc, _mm256_madd_epi16(pairs, scale));
#endif
      }
    }
#if defined(__AVX512VNNI__) && defined(__AVX512VL__)
    int offset = 0;  // the codes carry +32: subtract 32 * sum of each group's activations
    for (int g = 0; g < 16; ++g) offset += x[i].scales[g] * y[i].bsums[g];
    const int total = hsum_i32(acc) - 32 * offset;
#else
    // The same offset as 8 lanes of scale x bsums pairs, subtracted before the one horizontal sum
    // (integers: the same total).
    const __m256i offset = _mm256_madd_epi16(scales16, load256(y[i].bsums));
    const int total = hsum_i32(_mm256_sub_epi32(acc, _mm256_slli_epi32(offset, 5)));
#endif
    // Fused as GCC contracts the plain expression, written out (see vec_dot_q4_k).
    sum = std::fma(h2f(x[i].d) * y[i].d, static_cast<float>(total), sum);
  }
  return sum;
}

// Several tokens (prefill) against one K-quant row: the row is unpacked once (codes to bytes in
// element order, sub-block scales expanded to one int32 per 4-byte lane, minima or offsets per
// 16-element group), then each token costs one load, one u8 x s8 step, one scale multiply and an
// add per 32 weights. Same integer sums as vec_dot_q4_k / q5_k / q6_k, so prefill and decode give
// the same numbers.
struct UnpackedKRow {
  std::vector<uint8_t> codes;          // [K] 0..15 (Q4_K), 0..31 (Q5_K), value + 32 (Q6_K)
  std::vector<int32_t> lane_scales;    // [K / 4] the integer scale of each group of 4 codes
  std::vector<int16_t> pair_scales;    // [K / 2] the same per pair of codes (for maddubs + madd)
  std::vector<int16_t> group_offsets;  // [K / 16] Q4/5_K: the 16-group's minimum; Q6_K: its scale
  std::vector<float> d, dmin;          // [K / 256]
};

void unpack_k_row(DType type, const std::byte* row, int64_t n, UnpackedKRow& u) {
  const int64_t nb = n / quant::kQK_K;
  u.codes.resize(n);
  u.lane_scales.resize(n / 4);
  u.pair_scales.resize(n / 2);
  u.group_offsets.resize(n / 16);
  u.d.resize(nb);
  u.dmin.resize(nb);
  for (int64_t i = 0; i < nb; ++i) {
    uint8_t* codes = u.codes.data() + i * quant::kQK_K;
    int32_t* lanes = u.lane_scales.data() + i * quant::kQK_K / 4;
    int16_t* groups = u.group_offsets.data() + i * 16;
    if (type == DType::Q6_K) {
      const auto& b = reinterpret_cast<const quant::BlockQ6_K*>(row)[i];
      for (int half = 0; half < 2; ++half) {
        const uint8_t* ql = b.ql + 64 * half;
        const uint8_t* qh = b.qh + 32 * half;
        uint8_t* c = codes + 128 * half;
        for (int l = 0; l < 32; ++l) {
          c[l] = (ql[l] & 0xF) | (((qh[l] >> 0) & 3) << 4);
          c[l + 32] = (ql[l + 32] & 0xF) | (((qh[l] >> 2) & 3) << 4);
          c[l + 64] = (ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4);
          c[l + 96] = (ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4);
        }
      }
      for (int g = 0; g < 16; ++g) {
        groups[g] = b.scales[g];
        for (int k = 0; k < 4; ++k) lanes[4 * g + k] = b.scales[g];
      }
      u.d[i] = h2f(b.d);
      u.dmin[i] = 0.0f;
      for (int g = 0; g < 16; ++g)
        std::fill_n(u.pair_scales.data() + i * 128 + 8 * g, 8, int16_t{b.scales[g]});
      continue;
    }
    const bool five = type == DType::Q5_K;
    const uint8_t* scales = five ? reinterpret_cast<const quant::BlockQ5_K*>(row)[i].scales
                                 : reinterpret_cast<const quant::BlockQ4_K*>(row)[i].scales;
    const uint8_t* qs = five ? reinterpret_cast<const quant::BlockQ5_K*>(row)[i].qs
                             : reinterpret_cast<const quant::BlockQ4_K*>(row)[i].qs;
    const uint8_t* qh = five ? reinterpret_cast<const quant::BlockQ5_K*>(row)[i].qh : nullptr;
    for (int sub = 0; sub < 8; ++sub) {
      uint8_t sc, m;
      quant::scale_min_k4(sub, scales, &sc, &m);
      const uint8_t* packed = qs + 32 * (sub / 2);
      for (int l = 0; l < 32; ++l) {
        uint8_t v = sub % 2 ? packed[l] >> 4 : packed[l] & 0xF;
        if (five && (qh[l] & (1 << sub))) v += 16;
        codes[32 * sub + l] = v;
      }
      for (int k = 0; k < 8; ++k) lanes[8 * sub + k] = sc;
      std::fill_n(u.pair_scales.data() + i * 128 + 16 * sub, 16, int16_t{sc});
      groups[2 * sub] = groups[2 * sub + 1] = m;
    }
    uint16_t dh, dminh;
    std::memcpy(&dh, row + i * block_bytes(type), 2);
    std::memcpy(&dminh, row + i * block_bytes(type) + 2, 2);
    u.d[i] = h2f(dh);
    u.dmin[i] = h2f(dminh);
  }
}

// Adds one super-block to a token's running sum from its integer accumulator, in
// vec_dot_q4_k / vec_dot_q6_k's float order.
inline float finish_k_block(DType type, const UnpackedKRow& u, int64_t i, const quant::BlockQ8_K& y,
                            int total, float sum) {
  const int offsets =
      hsum_i32(_mm256_madd_epi16(load256(y.bsums), load256(u.group_offsets.data() + 16 * i)));
  if (type == DType::Q6_K)
    return std::fma(u.d[i] * y.d, static_cast<float>(total - 32 * offsets), sum);
  return sum + std::fma(y.d * u.d[i], static_cast<float>(total),
                        -(y.d * u.dmin[i] * static_cast<float>(offsets)));
}

float dot_unpacked_k(DType type, const UnpackedKRow& u, const quant::BlockQ8_K* y, int64_t n) {
  float sum = 0.0f;
  // Q5_K in ggml's float order, as vec_dot_q5_k: the 8 integer lanes here group the same
  // elements (4k..4k+3 of each sub-block) as ggml's.
  __m256 q5acc = _mm256_setzero_ps();
  float q5mins = 0.0f;
  for (int64_t i = 0; i < n / quant::kQK_K; ++i) {
    const uint8_t* codes = u.codes.data() + i * quant::kQK_K;
    const int32_t* lanes = u.lane_scales.data() + i * quant::kQK_K / 4;
    __m256i acc = _mm256_setzero_si256();
    for (int c = 0; c < 8; ++c) {
      const __m256i d =
          dot_u8s8(_mm256_setzero_si256(), load256(codes + 32 * c), load256(y[i].qs + 32 * c));
      acc = _mm256_add_epi32(acc, _mm256_mullo_epi32(d, load256(lanes + 8 * c)));
    }
    if (type == DType::Q5_K) {
      const __m256i offsets = load256(u.group_offsets.data() + 16 * i);
      q5acc = _mm256_fmadd_ps(_mm256_set1_ps(y[i].d * u.d[i]), _mm256_cvtepi32_ps(acc), q5acc);
      q5mins = std::fma(
          -y[i].d * u.dmin[i],
          static_cast<float>(hsum_i32(_mm256_madd_epi16(load256(y[i].bsums), offsets))), q5mins);
      continue;
    }
    sum = finish_k_block(type, u, i, y[i], hsum_i32(acc), sum);
  }
  return type == DType::Q5_K ? hsum_f32(q5acc) + q5mins : sum;
}

#if defined(__AVX512VNNI__) && defined(__AVX512BW__)
// Two tokens at a time on 512-bit vectors: each load of codes and lane scales serves both.
void dot2_unpacked_k(DType type, const UnpackedKRow& u, const quant::BlockQ8_K* y0,
                     const quant::BlockQ8_K* y1, int64_t n, float* out0, float* out1) {
  // Each super-block's integer sum is finished in float in the same order as ggml's (scalar,
  // block after block): then our logits reproduce llama.cpp's to ~1e-6. Any other float order
  // (e.g. vector accumulators across blocks) is as accurate, but flips a few int8 roundings of the
  // next layer's activations, which on small models moves log-probabilities by up to ~0.05.
  float sum0 = 0.0f, sum1 = 0.0f;
  // Q5_K: ggml accumulates d * (8 integer lanes) in a float vector across blocks and the minima in
  // a scalar; the 8 lanes are the two halves of our 16.
  __m256 q5acc0 = _mm256_setzero_ps(), q5acc1 = _mm256_setzero_ps();
  float q5mins0 = 0.0f, q5mins1 = 0.0f;
  for (int64_t i = 0; i < n / quant::kQK_K; ++i) {
    const uint8_t* codes = u.codes.data() + i * quant::kQK_K;
    const int16_t* pairs = u.pair_scales.data() + i * quant::kQK_K / 2;
    __m512i acc0 = _mm512_setzero_si512(), acc1 = _mm512_setzero_si512();
    for (int c = 0; c < 4; ++c) {
      // u8 x s8 -> s16 pairs (at most 2 * 63 * 127, no saturation), then x scale -> s32.
      const __m512i q = _mm512_loadu_si512(codes + 64 * c);
      const __m512i s = _mm512_loadu_si512(pairs + 32 * c);
      const __m512i p0 = _mm512_maddubs_epi16(q, _mm512_loadu_si512(y0[i].qs + 64 * c));
      const __m512i p1 = _mm512_maddubs_epi16(q, _mm512_loadu_si512(y1[i].qs + 64 * c));
      acc0 = _mm512_add_epi32(acc0, _mm512_madd_epi16(p0, s));
      acc1 = _mm512_add_epi32(acc1, _mm512_madd_epi16(p1, s));
    }
    if (type == DType::Q5_K) {
      const __m256i offsets = load256(u.group_offsets.data() + 16 * i);
      const __m256i lanes0 =
          _mm256_add_epi32(_mm512_castsi512_si256(acc0), _mm512_extracti64x4_epi64(acc0, 1));
      const __m256i lanes1 =
          _mm256_add_epi32(_mm512_castsi512_si256(acc1), _mm512_extracti64x4_epi64(acc1, 1));
      q5acc0 =
          _mm256_fmadd_ps(_mm256_set1_ps(y0[i].d * u.d[i]), _mm256_cvtepi32_ps(lanes0), q5acc0);
      q5acc1 =
          _mm256_fmadd_ps(_mm256_set1_ps(y1[i].d * u.d[i]), _mm256_cvtepi32_ps(lanes1), q5acc1);
      q5mins0 = std::fma(
          -y0[i].d * u.dmin[i],
          static_cast<float>(hsum_i32(_mm256_madd_epi16(load256(y0[i].bsums), offsets))), q5mins0);
      q5mins1 = std::fma(
          -y1[i].d * u.dmin[i],
          static_cast<float>(hsum_i32(_mm256_madd_epi16(load256(y1[i].bsums), offsets))), q5mins1);
      continue;
    }
    sum0 = finish_k_block(type, u, i, y0[i], _mm512_reduce_add_epi32(acc0), sum0);
    sum1 = finish_k_block(type, u, i, y1[i], _mm512_reduce_add_epi32(acc1), sum1);
  }
  if (type == DType::Q5_K) {
    sum0 = hsum_f32(q5acc0) + q5mins0;
    sum1 = hsum_f32(q5acc1) + q5mins1;
  }
  *out0 = sum0;
  *out1 = sum1;
}
#endif

// Q8_0 weights times several tokens: the row's scales are converted once, |w| once per block for
// two tokens, and every token's activation scales once per call. Same sums and float order as
// vec_dot_q8_0, so prefill and decode agree.
void quant_matmul_q8_0(const std::byte* xq, size_t xq_row_bytes, int64_t n_tokens,
                       const WeightView& w, int64_t row_begin, int64_t row_end, float* y) {
  const int64_t nb = w.cols / quant::kQK;
  std::vector<float> act_d(static_cast<size_t>(n_tokens * nb)), row_d(static_cast<size_t>(nb));
  auto act = [&](int64_t t) {
    return reinterpret_cast<const quant::BlockQ8_0*>(xq + t * xq_row_bytes);
  };
  for (int64_t t = 0; t < n_tokens; ++t)
    for (int64_t b = 0; b < nb; ++b) act_d[t * nb + b] = h2f(act(t)[b].d);
  for (int64_t n = row_begin; n < row_end; ++n) {
    const auto* x = reinterpret_cast<const quant::BlockQ8_0*>(w.row(n));
    for (int64_t b = 0; b < nb; ++b) row_d[b] = h2f(x[b].d);
    int64_t t = 0;
    for (; t + 2 <= n_tokens; t += 2) {
      const quant::BlockQ8_0* a0 = act(t);
      const quant::BlockQ8_0* a1 = act(t + 1);
      const float* d0 = act_d.data() + t * nb;
      const float* d1 = d0 + nb;
      __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
      for (int64_t b = 0; b < nb; ++b) {
        const __m256i wq = load256(x[b].qs);
        const __m256i abs_w = _mm256_sign_epi8(wq, wq);
        const __m256i s0 =
            dot_u8s8(_mm256_setzero_si256(), abs_w, _mm256_sign_epi8(load256(a0[b].qs), wq));
        const __m256i s1 =
            dot_u8s8(_mm256_setzero_si256(), abs_w, _mm256_sign_epi8(load256(a1[b].qs), wq));
        acc0 = _mm256_fmadd_ps(_mm256_cvtepi32_ps(s0), _mm256_set1_ps(row_d[b] * d0[b]), acc0);
        acc1 = _mm256_fmadd_ps(_mm256_cvtepi32_ps(s1), _mm256_set1_ps(row_d[b] * d1[b]), acc1);
      }
      y[t * w.rows + n] = hsum_f32(acc0);
      y[(t + 1) * w.rows + n] = hsum_f32(acc1);
    }
    for (; t < n_tokens; ++t)
      y[t * w.rows + n] = vec_dot_q8_0(DType::Q8_0, w.row(n), act(t), w.cols);
  }
}

bool has_unpacked_dot(DType type) {
  return type == DType::Q4_K || type == DType::Q5_K || type == DType::Q6_K || type == DType::Q8_0;
}

// Rows [row_begin, row_end) times n_tokens quantized activation rows; tokens are taken in blocks
// so their activations stay in L2 while each row is unpacked once per block.
void quant_matmul_unpacked(const std::byte* xq, size_t xq_row_bytes, int64_t n_tokens,
                           const WeightView& w, int64_t row_begin, int64_t row_end, float* y) {
  if (w.dtype == DType::Q8_0)
    return quant_matmul_q8_0(xq, xq_row_bytes, n_tokens, w, row_begin, row_end, y);
  constexpr int64_t kTokenBlock = 64;
  UnpackedKRow u;
  for (int64_t tb = 0; tb < n_tokens; tb += kTokenBlock) {
    const int64_t te = std::min(n_tokens, tb + kTokenBlock);
    for (int64_t n = row_begin; n < row_end; ++n) {
      unpack_k_row(w.dtype, w.row(n), w.cols, u);
      auto act = [&](int64_t t) {
        return reinterpret_cast<const quant::BlockQ8_K*>(xq + t * xq_row_bytes);
      };
      int64_t t = tb;
#if defined(__AVX512VNNI__) && defined(__AVX512BW__)
      for (; t + 2 <= te; t += 2)
        dot2_unpacked_k(w.dtype, u, act(t), act(t + 1), w.cols, &y[t * w.rows + n],
                        &y[(t + 1) * w.rows + n]);
#endif
      for (; t < te; ++t) y[t * w.rows + n] = dot_unpacked_k(w.dtype, u, act(t), w.cols);
    }
  }
}

using QuantDot = float (*)(DType, const std::byte*, const void*, int64_t);

QuantDot quant_vec_dot(DType type) {
  switch (type) {
    case DType::Q8_0:
      return &vec_dot_q8_0;
    case DType::Q4_0:
      return &vec_dot_q4_0;
    case DType::Q4_K:
      return &vec_dot_q4_k;
    case DType::Q5_K:
      return &vec_dot_q5_k;
    case DType::Q6_K:
      return &vec_dot_q6_k;
    default:
      return &quant::vec_dot_ref;
  }
}
