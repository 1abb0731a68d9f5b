// Prefill GEMM for Q4_K and Q6_K weights on AVX-512 VNNI: a register tile of 4 weight rows x up
// to 16 tokens on rows unpacked one by one. The backend no longer runs it: packed_k_gemm /
// stored_k_gemm (packed_k_quant_kernels-inl.h: no per-row unpacking, vpdpbusd on 16 rows at once)
// are 1.3-2.5x faster from 16 tokens, and since stored Q6_K rows are packed on the fly with 4 x 4
// transposes, about 2x faster from 2 tokens as well (small_batch_bench). It stays as
// quant_gemm_bench's baseline, which includes it after quant_dot_impl-inl.h and
// packed_k_quant_kernels-inl.h (it reuses UnpackedKRow / unpack_k_row, and reads weights packed at
// load through unpack_packed_row, below).
//
// Layout. In Q4_K and Q6_K every run of 16 weights shares one integer sub-block scale. The
// activations of 4 tokens are interleaved 16 bytes at a time, so one 512-bit vector holds the
// same 16 positions of 4 tokens, one per 128-bit lane; the row's 16 codes and its scale are
// broadcast to all four lanes. Per 16 weights, each (row, 4 tokens) pair then costs two
// instructions: vpmaddubsw (codes x activations -> 16-bit pairs) and vpdpwssd (pairs x scale
// accumulated into 32-bit lanes), and each activation load serves 4 rows.
//
// Numbers. Per 256-weight super-block the integer sums are exactly those of vec_dot_q4_k /
// vec_dot_q6_k (integer arithmetic does not depend on the order), and they are finished in float
// with the same operations in the same order as those scalar loops compile to (GCC contracts
// Q4_K's `y.d * d * total - y.d * dmin * mins` into fma(y.d * d, total, -(y.d * dmin * mins)),
// and Q6_K's `sum += d * y.d * total` into fma(d * y.d, total, sum)), only 16 (row, token) pairs
// at a time. The unit tests check prefill equals decode bit for bit. (The previous prefill path
// left Q6_K's sum uncontracted, so for rows longer than 256 it differed from decode by an ulp.)
//   - Q6_K: the codes carry +32; -32 x scale x (sum of the 16 activations) is added to the same
//     accumulator through the activations' 16-element sums (bsums).
//   - Q4_K: the minima term sum m x bsums goes to a second accumulator, scaled by dmin.

#if defined(__AVX512VNNI__) && defined(__AVX512BW__)

// Row n of a packed matrix unpacked as unpack_k_row unpacks a stored row, for the VNNI GEMM
// below, which reuses each unpacked row for many tokens and reads the 16-bit
// pair scales.
void unpack_packed_q4_k_row(const PackedKQuant& p, int64_t n, UnpackedKRow& u) {
  const int64_t nsb = p.super_blocks();
  const BlockQ4_Kx16* blocks = p.group<BlockQ4_Kx16>(n / kPackedRows);
  const int r = static_cast<int>(n % kPackedRows);
  u.codes.resize(nsb * quant::kQK_K);
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
      std::fill_n(u.pair_scales.data() + i * 128 + 16 * sub, 16, int16_t{sc});
      u.group_offsets[i * 16 + 2 * sub] = u.group_offsets[i * 16 + 2 * sub + 1] = m;
    }
    u.d[i] = h2f(b.d[r]);
    u.dmin[i] = h2f(b.dmin[r]);
  }
}

void unpack_packed_q6_k_row(const PackedKQuant& p, int64_t n, UnpackedKRow& u) {
  const int64_t nsb = p.super_blocks();
  const BlockQ6_Kx16* blocks = p.group<BlockQ6_Kx16>(n / kPackedRows);
  const int r = static_cast<int>(n % kPackedRows);
  u.codes.resize(nsb * quant::kQK_K);
  u.pair_scales.resize(nsb * quant::kQK_K / 2);
  u.group_offsets.resize(nsb * 16);
  u.d.resize(nsb);
  u.dmin.assign(nsb, 0.0f);
  for (int64_t i = 0; i < nsb; ++i) {
    const BlockQ6_Kx16& b = blocks[i];
    uint8_t* codes = u.codes.data() + i * quant::kQK_K;
    for (int h = 0; h < 2; ++h)
      for (int v = 0; v < 8; ++v) {  // 4 codes of each quarter per 32-bit word
        const auto wa = static_cast<uint32_t>(load_i32(b.ql[16 * h + v][r]));
        const auto wb = static_cast<uint32_t>(load_i32(b.ql[16 * h + 8 + v][r]));
        const auto wh = static_cast<uint32_t>(load_i32(b.qh[8 * h + v][r]));
        const uint32_t c[4] = {(wa & 0x0F0F0F0Fu) | ((wh & 0x03030303u) << 4),
                               (wb & 0x0F0F0F0Fu) | ((wh & 0x0C0C0C0Cu) << 2),
                               ((wa >> 4) & 0x0F0F0F0Fu) | (wh & 0x30303030u),
                               ((wb >> 4) & 0x0F0F0F0Fu) | ((wh & 0xC0C0C0C0u) >> 2)};
        for (int q = 0; q < 4; ++q) std::memcpy(codes + 128 * h + 32 * q + 4 * v, &c[q], 4);
      }
    for (int g = 0; g < 16; ++g) {
      const int8_t sc = b.scales[g / 2][r][g % 2];
      std::fill_n(u.pair_scales.data() + i * 128 + 8 * g, 8, int16_t{sc});
      u.group_offsets[i * 16 + g] = sc;
    }
    u.d[i] = b.d[r];
  }
}

void unpack_packed_row(const PackedKQuant& p, int64_t n, UnpackedKRow& u) {
  if (p.dtype() == DType::Q4_K) return unpack_packed_q4_k_row(p, n, u);
  unpack_packed_q6_k_row(p, n, u);
}

// Rows n .. n + 3 (n a multiple of 4, so they are adjacent lanes of one group; rows past the
// matrix are the group's zero padding) unpacked together for the VNNI GEMM's 4-row tile: codes
// through 4 x 4 transposes, 16 of a row's codes per store.
void unpack_packed_rows4(const PackedKQuant& p, int64_t n, UnpackedKRow* u) {
  const int64_t nsb = p.super_blocks();
  const int r0 = static_cast<int>(n % kPackedRows);
  const bool q4 = p.dtype() == DType::Q4_K;
  for (int j = 0; j < 4; ++j) {
    u[j].codes.resize(nsb * quant::kQK_K);
    u[j].pair_scales.resize(nsb * quant::kQK_K / 2);
    u[j].group_offsets.resize(nsb * 16);
    u[j].d.resize(nsb);
    u[j].dmin.assign(nsb, 0.0f);
  }
  const __m128i m0f = _mm_set1_epi8(0x0F), m03 = _mm_set1_epi8(0x03), m0c = _mm_set1_epi8(0x0C);
  const __m128i m30 = _mm_set1_epi8(0x30), mc0 = _mm_set1_epi8(static_cast<char>(0xC0));
  for (int64_t i = 0; i < nsb; ++i) {
    if (q4) {
      const BlockQ4_Kx16& b = p.group<BlockQ4_Kx16>(n / kPackedRows)[i];
      for (int k = 0; k < 32; k += 4) {  // elements 64c + 4v .. for words k = 8c + v
        __m128i w[4] = {load128(b.qs[k][r0]), load128(b.qs[k + 1][r0]), load128(b.qs[k + 2][r0]),
                        load128(b.qs[k + 3][r0])};
        transpose_4x4_epi32(w[0], w[1], w[2], w[3]);
        const int e = 64 * (k / 8) + 4 * (k % 8);
        for (int j = 0; j < 4; ++j) {
          uint8_t* codes = u[j].codes.data() + i * quant::kQK_K + e;
          _mm_storeu_si128(reinterpret_cast<__m128i*>(codes), _mm_and_si128(w[j], m0f));
          _mm_storeu_si128(reinterpret_cast<__m128i*>(codes + 32),
                           _mm_and_si128(_mm_srli_epi16(w[j], 4), m0f));
        }
      }
      for (int j = 0; j < 4; ++j) {
        for (int sub = 0; sub < 8; ++sub) {
          std::fill_n(u[j].pair_scales.data() + i * 128 + 16 * sub, 16,
                      int16_t{b.scales[sub][r0 + j]});
          u[j].group_offsets[i * 16 + 2 * sub] = u[j].group_offsets[i * 16 + 2 * sub + 1] =
              b.mins[sub / 2][r0 + j][sub % 2];
        }
        u[j].d[i] = h2f(b.d[r0 + j]);
        u[j].dmin[i] = h2f(b.dmin[r0 + j]);
      }
      continue;
    }
    const BlockQ6_Kx16& b = p.group<BlockQ6_Kx16>(n / kPackedRows)[i];
    for (int h = 0; h < 2; ++h)
      for (int v = 0; v < 8; v += 4) {  // elements 128h + 32q + 4v ..
        __m128i wa[4], wb[4], wh[4];
        for (int j = 0; j < 4; ++j) {
          wa[j] = load128(b.ql[16 * h + v + j][r0]);
          wb[j] = load128(b.ql[16 * h + 8 + v + j][r0]);
          wh[j] = load128(b.qh[8 * h + v + j][r0]);
        }
        transpose_4x4_epi32(wa[0], wa[1], wa[2], wa[3]);
        transpose_4x4_epi32(wb[0], wb[1], wb[2], wb[3]);
        transpose_4x4_epi32(wh[0], wh[1], wh[2], wh[3]);
        for (int j = 0; j < 4; ++j) {
          const __m128i c[4] = {
              _mm_or_si128(_mm_and_si128(wa[j], m0f), _mm_slli_epi16(_mm_and_si128(wh[j], m03), 4)),
              _mm_or_si128(_mm_and_si128(wb[j], m0f), _mm_slli_epi16(_mm_and_si128(wh[j], m0c), 2)),
              _mm_or_si128(_mm_and_si128(_mm_srli_epi16(wa[j], 4), m0f), _mm_and_si128(wh[j], m30)),
              _mm_or_si128(_mm_and_si128(_mm_srli_epi16(wb[j], 4), m0f),
                           _mm_srli_epi16(_mm_and_si128(wh[j], mc0), 2)),
          };
          uint8_t* codes = u[j].codes.data() + i * quant::kQK_K + 128 * h + 4 * v;
          for (int q = 0; q < 4; ++q)
            _mm_storeu_si128(reinterpret_cast<__m128i*>(codes + 32 * q), c[q]);
        }
      }
    for (int j = 0; j < 4; ++j) {
      for (int g = 0; g < 16; ++g) {
        const int8_t sc = b.scales[g / 2][r0 + j][g % 2];
        std::fill_n(u[j].pair_scales.data() + i * 128 + 8 * g, 8, int16_t{sc});
        u[j].group_offsets[i * 16 + g] = sc;
      }
      u[j].d[i] = b.d[r0 + j];
    }
  }
}

// The activations of a token block in the interleaved layout, in groups of 4 tokens (the last
// group padded with zero tokens).
struct KTokens {
  std::vector<int8_t> qs;      // [group][sb][16 runs][4 tokens][16]
  std::vector<int16_t> bsums;  // [group][sb][2 halves][4 tokens][8]
  std::vector<float> d;        // [group][sb][16]: token t's scale in lanes 4t..4t+3
};

void prepare_k_tokens(const std::byte* xq, size_t xq_row_bytes, int64_t n_tokens, int64_t nsb,
                      KTokens& tok) {
  const int64_t groups = (n_tokens + 3) / 4;
  tok.qs.assign(static_cast<size_t>(groups * nsb * 1024), 0);
  tok.bsums.assign(static_cast<size_t>(groups * nsb * 64), 0);
  tok.d.assign(static_cast<size_t>(groups * nsb * 16), 0.0f);
  for (int64_t t = 0; t < n_tokens; ++t) {
    const auto* a = reinterpret_cast<const quant::BlockQ8_K*>(xq + t * xq_row_bytes);
    const int64_t g = t / 4, lane = t % 4;
    for (int64_t sb = 0; sb < nsb; ++sb) {
      const int64_t base = g * nsb + sb;
      for (int run = 0; run < 16; ++run)
        std::memcpy(&tok.qs[base * 1024 + run * 64 + lane * 16], a[sb].qs + 16 * run, 16);
      for (int h = 0; h < 2; ++h)
        std::memcpy(&tok.bsums[base * 64 + h * 32 + lane * 8], a[sb].bsums + 8 * h, 16);
      std::fill_n(&tok.d[base * 16 + lane * 4], 4, a[sb].d);
    }
  }
}

// Four unpacked weight rows (the last one repeated when fewer remain) and their per-super-block
// constants in the tile's lane order (lane 4t + r holds row r).
struct KRowTile {
  UnpackedKRow rows[4];
  std::vector<int16_t> offsets[4];  // [sb][16] Q6_K: -32 x scale; Q4_K: the minimum m
  std::vector<float> d, dmin;       // [sb][16]
};

// Rows come from the stored matrix w, or from its packed copy where there is one.
void prepare_k_rows(const WeightView& w, const PackedKQuant* packed, int64_t n, int count,
                    int64_t nsb, KRowTile& rt) {
  rt.d.resize(static_cast<size_t>(nsb * 16));
  rt.dmin.resize(static_cast<size_t>(nsb * 16));
  // Packed rows from a multiple of 4 come out four at a time (past `count`: rows whose outputs
  // are not written).
  const bool four = packed != nullptr && n % 4 == 0;
  if (four) unpack_packed_rows4(*packed, n, rt.rows);
  for (int r = 0; r < 4; ++r) {
    UnpackedKRow& u = rt.rows[r];
    if (!four && r < count && packed != nullptr)
      unpack_packed_row(*packed, n + r, u);
    else if (!four && r < count)
      unpack_k_row(w.dtype, w.row(n + r), w.cols, u);
    else if (!four)
      u = rt.rows[count - 1];
    rt.offsets[r].resize(static_cast<size_t>(nsb * 16));
    for (int64_t i = 0; i < nsb * 16; ++i)
      rt.offsets[r][i] = static_cast<int16_t>(w.dtype == DType::Q6_K ? -32 * u.group_offsets[i]
                                                                     : u.group_offsets[i]);
    for (int64_t sb = 0; sb < nsb; ++sb)
      for (int t = 0; t < 4; ++t) {
        rt.d[sb * 16 + 4 * t + r] = u.d[sb];
        rt.dmin[sb * 16 + 4 * t + r] = u.dmin[sb];
      }
  }
}

// Four accumulators (rows 0..3) of 4 tokens x 4 lanes -> one vector, lane 4t + r = the sum of
// row r's 4 lanes of token t.
inline __m512i reduce_4x4(__m512i a0, __m512i a1, __m512i a2, __m512i a3) {
  const __m512i x01 =
      _mm512_add_epi32(_mm512_unpacklo_epi32(a0, a1), _mm512_unpackhi_epi32(a0, a1));
  const __m512i x23 =
      _mm512_add_epi32(_mm512_unpacklo_epi32(a2, a3), _mm512_unpackhi_epi32(a2, a3));
  return _mm512_add_epi32(_mm512_unpacklo_epi64(x01, x23), _mm512_unpackhi_epi64(x01, x23));
}

// 4 rows x G groups of 4 tokens, starting at token group g0; out[g][4t + r].
template <int G>
void k_tile(DType type, const KRowTile& rt, const KTokens& tok, int64_t g0, int64_t nsb,
            float (*out)[16]) {
  const bool q6 = type == DType::Q6_K;
  __m512 sum[G];
  for (int g = 0; g < G; ++g) sum[g] = _mm512_setzero_ps();
  for (int64_t sb = 0; sb < nsb; ++sb) {
    const int8_t* act[G];
    const int16_t* bsums[G];
    for (int g = 0; g < G; ++g) {
      act[g] = tok.qs.data() + ((g0 + g) * nsb + sb) * 1024;
      bsums[g] = tok.bsums.data() + ((g0 + g) * nsb + sb) * 64;
    }
    __m512i acc[4][G];
    for (int r = 0; r < 4; ++r)
      for (int g = 0; g < G; ++g) acc[r][g] = _mm512_setzero_si512();
    for (int run = 0; run < 16; ++run) {
      __m512i a[G];
      for (int g = 0; g < G; ++g) a[g] = _mm512_loadu_si512(act[g] + 64 * run);
      for (int r = 0; r < 4; ++r) {
        const UnpackedKRow& u = rt.rows[r];
        const __m512i q = _mm512_broadcast_i32x4(_mm_loadu_si128(
            reinterpret_cast<const __m128i*>(u.codes.data() + sb * 256 + 16 * run)));
        int32_t scale_pair;  // the run's scale twice, as vpdpwssd's 16-bit pair
        std::memcpy(&scale_pair, u.pair_scales.data() + sb * 128 + 8 * run, 4);
        const __m512i s = _mm512_set1_epi32(scale_pair);
        for (int g = 0; g < G; ++g)
          acc[r][g] = _mm512_dpwssd_epi32(acc[r][g], _mm512_maddubs_epi16(q, a[g]), s);
      }
    }
    // The offset (Q6_K) or minima (Q4_K) term: 16 bsums x 16 per-group constants.
    __m512i mins[4][G];
    for (int r = 0; r < 4; ++r)
      for (int g = 0; g < G; ++g) mins[r][g] = _mm512_setzero_si512();
    for (int h = 0; h < 2; ++h) {
      for (int r = 0; r < 4; ++r) {
        const __m512i o = _mm512_broadcast_i32x4(_mm_loadu_si128(
            reinterpret_cast<const __m128i*>(rt.offsets[r].data() + sb * 16 + 8 * h)));
        for (int g = 0; g < G; ++g) {
          const __m512i b = _mm512_loadu_si512(bsums[g] + 32 * h);
          if (q6)
            acc[r][g] = _mm512_dpwssd_epi32(acc[r][g], b, o);
          else
            mins[r][g] = _mm512_dpwssd_epi32(mins[r][g], b, o);
        }
      }
    }
    const __m512 d = _mm512_loadu_ps(rt.d.data() + sb * 16);
    for (int g = 0; g < G; ++g) {
      const __m512 yd = _mm512_loadu_ps(tok.d.data() + ((g0 + g) * nsb + sb) * 16);
      const __m512 total =
          _mm512_cvtepi32_ps(reduce_4x4(acc[0][g], acc[1][g], acc[2][g], acc[3][g]));
      if (q6) {  // sum += d * y.d * total, contracted as in vec_dot_q6_k
        sum[g] = _mm512_fmadd_ps(_mm512_mul_ps(d, yd), total, sum[g]);
      } else {
        const __m512 m =
            _mm512_cvtepi32_ps(reduce_4x4(mins[0][g], mins[1][g], mins[2][g], mins[3][g]));
        const __m512 dmin = _mm512_loadu_ps(rt.dmin.data() + sb * 16);
        const __m512 v =
            _mm512_fmsub_ps(_mm512_mul_ps(yd, d), total, _mm512_mul_ps(_mm512_mul_ps(yd, dmin), m));
        sum[g] = _mm512_add_ps(sum[g], v);
      }
    }
  }
  for (int g = 0; g < G; ++g) _mm512_storeu_ps(out[g], sum[g]);
}

// Token panel budget: measured against 8 MiB (L3) on the 0.6B and 8B widths; L2-sized blocks win
// except on the 12288-wide rows, where the extra unpacking costs about 10%.
constexpr int64_t kKTokenPanelBytes = 640 * 1024;

bool has_k_gemm(DType type) {
  return type == DType::Q4_K || type == DType::Q6_K;
}

// Rows [row_begin, row_end) x all tokens. Tokens go in blocks whose interleaved activations fit
// half of L2; within a block each 4-row tile is unpacked once and meets every token, so the
// unpacking is paid once per (row, token block) and the weights are read once per token block.
// `packed`: w's packed copy or null.
void quant_matmul_k_vnni(const std::byte* xq, size_t xq_row_bytes, int64_t n_tokens,
                         const WeightView& w, const PackedKQuant* packed, int64_t row_begin,
                         int64_t row_end, float* y) {
  const int64_t nsb = w.cols / quant::kQK_K;
  // Equal blocks, as few as fit the panel budget (each block unpacks every row once more).
  const int64_t per_token = w.cols + w.cols / 8;  // interleaved bytes + bsums + scales
  const int64_t max_block = std::max<int64_t>(16, kKTokenPanelBytes / per_token);
  const int64_t n_blocks = (n_tokens + max_block - 1) / max_block;
  const int64_t token_block = ((n_tokens + n_blocks - 1) / n_blocks + 3) / 4 * 4;
  KTokens tok;
  KRowTile rt;
  float out[4][16];
  for (int64_t tb = 0; tb < n_tokens; tb += token_block) {
    const int64_t count = std::min(token_block, n_tokens - tb);
    const int64_t groups = (count + 3) / 4;
    prepare_k_tokens(xq + tb * xq_row_bytes, xq_row_bytes, count, nsb, tok);
    for (int64_t n = row_begin; n < row_end; n += 4) {
      const int rows = static_cast<int>(std::min<int64_t>(4, row_end - n));
      prepare_k_rows(w, packed, n, rows, nsb, rt);
      for (int64_t g0 = 0; g0 < groups; g0 += 4) {
        const int G = static_cast<int>(std::min<int64_t>(4, groups - g0));
        switch (G) {
          case 4:
            k_tile<4>(w.dtype, rt, tok, g0, nsb, out);
            break;
          case 3:
            k_tile<3>(w.dtype, rt, tok, g0, nsb, out);
            break;
          case 2:
            k_tile<2>(w.dtype, rt, tok, g0, nsb, out);
            break;
          default:
            k_tile<1>(w.dtype, rt, tok, g0, nsb, out);
            break;
        }
        for (int g = 0; g < G; ++g)
          for (int t = 0; t < 4; ++t) {
            const int64_t token = 4 * (g0 + g) + t;
            if (token >= count) break;
            for (int r = 0; r < rows; ++r) y[(tb + token) * w.rows + n + r] = out[g][4 * t + r];
          }
      }
    }
  }
}

#endif
