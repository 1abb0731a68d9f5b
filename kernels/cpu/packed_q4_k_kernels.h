// Matmuls on Q4_K weights in the interleaved layout of packed_q4_k.h. Included by
// kernels_avx512.cc and kernels_avx2.cc inside their anonymous namespace, after quant_dot_impl.h.
//
// Decode (and a few tokens): one group of 16 rows per step. Per 64 bytes of codes (8 weights of
// each of 16 rows) the low and the high nibbles each take one and-mask and one u8 x s8 dot against
// 4 activations broadcast to every row's lane; each sub-block's sums are scaled by the 16 rows'
// scales once per 32 weights, the minima go through the activations' 16-element sums. The rows
// stay in lanes until the end, so nothing is summed across lanes in the loop.
//
// Numbers: per super-block the integer sums are exactly those of vec_dot_q4_k (integer adds in any
// order), finished in float per row as sum += fma(y.d * d, total, -(y.d * dmin * mins)), the
// order vec_dot_q4_k compiles to and the prefill GEMM (k_quant_gemm_vnni.h) uses: decode and
// prefill agree bit for bit, and with the unpacked layout's results.
//
// On AVX-512 VNNI the high nibbles are masked in place (16 x code), so their sums come out 16
// times too large; the low sub-block's scale is taken 16 times too, and the total is shifted right
// by 4 at the end (exact: every term is a multiple of 16; |total| < 2^29). AVX2 has no u8 x s8 dot
// that would not saturate on 16 x code, so it shifts the high nibbles down instead.

// Activation sums per sub-block pair, as the minima need them: bs2[sb * 8 + s] = bsums[2s] +
// bsums[2s + 1] of super-block sb (|value| <= 32 x 128, fits int16).
inline void q4_k_sub_block_sums(const quant::BlockQ8_K* y, int64_t nsb, int16_t* bs2) {
  for (int64_t i = 0; i < nsb; ++i)
    for (int s = 0; s < 8; ++s)
      bs2[i * 8 + s] = static_cast<int16_t>(y[i].bsums[2 * s] + y[i].bsums[2 * s + 1]);
}

inline int32_t load_i32(const void* p) {
  int32_t v;
  std::memcpy(&v, p, 4);
  return v;
}

#if defined(__AVX512VNNI__) && defined(__AVX512BW__)

// out[r] = dot(row 16g + r, token y) for the 16 rows of one group.
inline void packed_q4_k_group_dot(const BlockQ4_Kx16* blocks, int64_t nsb,
                                  const quant::BlockQ8_K* y, const int16_t* bs2, float* out) {
  const __m512i low = _mm512_set1_epi8(0x0F), high = _mm512_set1_epi8(static_cast<char>(0xF0));
  __m512 sum = _mm512_setzero_ps();
  for (int64_t i = 0; i < nsb; ++i) {
    const BlockQ4_Kx16& b = blocks[i];
    const int8_t* q8 = y[i].qs;
    __m512i acc = _mm512_setzero_si512();
    for (int c = 0; c < 4; ++c) {
      __m512i lo = _mm512_setzero_si512(), hi = _mm512_setzero_si512();
      for (int v = 0; v < 8; ++v) {
        const __m512i w = _mm512_load_si512(b.qs[8 * c + v]);
        lo = _mm512_dpbusd_epi32(lo, _mm512_and_si512(w, low),
                                 _mm512_set1_epi32(load_i32(q8 + 64 * c + 4 * v)));
        hi = _mm512_dpbusd_epi32(hi, _mm512_and_si512(w, high),
                                 _mm512_set1_epi32(load_i32(q8 + 64 * c + 32 + 4 * v)));
      }
      const __m512i sc_lo = _mm512_slli_epi32(
          _mm512_cvtepu8_epi32(_mm_load_si128(reinterpret_cast<const __m128i*>(b.scales[2 * c]))),
          4);
      const __m512i sc_hi = _mm512_cvtepu8_epi32(
          _mm_load_si128(reinterpret_cast<const __m128i*>(b.scales[2 * c + 1])));
      acc = _mm512_add_epi32(acc, _mm512_add_epi32(_mm512_mullo_epi32(lo, sc_lo),
                                                   _mm512_mullo_epi32(hi, sc_hi)));
    }
    const __m512i total = _mm512_srai_epi32(acc, 4);
    __m512i mins = _mm512_setzero_si512();
    for (int j = 0; j < 4; ++j)
      mins = _mm512_dpwssd_epi32(
          mins, _mm512_cvtepu8_epi16(_mm256_load_si256(reinterpret_cast<const __m256i*>(b.mins[j]))),
          _mm512_set1_epi32(load_i32(bs2 + i * 8 + 2 * j)));
    const __m512 d = _mm512_cvtph_ps(_mm256_load_si256(reinterpret_cast<const __m256i*>(b.d)));
    const __m512 dmin =
        _mm512_cvtph_ps(_mm256_load_si256(reinterpret_cast<const __m256i*>(b.dmin)));
    const __m512 yd = _mm512_set1_ps(y[i].d);
    sum = _mm512_add_ps(sum, _mm512_fmsub_ps(_mm512_mul_ps(yd, d), _mm512_cvtepi32_ps(total),
                                             _mm512_mul_ps(_mm512_mul_ps(yd, dmin),
                                                           _mm512_cvtepi32_ps(mins))));
  }
  _mm512_storeu_ps(out, sum);
}

#else

// The same on AVX2, rows 0-7 and 8-15 in two 256-bit halves.
inline void packed_q4_k_group_dot(const BlockQ4_Kx16* blocks, int64_t nsb,
                                  const quant::BlockQ8_K* y, const int16_t* bs2, float* out) {
  const __m256i low = _mm256_set1_epi8(0x0F);
  // A sub-block's 8 scales (u8) as 16-bit pairs (s, s), one per row's lane.
  auto pair_scales = [](const uint8_t* s) {
    const __m256i v = _mm256_cvtepu8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(s)));
    return _mm256_or_si256(v, _mm256_slli_epi32(v, 16));
  };
  __m256 sum[2] = {_mm256_setzero_ps(), _mm256_setzero_ps()};
  for (int64_t i = 0; i < nsb; ++i) {
    const BlockQ4_Kx16& b = blocks[i];
    const int8_t* q8 = y[i].qs;
    __m256i acc[2] = {_mm256_setzero_si256(), _mm256_setzero_si256()};
    for (int c = 0; c < 4; ++c) {
      const __m256i sc_lo[2] = {pair_scales(b.scales[2 * c]), pair_scales(b.scales[2 * c] + 8)};
      const __m256i sc_hi[2] = {pair_scales(b.scales[2 * c + 1]),
                                pair_scales(b.scales[2 * c + 1] + 8)};
      for (int v = 0; v < 8; ++v) {
        const __m256i ya = _mm256_set1_epi32(load_i32(q8 + 64 * c + 4 * v));
        const __m256i yb = _mm256_set1_epi32(load_i32(q8 + 64 * c + 32 + 4 * v));
        for (int h = 0; h < 2; ++h) {
          const __m256i w = load256(b.qs[8 * c + v][8 * h]);
          const __m256i lo = _mm256_and_si256(w, low);
          const __m256i hi = _mm256_and_si256(_mm256_srli_epi16(w, 4), low);
          acc[h] = _mm256_add_epi32(acc[h],
                                    _mm256_madd_epi16(_mm256_maddubs_epi16(lo, ya), sc_lo[h]));
          acc[h] = _mm256_add_epi32(acc[h],
                                    _mm256_madd_epi16(_mm256_maddubs_epi16(hi, yb), sc_hi[h]));
        }
      }
    }
    const __m256 yd = _mm256_set1_ps(y[i].d);
    for (int h = 0; h < 2; ++h) {
      __m256i mins = _mm256_setzero_si256();
      for (int j = 0; j < 4; ++j)
        mins = _mm256_add_epi32(
            mins, _mm256_madd_epi16(_mm256_cvtepu8_epi16(_mm_loadu_si128(
                                        reinterpret_cast<const __m128i*>(b.mins[j][8 * h]))),
                                    _mm256_set1_epi32(load_i32(bs2 + i * 8 + 2 * j))));
      const __m256 d = _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(b.d + 8 * h)));
      const __m256 dmin =
          _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(b.dmin + 8 * h)));
      sum[h] = _mm256_add_ps(
          sum[h], _mm256_fmsub_ps(_mm256_mul_ps(yd, d), _mm256_cvtepi32_ps(acc[h]),
                                  _mm256_mul_ps(_mm256_mul_ps(yd, dmin), _mm256_cvtepi32_ps(mins))));
    }
  }
  _mm256_storeu_ps(out, sum[0]);
  _mm256_storeu_ps(out + 8, sum[1]);
}

#endif

// A few tokens against rows [row_begin, row_end): each group of 16 rows meets every token while
// its blocks are in cache, so the weights are read from memory once per call.
void packed_q4_k_matmul_gemv(const std::byte* xq, size_t xq_row_bytes, int64_t n_tokens,
                             const PackedQ4K& p, int64_t row_begin, int64_t row_end, float* y) {
  const int64_t nsb = p.super_blocks();
  std::vector<int16_t> bs2(static_cast<size_t>(n_tokens * nsb * 8));
  auto act = [&](int64_t t) {
    return reinterpret_cast<const quant::BlockQ8_K*>(xq + t * xq_row_bytes);
  };
  for (int64_t t = 0; t < n_tokens; ++t) q4_k_sub_block_sums(act(t), nsb, bs2.data() + t * nsb * 8);
  alignas(64) float out[kQ4KInterleave];
  for (int64_t g = row_begin / kQ4KInterleave; g * kQ4KInterleave < row_end; ++g) {
    const int64_t r0 = std::max(row_begin, g * kQ4KInterleave);
    const int64_t r1 = std::min(row_end, (g + 1) * kQ4KInterleave);
    for (int64_t t = 0; t < n_tokens; ++t) {
      packed_q4_k_group_dot(p.group(g), nsb, act(t), bs2.data() + t * nsb * 8, out);
      for (int64_t r = r0; r < r1; ++r) y[t * p.rows() + r] = out[r - g * kQ4KInterleave];
    }
  }
}

// Row n of a packed matrix unpacked as unpack_k_row unpacks a stored Q4_K row (for the prefill
// paths, which reuse each unpacked row for many tokens).
void unpack_packed_q4_k_row(const PackedQ4K& p, int64_t n, UnpackedKRow& u) {
  const int64_t nsb = p.super_blocks();
  const BlockQ4_Kx16* blocks = p.group(n / kQ4KInterleave);
  const int r = static_cast<int>(n % kQ4KInterleave);
  u.codes.resize(nsb * quant::kQK_K);
  u.lane_scales.resize(nsb * quant::kQK_K / 4);
  u.pair_scales.resize(nsb * quant::kQK_K / 2);
  u.group_offsets.resize(nsb * 16);
  u.d.resize(nsb);
  u.dmin.resize(nsb);
  for (int64_t i = 0; i < nsb; ++i) {
    const BlockQ4_Kx16& b = blocks[i];
    uint8_t* codes = u.codes.data() + i * quant::kQK_K;
    for (int k = 0; k < 32; ++k) {  // 8 codes per 32-bit word
      const uint32_t word = static_cast<uint32_t>(load_i32(b.qs[k][r]));
      const uint32_t lo = word & 0x0F0F0F0Fu, hi = (word >> 4) & 0x0F0F0F0Fu;
      uint8_t* dst = codes + 64 * (k / 8) + 4 * (k % 8);
      std::memcpy(dst, &lo, 4);
      std::memcpy(dst + 32, &hi, 4);
    }
    for (int sub = 0; sub < 8; ++sub) {
      const uint8_t sc = b.scales[sub][r], m = b.mins[sub / 2][r][sub % 2];
      // The VNNI GEMM reads the 16-bit pair scales, dot_unpacked_k the 32-bit lane ones.
#if defined(__AVX512VNNI__)
      std::fill_n(u.pair_scales.data() + i * 128 + 16 * sub, 16, int16_t{sc});
#else
      std::fill_n(u.lane_scales.data() + i * 64 + 8 * sub, 8, int32_t{sc});
#endif
      u.group_offsets[i * 16 + 2 * sub] = u.group_offsets[i * 16 + 2 * sub + 1] = m;
    }
    u.d[i] = h2f(b.d[r]);
    u.dmin[i] = h2f(b.dmin[r]);
  }
}

#if !defined(__AVX512VNNI__)
// Prefill without the VNNI GEMM (AVX2): each row unpacked once per block of tokens, as
// quant_matmul_unpacked does for stored rows.
void packed_q4_k_matmul_unpacked(const std::byte* xq, size_t xq_row_bytes, int64_t n_tokens,
                                 const PackedQ4K& p, int64_t row_begin, int64_t row_end,
                                 float* y) {
  constexpr int64_t kTokenBlock = 64;
  UnpackedKRow u;
  for (int64_t tb = 0; tb < n_tokens; tb += kTokenBlock) {
    const int64_t te = std::min(n_tokens, tb + kTokenBlock);
    for (int64_t n = row_begin; n < row_end; ++n) {
      unpack_packed_q4_k_row(p, n, u);
      for (int64_t t = tb; t < te; ++t)
        y[t * p.rows() + n] =
            dot_unpacked_k(DType::Q4_K, u,
                           reinterpret_cast<const quant::BlockQ8_K*>(xq + t * xq_row_bytes),
                           p.cols());
    }
  }
}
#endif
