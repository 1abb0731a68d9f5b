// Matmuls on Q4_K / Q6_K weights in the interleaved layout of packed_k_quant.h. Included by
// kernels_avx512.cc and kernels_avx2.cc inside their anonymous namespace, after
// quant_dot_impl-inl.h (kernels_scalar.cc has plain versions of the entry points).
//
// Decode (and a few tokens): one group of 16 rows per step. Per 64 bytes of codes (4 weights of
// each of 16 rows, per nibble or bit plane) the codes take a mask (and for Q6_K a shift and an or)
// and one u8 x s8 dot against 4 activations broadcast to every row's lane; each sub-block's sums
// are scaled by the 16 rows' scales once, Q4_K's minima and Q6_K's +32 offset go through the
// activations' 16-element sums. The rows stay in lanes to the end: nothing is summed across lanes.
//
// Numbers: per super-block the integer sums are exactly those of vec_dot_q4_k / vec_dot_q6_k
// (integer adds in any order), finished in float per row in their order: Q4_K sum +=
// fma(y.d * d, total, -(y.d * dmin * mins)), Q6_K sum = fma(d * y.d, total, sum), as the token
// tiles below (and the older k_quant_gemm_vnni-inl.h) do too. Decode and prefill agree bit for bit,
// and with the stored layout's kernels.
//
// On AVX-512 VNNI, Q4_K's high nibbles are masked in place (16 x code), so their sums come out 16
// times too large; the low sub-block's scale is taken 16 times too, and the total is shifted right
// by 4 at the end (exact: every term is a multiple of 16; |total| < 2^29). AVX2 has no u8 x s8
// dot that would not saturate on 16 x code, so it shifts the high nibbles down instead.

inline int32_t load_i32(const void* p) {
  int32_t v;
  std::memcpy(&v, p, 4);
  return v;
}

// Four rows side by side: a 4 x 4 transpose of 32-bit words (lane j of a..d: word k..k+3 of row
// j -> register j: row j's words k..k+3).
inline void transpose_4x4_epi32(__m128i& a, __m128i& b, __m128i& c, __m128i& d) {
  const __m128i t0 = _mm_unpacklo_epi32(a, b), t1 = _mm_unpackhi_epi32(a, b);
  const __m128i t2 = _mm_unpacklo_epi32(c, d), t3 = _mm_unpackhi_epi32(c, d);
  a = _mm_unpacklo_epi64(t0, t2);
  b = _mm_unpackhi_epi64(t0, t2);
  c = _mm_unpacklo_epi64(t1, t3);
  d = _mm_unpackhi_epi64(t1, t3);
}

inline __m128i load128(const void* p) {
  return _mm_loadu_si128(static_cast<const __m128i*>(p));
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
      acc = _mm512_add_epi32(
          acc, _mm512_add_epi32(_mm512_mullo_epi32(lo, sc_lo), _mm512_mullo_epi32(hi, sc_hi)));
    }
    const __m512i total = _mm512_srai_epi32(acc, 4);
    __m512i mins = _mm512_setzero_si512();
    for (int j = 0; j < 4; ++j)
      mins = _mm512_dpwssd_epi32(
          mins,
          _mm512_cvtepu8_epi16(_mm256_load_si256(reinterpret_cast<const __m256i*>(b.mins[j]))),
          _mm512_set1_epi32(load_i32(bs2 + i * 8 + 2 * j)));
    const __m512 d = _mm512_cvtph_ps(_mm256_load_si256(reinterpret_cast<const __m256i*>(b.d)));
    const __m512 dmin =
        _mm512_cvtph_ps(_mm256_load_si256(reinterpret_cast<const __m256i*>(b.dmin)));
    const __m512 yd = _mm512_set1_ps(y[i].d);
    sum = _mm512_add_ps(
        sum, _mm512_fmsub_ps(_mm512_mul_ps(yd, d), _mm512_cvtepi32_ps(total),
                             _mm512_mul_ps(_mm512_mul_ps(yd, dmin), _mm512_cvtepi32_ps(mins))));
  }
  _mm512_storeu_ps(out, sum);
}

// out[r] = dot(row 16g + r, token y) for a group of Q6_K rows. Codes (value + 32) are rebuilt
// from the low-4-bit and high-2-bit planes in place; sums per 16-element group are scaled by
// that group's 16 scales.
inline void packed_q6_k_group_dot(const BlockQ6_Kx16* blocks, int64_t nsb,
                                  const quant::BlockQ8_K* y, float* out) {
  const __m512i m0f = _mm512_set1_epi8(0x0F), m03 = _mm512_set1_epi8(0x03);
  const __m512i m0c = _mm512_set1_epi8(0x0C), m30 = _mm512_set1_epi8(0x30);
  const __m512i mc0 = _mm512_set1_epi8(static_cast<char>(0xC0));
  __m512 sum = _mm512_setzero_ps();
  for (int64_t i = 0; i < nsb; ++i) {
    const BlockQ6_Kx16& b = blocks[i];
    const int8_t* q8 = y[i].qs;
    __m512i acc = _mm512_setzero_si512(), offset = _mm512_setzero_si512();
    for (int j = 0; j < 8; ++j)  // sum of scale x 16-element activation sum, per row
      offset = _mm512_dpwssd_epi32(
          offset,
          _mm512_cvtepi8_epi16(_mm256_load_si256(reinterpret_cast<const __m256i*>(b.scales[j]))),
          _mm512_set1_epi32(load_i32(y[i].bsums + 2 * j)));
    for (int h = 0; h < 2; ++h) {
      __m512i part[4][2];  // [quarter][first / second 16 elements of its 32]
      for (auto& q : part) q[0] = q[1] = _mm512_setzero_si512();
      for (int v = 0; v < 8; ++v) {
        const __m512i wa = _mm512_load_si512(b.ql[16 * h + v]);
        const __m512i wb = _mm512_load_si512(b.ql[16 * h + 8 + v]);
        const __m512i wh = _mm512_load_si512(b.qh[8 * h + v]);
        const __m512i c[4] = {
            _mm512_or_si512(_mm512_and_si512(wa, m0f),
                            _mm512_slli_epi16(_mm512_and_si512(wh, m03), 4)),
            _mm512_or_si512(_mm512_and_si512(wb, m0f),
                            _mm512_slli_epi16(_mm512_and_si512(wh, m0c), 2)),
            _mm512_or_si512(_mm512_and_si512(_mm512_srli_epi16(wa, 4), m0f),
                            _mm512_and_si512(wh, m30)),
            _mm512_or_si512(_mm512_and_si512(_mm512_srli_epi16(wb, 4), m0f),
                            _mm512_srli_epi16(_mm512_and_si512(wh, mc0), 2)),
        };
        for (int q = 0; q < 4; ++q)
          part[q][v / 4] = _mm512_dpbusd_epi32(
              part[q][v / 4], c[q], _mm512_set1_epi32(load_i32(q8 + 128 * h + 32 * q + 4 * v)));
      }
      for (int q = 0; q < 4; ++q) {  // groups 8h + 2q and 8h + 2q + 1: scale pair j = 4h + q
        const __m512i sc = _mm512_cvtepi8_epi16(
            _mm256_load_si256(reinterpret_cast<const __m256i*>(b.scales[4 * h + q])));
        const __m512i even = _mm512_srai_epi32(_mm512_slli_epi32(sc, 16), 16);
        const __m512i odd = _mm512_srai_epi32(sc, 16);
        acc = _mm512_add_epi32(acc, _mm512_add_epi32(_mm512_mullo_epi32(part[q][0], even),
                                                     _mm512_mullo_epi32(part[q][1], odd)));
      }
    }
    const __m512i total = _mm512_sub_epi32(acc, _mm512_slli_epi32(offset, 5));
    const __m512 d = _mm512_load_ps(b.d);
    sum = _mm512_fmadd_ps(_mm512_mul_ps(d, _mm512_set1_ps(y[i].d)), _mm512_cvtepi32_ps(total), sum);
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
      // A sub-block's 8 byte-pair sums per 16-bit lane are added in 16 bits before one multiply
      // by the scales: each is at most 2 x 15 x 128, so 8 of them stay below 2^15 (exact), and
      // the int32 lanes come out as the sum of the per-step products, one madd per sub-block half
      // instead of one per step.
      __m256i p_lo[2] = {_mm256_setzero_si256(), _mm256_setzero_si256()};
      __m256i p_hi[2] = {_mm256_setzero_si256(), _mm256_setzero_si256()};
      for (int v = 0; v < 8; ++v) {
        const __m256i ya = _mm256_set1_epi32(load_i32(q8 + 64 * c + 4 * v));
        const __m256i yb = _mm256_set1_epi32(load_i32(q8 + 64 * c + 32 + 4 * v));
        for (int h = 0; h < 2; ++h) {
          const __m256i w = load256(b.qs[8 * c + v][8 * h]);
          const __m256i lo = _mm256_and_si256(w, low);
          const __m256i hi = _mm256_and_si256(_mm256_srli_epi16(w, 4), low);
          p_lo[h] = _mm256_add_epi16(p_lo[h], _mm256_maddubs_epi16(lo, ya));
          p_hi[h] = _mm256_add_epi16(p_hi[h], _mm256_maddubs_epi16(hi, yb));
        }
      }
      for (int h = 0; h < 2; ++h)
        acc[h] = _mm256_add_epi32(acc[h], _mm256_add_epi32(_mm256_madd_epi16(p_lo[h], sc_lo[h]),
                                                           _mm256_madd_epi16(p_hi[h], sc_hi[h])));
    }
    const __m256 yd = _mm256_set1_ps(y[i].d);
    for (int h = 0; h < 2; ++h) {
      __m256i mins = _mm256_setzero_si256();
      for (int j = 0; j < 4; ++j)
        mins = _mm256_add_epi32(
            mins, _mm256_madd_epi16(_mm256_cvtepu8_epi16(_mm_loadu_si128(
                                        reinterpret_cast<const __m128i*>(b.mins[j][8 * h]))),
                                    _mm256_set1_epi32(load_i32(bs2 + i * 8 + 2 * j))));
      const __m256 d =
          _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(b.d + 8 * h)));
      const __m256 dmin =
          _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(b.dmin + 8 * h)));
      sum[h] = _mm256_add_ps(
          sum[h],
          _mm256_fmsub_ps(_mm256_mul_ps(yd, d), _mm256_cvtepi32_ps(acc[h]),
                          _mm256_mul_ps(_mm256_mul_ps(yd, dmin), _mm256_cvtepi32_ps(mins))));
    }
  }
  _mm256_storeu_ps(out, sum[0]);
  _mm256_storeu_ps(out + 8, sum[1]);
}

// The same on AVX2, rows 0-7 and 8-15 in two 256-bit halves; codes x activations in 16-bit pairs
// (63 x 127 x 2 fits), times the group's scale as a 16-bit pair.
inline void packed_q6_k_group_dot(const BlockQ6_Kx16* blocks, int64_t nsb,
                                  const quant::BlockQ8_K* y, float* out) {
  const __m256i m0f = _mm256_set1_epi8(0x0F), m03 = _mm256_set1_epi8(0x03);
  const __m256i m0c = _mm256_set1_epi8(0x0C), m30 = _mm256_set1_epi8(0x30);
  const __m256i mc0 = _mm256_set1_epi8(static_cast<char>(0xC0));
  const __m256i low16 = _mm256_set1_epi32(0xFFFF), high16 = _mm256_set1_epi32(~0xFFFF);
  __m256 sum[2] = {_mm256_setzero_ps(), _mm256_setzero_ps()};
  for (int64_t i = 0; i < nsb; ++i) {
    const BlockQ6_Kx16& b = blocks[i];
    const int8_t* q8 = y[i].qs;
    const __m256 dy = _mm256_set1_ps(y[i].d);
    for (int hh = 0; hh < 2; ++hh) {  // rows 8hh .. 8hh + 7
      __m256i acc = _mm256_setzero_si256(), offset = _mm256_setzero_si256();
      __m256i even[8], odd[8];  // [pair j] the scale of group 2j / 2j + 1 as a 16-bit pair
      for (int j = 0; j < 8; ++j) {
        const __m256i sc = _mm256_cvtepi8_epi16(
            _mm_loadu_si128(reinterpret_cast<const __m128i*>(b.scales[j][8 * hh])));
        offset = _mm256_add_epi32(
            offset, _mm256_madd_epi16(sc, _mm256_set1_epi32(load_i32(y[i].bsums + 2 * j))));
        even[j] = _mm256_or_si256(_mm256_and_si256(sc, low16), _mm256_slli_epi32(sc, 16));
        odd[j] = _mm256_or_si256(_mm256_srli_epi32(sc, 16), _mm256_and_si256(sc, high16));
      }
      for (int h = 0; h < 2; ++h) {
        for (int v = 0; v < 8; ++v) {
          const __m256i wa = load256(b.ql[16 * h + v][8 * hh]);
          const __m256i wb = load256(b.ql[16 * h + 8 + v][8 * hh]);
          const __m256i wh = load256(b.qh[8 * h + v][8 * hh]);
          const __m256i c[4] = {
              _mm256_or_si256(_mm256_and_si256(wa, m0f),
                              _mm256_slli_epi16(_mm256_and_si256(wh, m03), 4)),
              _mm256_or_si256(_mm256_and_si256(wb, m0f),
                              _mm256_slli_epi16(_mm256_and_si256(wh, m0c), 2)),
              _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(wa, 4), m0f),
                              _mm256_and_si256(wh, m30)),
              _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(wb, 4), m0f),
                              _mm256_srli_epi16(_mm256_and_si256(wh, mc0), 2)),
          };
          for (int q = 0; q < 4; ++q) {
            const __m256i scale = v < 4 ? even[4 * h + q] : odd[4 * h + q];
            const __m256i yq = _mm256_set1_epi32(load_i32(q8 + 128 * h + 32 * q + 4 * v));
            acc = _mm256_add_epi32(acc, _mm256_madd_epi16(_mm256_maddubs_epi16(c[q], yq), scale));
          }
        }
      }
      const __m256i total = _mm256_sub_epi32(acc, _mm256_slli_epi32(offset, 5));
      const __m256 d = _mm256_loadu_ps(b.d + 8 * hh);
      sum[hh] = _mm256_fmadd_ps(_mm256_mul_ps(d, dy), _mm256_cvtepi32_ps(total), sum[hh]);
    }
  }
  _mm256_storeu_ps(out, sum[0]);
  _mm256_storeu_ps(out + 8, sum[1]);
}

#endif

#include "kernels/cpu/packed_k_quant_gemv-inl.h"

#if defined(__AVX512VNNI__) && defined(__AVX512BW__)
// Prefill on packed Q4_K rows: the decode kernel's arithmetic (packed_q4_k_group_dot) for T
// tokens at once, so each 64-byte load of codes and its nibble mask serve T tokens instead of
// one and no row is unpacked. Per sub-block (8 code vectors held in registers) every token
// costs 8 vpdpbusd against its broadcast activations and one multiply by the 16 rows' scales.
// Integer totals and the float finish are the decode kernel's, so the results are bit for bit
// those of decode. out[t][r] = dot(row 16g + r, token t). (Blocks may be unaligned: packed
// on the fly by stored_k_gemm.)
template <int T>
void packed_q4_k_group_tokens(const BlockQ4_Kx16* blocks, int64_t nsb, const std::byte* xq,
                              size_t xq_row_bytes, const int16_t* bs2, float (*out)[16]) {
  const __m512i low = _mm512_set1_epi8(0x0F), high = _mm512_set1_epi8(static_cast<char>(0xF0));
  const quant::BlockQ8_K* y[T];
  for (int t = 0; t < T; ++t)
    y[t] = reinterpret_cast<const quant::BlockQ8_K*>(xq + t * xq_row_bytes);
  __m512 sum[T];
  for (int t = 0; t < T; ++t) sum[t] = _mm512_setzero_ps();
  for (int64_t i = 0; i < nsb; ++i) {
    const BlockQ4_Kx16& b = blocks[i];
    __m512i acc[T];
    for (int t = 0; t < T; ++t) acc[t] = _mm512_setzero_si512();
    for (int c = 0; c < 4; ++c)
      for (int h = 0; h < 2; ++h) {  // sub-block 2c + h: low (x16 scale) or high nibbles
        __m512i w[8];
        for (int v = 0; v < 8; ++v)
          w[v] = _mm512_and_si512(_mm512_loadu_si512(b.qs[8 * c + v]), h ? high : low);
        __m512i sc = _mm512_cvtepu8_epi32(
            _mm_loadu_si128(reinterpret_cast<const __m128i*>(b.scales[2 * c + h])));
        if (h == 0) sc = _mm512_slli_epi32(sc, 4);
        for (int t = 0; t < T; ++t) {
          const int8_t* q8 = y[t][i].qs + 64 * c + 32 * h;
          __m512i p0 = _mm512_setzero_si512(), p1 = _mm512_setzero_si512();
          for (int v = 0; v < 4; ++v) {
            p0 = _mm512_dpbusd_epi32(p0, w[v], _mm512_set1_epi32(load_i32(q8 + 4 * v)));
            p1 = _mm512_dpbusd_epi32(p1, w[v + 4], _mm512_set1_epi32(load_i32(q8 + 16 + 4 * v)));
          }
          acc[t] = _mm512_add_epi32(acc[t], _mm512_mullo_epi32(_mm512_add_epi32(p0, p1), sc));
        }
      }
    __m512i m[4];
    for (int j = 0; j < 4; ++j)
      m[j] = _mm512_cvtepu8_epi16(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(b.mins[j])));
    const __m512 d = _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(b.d)));
    const __m512 dmin =
        _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(b.dmin)));
    for (int t = 0; t < T; ++t) {
      const int16_t* s2 = bs2 + (t * nsb + i) * 8;
      __m512i mins = _mm512_setzero_si512();
      for (int j = 0; j < 4; ++j)
        mins = _mm512_dpwssd_epi32(mins, m[j], _mm512_set1_epi32(load_i32(s2 + 2 * j)));
      const __m512i total = _mm512_srai_epi32(acc[t], 4);
      const __m512 yd = _mm512_set1_ps(y[t][i].d);
      sum[t] = _mm512_add_ps(
          sum[t],
          _mm512_fmsub_ps(_mm512_mul_ps(yd, d), _mm512_cvtepi32_ps(total),
                          _mm512_mul_ps(_mm512_mul_ps(yd, dmin), _mm512_cvtepi32_ps(mins))));
    }
  }
  for (int t = 0; t < T; ++t) _mm512_storeu_ps(out[t], sum[t]);
}

// packed_q6_k_group_dot's arithmetic for T tokens at once, as packed_q4_k_group_tokens does for
// Q4_K: per quarter of a half super-block the 8 code vectors are rebuilt from their bit planes
// once and serve every token, 8 vpdpbusd per token and two multiplies by the 16-element groups'
// scales. Bit for bit the decode kernel's results.
template <int T>
void packed_q6_k_group_tokens(const BlockQ6_Kx16* blocks, int64_t nsb, const std::byte* xq,
                              size_t xq_row_bytes, const int16_t* /*unused*/, float (*out)[16]) {
  const __m512i m0f = _mm512_set1_epi8(0x0F), m03 = _mm512_set1_epi8(0x03);
  const __m512i m0c = _mm512_set1_epi8(0x0C), m30 = _mm512_set1_epi8(0x30);
  const __m512i mc0 = _mm512_set1_epi8(static_cast<char>(0xC0));
  const quant::BlockQ8_K* y[T];
  for (int t = 0; t < T; ++t)
    y[t] = reinterpret_cast<const quant::BlockQ8_K*>(xq + t * xq_row_bytes);
  __m512 sum[T];
  for (int t = 0; t < T; ++t) sum[t] = _mm512_setzero_ps();
  for (int64_t i = 0; i < nsb; ++i) {
    const BlockQ6_Kx16& b = blocks[i];
    __m512i acc[T];
    for (int t = 0; t < T; ++t) acc[t] = _mm512_setzero_si512();
    for (int h = 0; h < 2; ++h)
      for (int q = 0; q < 4; ++q) {
        __m512i c[8];
        for (int v = 0; v < 8; ++v) {
          const __m512i wl = _mm512_loadu_si512(b.ql[16 * h + (q % 2 ? 8 : 0) + v]);
          const __m512i wh = _mm512_loadu_si512(b.qh[8 * h + v]);
          switch (q) {
            case 0:
              c[v] = _mm512_or_si512(_mm512_and_si512(wl, m0f),
                                     _mm512_slli_epi16(_mm512_and_si512(wh, m03), 4));
              break;
            case 1:
              c[v] = _mm512_or_si512(_mm512_and_si512(wl, m0f),
                                     _mm512_slli_epi16(_mm512_and_si512(wh, m0c), 2));
              break;
            case 2:
              c[v] = _mm512_or_si512(_mm512_and_si512(_mm512_srli_epi16(wl, 4), m0f),
                                     _mm512_and_si512(wh, m30));
              break;
            default:
              c[v] = _mm512_or_si512(_mm512_and_si512(_mm512_srli_epi16(wl, 4), m0f),
                                     _mm512_srli_epi16(_mm512_and_si512(wh, mc0), 2));
              break;
          }
        }
        // Groups 8h + 2q and 8h + 2q + 1: scale pair j = 4h + q.
        const __m512i sc = _mm512_cvtepi8_epi16(
            _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b.scales[4 * h + q])));
        const __m512i even = _mm512_srai_epi32(_mm512_slli_epi32(sc, 16), 16);
        const __m512i odd = _mm512_srai_epi32(sc, 16);
        for (int t = 0; t < T; ++t) {
          const int8_t* q8 = y[t][i].qs + 128 * h + 32 * q;
          __m512i p0 = _mm512_setzero_si512(), p1 = _mm512_setzero_si512();
          for (int v = 0; v < 4; ++v) {
            p0 = _mm512_dpbusd_epi32(p0, c[v], _mm512_set1_epi32(load_i32(q8 + 4 * v)));
            p1 = _mm512_dpbusd_epi32(p1, c[v + 4], _mm512_set1_epi32(load_i32(q8 + 16 + 4 * v)));
          }
          acc[t] = _mm512_add_epi32(
              acc[t], _mm512_add_epi32(_mm512_mullo_epi32(p0, even), _mm512_mullo_epi32(p1, odd)));
        }
      }
    __m512i sc[8];
    for (int j = 0; j < 8; ++j)
      sc[j] =
          _mm512_cvtepi8_epi16(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(b.scales[j])));
    const __m512 d = _mm512_loadu_ps(b.d);
    for (int t = 0; t < T; ++t) {
      __m512i offset = _mm512_setzero_si512();
      for (int j = 0; j < 8; ++j)
        offset =
            _mm512_dpwssd_epi32(offset, sc[j], _mm512_set1_epi32(load_i32(y[t][i].bsums + 2 * j)));
      const __m512i total = _mm512_sub_epi32(acc[t], _mm512_slli_epi32(offset, 5));
      sum[t] = _mm512_fmadd_ps(_mm512_mul_ps(d, _mm512_set1_ps(y[t][i].d)),
                               _mm512_cvtepi32_ps(total), sum[t]);
    }
  }
  for (int t = 0; t < T; ++t) _mm512_storeu_ps(out[t], sum[t]);
}

#else

// The AVX2 versions of the two tile kernels: packed_q4_k_group_dot's / packed_q6_k_group_dot's
// AVX2 arithmetic for T tokens at once, rows 0-7 and 8-15 in two 256-bit halves one after the
// other (each half's integer accumulators, one per token, stay in registers through the
// super-block; both halves at once would not fit AVX2's 16 registers). The code vectors of one
// sub-block (or quarter) are masked once and serve every token. Bit for bit the decode kernels'
// results: the same integer totals (exact; see the bounds below) and the same float finish.
//
// Q4_K: a sub-block's 8 u8 x s8 pair products (vpmaddubsw, |pair| <= 2 x 15 x 128) are summed in
// 16 bits (|sum| <= 16 x 15 x 128 = 30720, no wrap) before the one multiply by the scale pairs
// (vpmaddwd): decode takes that multiply per code vector; the integer total is the same.
template <int T>
void packed_q4_k_group_tokens(const BlockQ4_Kx16* blocks, int64_t nsb, const std::byte* xq,
                              size_t xq_row_bytes, const int16_t* bs2, float (*out)[16]) {
  const __m256i low = _mm256_set1_epi8(0x0F);
  const quant::BlockQ8_K* y[T];
  for (int t = 0; t < T; ++t) {
    y[t] = reinterpret_cast<const quant::BlockQ8_K*>(xq + t * xq_row_bytes);
    std::fill_n(out[t], 16, 0.0f);
  }
  for (int64_t i = 0; i < nsb; ++i) {
    const BlockQ4_Kx16& b = blocks[i];
    for (int hh = 0; hh < 2; ++hh) {  // rows 8hh .. 8hh + 7
      __m256i acc[T];
      for (int t = 0; t < T; ++t) acc[t] = _mm256_setzero_si256();
      for (int sub = 0; sub < 8; ++sub) {  // chunk sub / 2, low or high nibbles
        const int c = sub / 2, high = sub % 2;
        __m256i w[8];
        for (int v = 0; v < 8; ++v) {
          const __m256i raw = load256(b.qs[8 * c + v][8 * hh]);
          w[v] = _mm256_and_si256(high ? _mm256_srli_epi16(raw, 4) : raw, low);
        }
        // The 8 rows' scales as 16-bit pairs (s, s), one per row's lane.
        const __m256i s32 = _mm256_cvtepu8_epi32(
            _mm_loadl_epi64(reinterpret_cast<const __m128i*>(b.scales[sub] + 8 * hh)));
        const __m256i sc = _mm256_or_si256(s32, _mm256_slli_epi32(s32, 16));
        for (int t = 0; t < T; ++t) {
          const int8_t* q8 = y[t][i].qs + 32 * sub;
          __m256i p = _mm256_maddubs_epi16(w[0], _mm256_set1_epi32(load_i32(q8)));
          for (int v = 1; v < 8; ++v)
            p = _mm256_add_epi16(
                p, _mm256_maddubs_epi16(w[v], _mm256_set1_epi32(load_i32(q8 + 4 * v))));
          acc[t] = _mm256_add_epi32(acc[t], _mm256_madd_epi16(p, sc));
        }
      }
      __m256i m[4];
      for (int j = 0; j < 4; ++j)
        m[j] = _mm256_cvtepu8_epi16(
            _mm_loadu_si128(reinterpret_cast<const __m128i*>(b.mins[j][8 * hh])));
      const __m256 d =
          _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(b.d + 8 * hh)));
      const __m256 dmin =
          _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(b.dmin + 8 * hh)));
      for (int t = 0; t < T; ++t) {
        const int16_t* s2 = bs2 + (t * nsb + i) * 8;
        __m256i mins = _mm256_setzero_si256();
        for (int j = 0; j < 4; ++j)
          mins = _mm256_add_epi32(mins,
                                  _mm256_madd_epi16(m[j], _mm256_set1_epi32(load_i32(s2 + 2 * j))));
        const __m256 yd = _mm256_set1_ps(y[t][i].d);
        _mm256_storeu_ps(
            out[t] + 8 * hh,
            _mm256_add_ps(
                _mm256_loadu_ps(out[t] + 8 * hh),
                _mm256_fmsub_ps(_mm256_mul_ps(yd, d), _mm256_cvtepi32_ps(acc[t]),
                                _mm256_mul_ps(_mm256_mul_ps(yd, dmin), _mm256_cvtepi32_ps(mins)))));
      }
    }
  }
}

// Q6_K: codes reach 63, so only two code vectors' pair products are summed in 16 bits
// (2 x 2 x 63 x 128 = 32256) before each multiply by the 16-element group's scale pairs.
template <int T>
void packed_q6_k_group_tokens(const BlockQ6_Kx16* blocks, int64_t nsb, const std::byte* xq,
                              size_t xq_row_bytes, const int16_t* /*unused*/, float (*out)[16]) {
  const __m256i m0f = _mm256_set1_epi8(0x0F), m03 = _mm256_set1_epi8(0x03);
  const __m256i m0c = _mm256_set1_epi8(0x0C), m30 = _mm256_set1_epi8(0x30);
  const __m256i mc0 = _mm256_set1_epi8(static_cast<char>(0xC0));
  const __m256i low16 = _mm256_set1_epi32(0xFFFF), high16 = _mm256_set1_epi32(~0xFFFF);
  const quant::BlockQ8_K* y[T];
  for (int t = 0; t < T; ++t) {
    y[t] = reinterpret_cast<const quant::BlockQ8_K*>(xq + t * xq_row_bytes);
    std::fill_n(out[t], 16, 0.0f);
  }
  for (int64_t i = 0; i < nsb; ++i) {
    const BlockQ6_Kx16& b = blocks[i];
    for (int hh = 0; hh < 2; ++hh) {  // rows 8hh .. 8hh + 7
      __m256i acc[T];
      for (int t = 0; t < T; ++t) acc[t] = _mm256_setzero_si256();
      for (int h = 0; h < 2; ++h)
        for (int q = 0; q < 4; ++q) {
          __m256i c[8];
          for (int v = 0; v < 8; ++v) {
            const __m256i wl = load256(b.ql[16 * h + (q % 2 ? 8 : 0) + v][8 * hh]);
            const __m256i wh = load256(b.qh[8 * h + v][8 * hh]);
            switch (q) {
              case 0:
                c[v] = _mm256_or_si256(_mm256_and_si256(wl, m0f),
                                       _mm256_slli_epi16(_mm256_and_si256(wh, m03), 4));
                break;
              case 1:
                c[v] = _mm256_or_si256(_mm256_and_si256(wl, m0f),
                                       _mm256_slli_epi16(_mm256_and_si256(wh, m0c), 2));
                break;
              case 2:
                c[v] = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(wl, 4), m0f),
                                       _mm256_and_si256(wh, m30));
                break;
              default:
                c[v] = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(wl, 4), m0f),
                                       _mm256_srli_epi16(_mm256_and_si256(wh, mc0), 2));
                break;
            }
          }
          // Groups 8h + 2q (elements v < 4) and 8h + 2q + 1: scale pair j = 4h + q.
          const __m256i sc = _mm256_cvtepi8_epi16(
              _mm_loadu_si128(reinterpret_cast<const __m128i*>(b.scales[4 * h + q][8 * hh])));
          const __m256i even =
              _mm256_or_si256(_mm256_and_si256(sc, low16), _mm256_slli_epi32(sc, 16));
          const __m256i odd =
              _mm256_or_si256(_mm256_srli_epi32(sc, 16), _mm256_and_si256(sc, high16));
          for (int t = 0; t < T; ++t) {
            const int8_t* q8 = y[t][i].qs + 128 * h + 32 * q;
            __m256i sum = acc[t];
            for (int v = 0; v < 8; v += 2) {
              const __m256i p = _mm256_add_epi16(
                  _mm256_maddubs_epi16(c[v], _mm256_set1_epi32(load_i32(q8 + 4 * v))),
                  _mm256_maddubs_epi16(c[v + 1], _mm256_set1_epi32(load_i32(q8 + 4 * v + 4))));
              sum = _mm256_add_epi32(sum, _mm256_madd_epi16(p, v < 4 ? even : odd));
            }
            acc[t] = sum;
          }
        }
      __m256i sc[8];
      for (int j = 0; j < 8; ++j)
        sc[j] = _mm256_cvtepi8_epi16(
            _mm_loadu_si128(reinterpret_cast<const __m128i*>(b.scales[j][8 * hh])));
      const __m256 d = _mm256_loadu_ps(b.d + 8 * hh);
      for (int t = 0; t < T; ++t) {
        __m256i offset = _mm256_setzero_si256();
        for (int j = 0; j < 8; ++j)
          offset = _mm256_add_epi32(
              offset, _mm256_madd_epi16(sc[j], _mm256_set1_epi32(load_i32(y[t][i].bsums + 2 * j))));
        const __m256i total = _mm256_sub_epi32(acc[t], _mm256_slli_epi32(offset, 5));
        _mm256_storeu_ps(
            out[t] + 8 * hh,
            _mm256_fmadd_ps(_mm256_mul_ps(d, _mm256_set1_ps(y[t][i].d)), _mm256_cvtepi32_ps(total),
                            _mm256_loadu_ps(out[t] + 8 * hh)));
      }
    }
  }
}

#endif

// Token panel budget for the packed GEMMs: their activations stay in L2 while every group of rows
// meets them. Tokens per tile: measured with quant_gemm_bench (one thread, 512 tokens, the 0.6B
// and 8B widths), on AVX-512 6 ran 5-10% faster than 4 and 20-40% faster than 8 (where GCC
// spills). On AVX2 (avx2_gemm_bench, on a Zen 5 running the AVX2 build) 6 ran 3-10% faster than
// 4 or 5 and 15-25% faster than 3 on Q4_K, 10-20% faster than 4 on Q6_K, although 6 tokens' integer
// accumulators and the 8 code vectors do not all fit AVX2's 16 registers.
constexpr int64_t kPackedTokenPanelBytes = 512 * 1024;
constexpr int kPackedTokenTile = 6;

// Tokens per panel, a multiple of the tile.
inline int64_t packed_token_panel(size_t xq_row_bytes) {
  return std::max<int64_t>(kPackedTokenTile, kPackedTokenPanelBytes /
                                                 static_cast<int64_t>(xq_row_bytes) /
                                                 kPackedTokenTile * kPackedTokenTile);
}

struct PackedQ4KTiles {
  using Block = BlockQ4_Kx16;
  template <int T>
  static void run(const Block* b, int64_t nsb, const std::byte* x, size_t rb, const int16_t* s2,
                  float (*out)[16]) {
    packed_q4_k_group_tokens<T>(b, nsb, x, rb, s2, out);
  }
};
struct PackedQ6KTiles {
  using Block = BlockQ6_Kx16;
  template <int T>
  static void run(const Block* b, int64_t nsb, const std::byte* x, size_t rb, const int16_t* s2,
                  float (*out)[16]) {
    packed_q6_k_group_tokens<T>(b, nsb, x, rb, s2, out);
  }
};

// Prefill on the packed layout: rows [row_begin, row_end) (whole groups but the matrix's last) x
// all tokens; group g's blocks at groups + (g - g_first) * nsb, y has n_rows columns. Tokens go
// in panels that fit half of L2; within one, each group of 16 rows meets the panel
// kPackedTokenTile tokens at a time while its blocks stay in L1.
template <class Tiles>
void packed_k_gemm(const std::byte* xq, size_t xq_row_bytes, int64_t n_tokens, int64_t nsb,
                   int64_t n_rows, const typename Tiles::Block* groups, int64_t g_first,
                   int64_t row_begin, int64_t row_end, float* y) {
  constexpr bool q4 = std::is_same_v<typename Tiles::Block, BlockQ4_Kx16>;
  std::vector<int16_t> bs2(q4 ? static_cast<size_t>(n_tokens * nsb * 8) : 0);
  if (q4)
    for (int64_t t = 0; t < n_tokens; ++t)
      q4_k_sub_block_sums(reinterpret_cast<const quant::BlockQ8_K*>(xq + t * xq_row_bytes), nsb,
                          bs2.data() + t * nsb * 8);
  const int64_t panel = packed_token_panel(xq_row_bytes);
  alignas(64) float out[kPackedTokenTile][16];
  for (int64_t tp = 0; tp < n_tokens; tp += panel) {
    const int64_t tp_end = std::min(n_tokens, tp + panel);
    for (int64_t g = row_begin / kPackedRows; g * kPackedRows < row_end; ++g) {
      const int64_t r0 = std::max(row_begin, g * kPackedRows);
      const int64_t r1 = std::min(row_end, (g + 1) * kPackedRows);
      const auto* blocks = groups + (g - g_first) * nsb;
      for (int64_t t0 = tp; t0 < tp_end; t0 += kPackedTokenTile) {
        const int count = static_cast<int>(std::min<int64_t>(kPackedTokenTile, tp_end - t0));
        const std::byte* x = xq + t0 * xq_row_bytes;
        const int16_t* s2 = q4 ? bs2.data() + t0 * nsb * 8 : nullptr;
        switch (count) {
          case 6:
            Tiles::template run<6>(blocks, nsb, x, xq_row_bytes, s2, out);
            break;
          case 5:
            Tiles::template run<5>(blocks, nsb, x, xq_row_bytes, s2, out);
            break;
          case 4:
            Tiles::template run<4>(blocks, nsb, x, xq_row_bytes, s2, out);
            break;
          case 3:
            Tiles::template run<3>(blocks, nsb, x, xq_row_bytes, s2, out);
            break;
          case 2:
            Tiles::template run<2>(blocks, nsb, x, xq_row_bytes, s2, out);
            break;
          default:
            Tiles::template run<1>(blocks, nsb, x, xq_row_bytes, s2, out);
            break;
        }
        // A whole group's 16 outputs as a fixed-size copy (inlined); a partial one (the row range
        // starts or ends inside the group) only its own rows.
        for (int t = 0; t < count; ++t) {
          float* dst = y + (t0 + t) * n_rows + r0;
          if (r1 - r0 == kPackedRows)
            std::memcpy(dst, out[t], sizeof(out[t]));
          else
            std::memcpy(dst, out[t] + (r0 - g * kPackedRows),
                        static_cast<size_t>(r1 - r0) * sizeof(float));
        }
      }
    }
  }
}

// Q4_K or Q6_K weights packed at load.
void packed_k_gemm(const std::byte* xq, size_t xq_row_bytes, int64_t n_tokens,
                   const PackedKQuant& p, int64_t row_begin, int64_t row_end, float* y) {
  if (p.dtype() == DType::Q4_K)
    return packed_k_gemm<PackedQ4KTiles>(xq, xq_row_bytes, n_tokens, p.super_blocks(), p.rows(),
                                         p.group<BlockQ4_Kx16>(0), 0, row_begin, row_end, y);
  packed_k_gemm<PackedQ6KTiles>(xq, xq_row_bytes, n_tokens, p.super_blocks(), p.rows(),
                                p.group<BlockQ6_Kx16>(0), 0, row_begin, row_end, y);
}

// Rows [16g, 16g + 16) of a stored Q6_K matrix as one packed group, byte for byte what
// pack_k_quant_group writes (rows past the matrix as zero blocks), for the GEMM that packs on the
// fly: each 4 x 4 tile of (row, 32-bit word) is one transpose of four 16-byte loads, where the
// scalar packer moves every word alone (on 9 tokens its packing took about 3 times the tile
// GEMM's own time, quant_gemm_bench). Blocks need no alignment.
void pack_q6_k_group_fast(const WeightView& w, int64_t g, BlockQ6_Kx16* out) {
  const int64_t nsb = w.cols / quant::kQK_K;
  const quant::BlockQ6_K zero{};
  const quant::BlockQ6_K* rows[kPackedRows];
  int64_t stride[kPackedRows];  // blocks from one super-block to the next (0: the zero block)
  for (int r = 0; r < kPackedRows; ++r) {
    const int64_t row = g * kPackedRows + r;
    rows[r] = row < w.rows ? reinterpret_cast<const quant::BlockQ6_K*>(w.row(row)) : &zero;
    stride[r] = row < w.rows ? 1 : 0;
  }
  for (int64_t i = 0; i < nsb; ++i) {
    BlockQ6_Kx16& b = out[i];
    const quant::BlockQ6_K* in[kPackedRows];
    for (int r = 0; r < kPackedRows; ++r) in[r] = rows[r] + i * stride[r];
    for (int r = 0; r < kPackedRows; ++r) {
      b.d[r] = h2f(in[r]->d);
      for (int j = 0; j < 8; ++j) std::memcpy(b.scales[j][r], in[r]->scales + 2 * j, 2);
    }
    for (int r0 = 0; r0 < kPackedRows; r0 += 4) {
      for (int k = 0; k < 32; k += 4) {  // ql words k .. k + 3 of rows r0 .. r0 + 3
        __m128i v[4];
        for (int j = 0; j < 4; ++j) v[j] = load128(in[r0 + j]->ql + 4 * k);
        transpose_4x4_epi32(v[0], v[1], v[2], v[3]);
        for (int j = 0; j < 4; ++j)
          _mm_storeu_si128(reinterpret_cast<__m128i*>(b.ql[k + j][r0]), v[j]);
      }
      for (int k = 0; k < 16; k += 4) {  // qh words
        __m128i v[4];
        for (int j = 0; j < 4; ++j) v[j] = load128(in[r0 + j]->qh + 4 * k);
        transpose_4x4_epi32(v[0], v[1], v[2], v[3]);
        for (int j = 0; j < 4; ++j)
          _mm_storeu_si128(reinterpret_cast<__m128i*>(b.qh[k + j][r0]), v[j]);
      }
    }
  }
}

// Stored Q4_K or Q6_K rows (Q6_K is not packed at load, see cpu_backend.cc), packed on the fly
// (about the cost of reading them). With one token panel each group is read once, so it is
// packed just before into one group's buffer, which stays in cache; with more, the row range is
// packed once into a buffer the panels share.
template <class Tiles>
void stored_k_gemm_typed(const std::byte* xq, size_t xq_row_bytes, int64_t n_tokens,
                         const WeightView& w, int64_t row_begin, int64_t row_end, float* y) {
  using Block = typename Tiles::Block;
  const int64_t nsb = w.cols / quant::kQK_K;
  const int64_t g0 = row_begin / kPackedRows, g1 = (row_end + kPackedRows - 1) / kPackedRows;
  const bool one_panel = n_tokens <= packed_token_panel(xq_row_bytes);
  std::vector<Block> buffer(static_cast<size_t>((one_panel ? 1 : g1 - g0) * nsb));
  auto* bytes = reinterpret_cast<std::byte*>(buffer.data());
  auto pack = [&](int64_t g, std::byte* dst) {
    if constexpr (std::is_same_v<Block, BlockQ6_Kx16>)
      pack_q6_k_group_fast(w, g, reinterpret_cast<BlockQ6_Kx16*>(dst));
    else
      pack_k_quant_group(w, g, dst);
  };
  if (!one_panel) {
    for (int64_t g = g0; g < g1; ++g) pack(g, bytes + (g - g0) * nsb * sizeof(Block));
    return packed_k_gemm<Tiles>(xq, xq_row_bytes, n_tokens, nsb, w.rows, buffer.data(), g0,
                                row_begin, row_end, y);
  }
  for (int64_t g = g0; g < g1; ++g) {
    pack(g, bytes);
    packed_k_gemm<Tiles>(xq, xq_row_bytes, n_tokens, nsb, w.rows, buffer.data(), g,
                         std::max(row_begin, g * kPackedRows),
                         std::min(row_end, (g + 1) * kPackedRows), y);
  }
}

void stored_k_gemm(const std::byte* xq, size_t xq_row_bytes, int64_t n_tokens, const WeightView& w,
                   int64_t row_begin, int64_t row_end, float* y) {
  if (w.dtype == DType::Q4_K)
    return stored_k_gemm_typed<PackedQ4KTiles>(xq, xq_row_bytes, n_tokens, w, row_begin, row_end,
                                               y);
  stored_k_gemm_typed<PackedQ6KTiles>(xq, xq_row_bytes, n_tokens, w, row_begin, row_end, y);
}
