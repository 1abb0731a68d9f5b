// Prefill GEMM for Q8_0 weights on AVX-512 VNNI: a register tile of up to 5 weight rows x 3
// pairs of tokens, each pair in one 512-bit register (token 2p in the low 256 bits, 2p + 1 in
// the high), so every instruction of the inner loop works at full width while each (row, token)
// still sees exactly the arithmetic of decode. Included by kernels_avx512.cc inside its anonymous
// namespace, after quant_dot_impl-inl.h.
//
// The numbers are bit for bit those of vec_dot_q8_0 (decode): per 32-weight block each (row,
// token) pair gets the same 8 int32 lanes (sums of 4 byte products), converted to float and
// accumulated with one fma by the same scale product, then the same 8-lane horizontal sum. Only
// the instructions that produce the lanes differ:
//   - vpdpbusd multiplies unsigned by signed bytes. Instead of the sign trick (|w| x a*sign(w),
//     two extra ops per pair) the activations are stored offset, a + 128, when a token block is
//     packed, and each lane starts at -128 x (sum of its 4 weight bytes), precomputed once per
//     row tile: sum w (a + 128) - 128 sum w = sum w a, exactly.
//   - the scale products row_d x token_d are one multiply of the pair's token scales (8 lanes
//     each) by the row scale, taken as an embedded broadcast.
// The weight block is broadcast into both halves by the load itself (vbroadcasti64x4), so the
// inner loop's only ALU work is vpdpbusd, the conversion, the scale multiply and the fma: 4 ops
// per 64 multiply-adds where the 256-bit tile needed 3 per 32. The multiply is the price of
// decode's float order (two scales per register); without it the kernel would be ~15% faster.

#if defined(__AVX512VNNI__) && defined(__AVX512VL__) && defined(__AVX512DQ__)
// The register tile: 5 rows x 3 token pairs, 15 accumulators (4 x 4 spills on GCC 12).
constexpr int kRowTile = 5;
constexpr int kPairTile = 3;

// One token block packed for the tile loop, pair by pair: per 32-column block a 64-byte
// register of activations + 128 (token 2p, then 2p + 1) and 16 token scales (8 lanes each). An
// odd block ends in a zero token whose results are dropped.
struct Q8_0TokenPanel {
  std::vector<uint8_t> acts;  // [pairs][nb][64]
  std::vector<float> scales;  // [pairs][nb][16]
};

void pack_q8_0_tokens(const std::byte* xq, size_t xq_row_bytes, int64_t n_tokens, int64_t nb,
                      Q8_0TokenPanel& panel) {
  const int64_t pairs = (n_tokens + 1) / 2;
  panel.acts.resize(static_cast<size_t>(pairs * nb * 64));
  panel.scales.resize(static_cast<size_t>(pairs * nb * 16));
  const __m256i flip = _mm256_set1_epi8(static_cast<char>(0x80));
  for (int64_t p = 0; p < pairs; ++p) {
    const auto* a0 = reinterpret_cast<const quant::BlockQ8_0*>(xq + 2 * p * xq_row_bytes);
    const auto* a1 =
        2 * p + 1 < n_tokens
            ? reinterpret_cast<const quant::BlockQ8_0*>(xq + (2 * p + 1) * xq_row_bytes)
            : nullptr;
    for (int64_t b = 0; b < nb; ++b) {
      const __m256i lo = _mm256_xor_si256(load256(a0[b].qs), flip);
      const __m256i hi = a1 ? _mm256_xor_si256(load256(a1[b].qs), flip) : flip;
      _mm512_storeu_si512(panel.acts.data() + (p * nb + b) * 64,
                          _mm512_inserti64x4(_mm512_castsi256_si512(lo), hi, 1));
      const __m256 d0 = _mm256_set1_ps(h2f(a0[b].d));
      const __m256 d1 = _mm256_set1_ps(a1 ? h2f(a1[b].d) : 0.0f);
      _mm512_storeu_ps(panel.scales.data() + (p * nb + b) * 16,
                       _mm512_insertf32x8(_mm512_castps256_ps512(d0), d1, 1));
    }
  }
}

// Per row of a tile: where its codes are (block b's 32 at qs[r] + b * qs_stride: the stored rows,
// or rows packed at load, packed_q8_0.h), its scales as floats (d_rows[r][b]) and each lane's
// start value, -128 x (sum of the lane's 4 weight bytes) (start_rows[r][8 b + lane]). For stored
// rows those live in d and starts.
struct Q8_0RowTile {
  const int8_t* qs[kRowTile];
  int64_t qs_stride = 0;  // bytes between a row's consecutive blocks
  const float* d_rows[kRowTile];
  const int32_t* start_rows[kRowTile];
  std::vector<float> d;         // [R][nb]
  std::vector<int32_t> starts;  // [R][nb][8]
  std::vector<int8_t> codes;    // [R][nb][32] packed rows' codes, copied out
};

void q8_0_row_starts(int R, int64_t nb, Q8_0RowTile& rows) {
  rows.starts.resize(static_cast<size_t>(R * nb * 8));
  const __m256i u128 = _mm256_set1_epi8(static_cast<char>(0x80));
  for (int r = 0; r < R; ++r)
    for (int64_t b = 0; b < nb; ++b) {
      const __m256i sum128 = _mm256_dpbusd_epi32(_mm256_setzero_si256(), u128,
                                                 load256(rows.qs[r] + b * rows.qs_stride));
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(rows.starts.data() + (r * nb + b) * 8),
                          _mm256_sub_epi32(_mm256_setzero_si256(), sum128));
    }
}

void prepare_q8_0_rows(const WeightView& w, int64_t n, int R, int64_t nb, Q8_0RowTile& rows) {
  rows.d.resize(static_cast<size_t>(R * nb));
  rows.qs_stride = sizeof(quant::BlockQ8_0);
  for (int r = 0; r < R; ++r) {
    const auto* x = reinterpret_cast<const quant::BlockQ8_0*>(w.row(n + r));
    rows.qs[r] = x[0].qs;
    for (int64_t b = 0; b < nb; ++b) rows.d[r * nb + b] = h2f(x[b].d);
  }
  q8_0_row_starts(R, nb, rows);
  for (int r = 0; r < R; ++r) {
    rows.d_rows[r] = rows.d.data() + r * nb;
    rows.start_rows[r] = rows.starts.data() + r * nb * 8;
  }
}

// Rows [n, n + R) of a packed matrix (packed_q8_0.h), their codes copied out to rows.codes
// (contiguous per row, as stored rows are) while the lane starts are made, block by block with a
// software prefetch ahead. Measured single threaded (quant_gemm_bench, 128 tokens): reading the
// packed rows row by row at their 512-byte stride ran at 0.72-0.87x the stored layout's speed on
// 4096 and 12288 columns; this way 0.93-1.06x (the prefetch 16 blocks ahead: 0.98).
void prepare_packed_q8_0_rows(const PackedQ8_0& p, int64_t n, int R, int64_t nb,
                              Q8_0RowTile& rows) {
  rows.d.resize(static_cast<size_t>(R * nb));
  rows.starts.resize(static_cast<size_t>(R * nb * 8));
  rows.codes.resize(static_cast<size_t>(R * nb * 32));
  rows.qs_stride = 32;
  const __m256i u128 = _mm256_set1_epi8(static_cast<char>(0x80));
  const int8_t* qs[kRowTile];
  const uint16_t* d[kRowTile];
  for (int r = 0; r < R; ++r) {
    const int64_t g = (n + r) / kPackedQ8Rows;
    const int64_t rr = (n + r) % kPackedQ8Rows;
    qs[r] = p.qs(g) + rr * 32;
    d[r] = p.d(g) + rr;
    rows.qs[r] = rows.codes.data() + r * nb * 32;
    rows.d_rows[r] = rows.d.data() + r * nb;
    rows.start_rows[r] = rows.starts.data() + r * nb * 8;
  }
  // Block by block: the tile's rows share each block's 512 bytes, so the reads move forward
  // through memory together.
  constexpr int64_t kAhead = 16;  // blocks
  for (int64_t b = 0; b < nb; ++b) {
    for (int r = 0; r < R; ++r) {
      _mm_prefetch(reinterpret_cast<const char*>(qs[r] + (b + kAhead) * 512), _MM_HINT_T0);
      rows.d[r * nb + b] = h2f(d[r][b * kPackedQ8Rows]);
      const __m256i w = _mm256_load_si256(reinterpret_cast<const __m256i*>(qs[r] + b * 512));
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(rows.codes.data() + (r * nb + b) * 32), w);
      const __m256i sum128 = _mm256_dpbusd_epi32(_mm256_setzero_si256(), u128, w);
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(rows.starts.data() + (r * nb + b) * 8),
                          _mm256_sub_epi32(_mm256_setzero_si256(), sum128));
    }
  }
}

// Rows [n, n + R) (w gives only the shape: the rows are rt's) x token pairs [p, p + P) of the
// panel over all nb blocks; tokens past n_tokens (the padding of an odd block) are not written.
template <int R, int P>
void q8_0_tile(const WeightView& w, int64_t n, const Q8_0TokenPanel& panel, int64_t p,
               int64_t n_tokens, int64_t nb, const Q8_0RowTile& rt, float* y) {
  const int8_t* rows[R];
  const float* row_d[R];
  const int32_t* starts[R];
  for (int r = 0; r < R; ++r) {
    rows[r] = rt.qs[r];
    row_d[r] = rt.d_rows[r];
    starts[r] = rt.start_rows[r];
  }
  const int64_t stride = rt.qs_stride;
  const uint8_t* acts = panel.acts.data() + p * nb * 64;
  const float* tok_d = panel.scales.data() + p * nb * 16;
  __m512 acc[R][P];
  for (int r = 0; r < R; ++r)
    for (int q = 0; q < P; ++q) acc[r][q] = _mm512_setzero_ps();
  for (int64_t b = 0; b < nb; ++b) {
    __m512i a[P];
    __m512 td[P];
    for (int q = 0; q < P; ++q) {
      a[q] = _mm512_loadu_si512(acts + (q * nb + b) * 64);
      td[q] = _mm512_loadu_ps(tok_d + (q * nb + b) * 16);
    }
    for (int r = 0; r < R; ++r) {
      const __m512i wv = _mm512_broadcast_i64x4(load256(rows[r] + b * stride));
      const __m512i start = _mm512_broadcast_i64x4(load256(starts[r] + b * 8));
      const __m512 rd = _mm512_set1_ps(row_d[r][b]);
      for (int q = 0; q < P; ++q) {
        const __m512i lanes = _mm512_dpbusd_epi32(start, a[q], wv);
        acc[r][q] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(lanes), _mm512_mul_ps(rd, td[q]), acc[r][q]);
      }
    }
  }
  for (int r = 0; r < R; ++r) {
    for (int q = 0; q < P; ++q) {
      const int64_t t = 2 * (p + q);
      y[t * w.rows + n + r] = hsum_f32(_mm512_castps512_ps256(acc[r][q]));
      if (t + 1 < n_tokens)
        y[(t + 1) * w.rows + n + r] = hsum_f32(_mm512_extractf32x8_ps(acc[r][q], 1));
    }
  }
}

template <int R>
void q8_0_row_tile(const WeightView& w, int64_t n, const Q8_0TokenPanel& panel, int64_t n_tokens,
                   int64_t nb, const Q8_0RowTile& rt, float* y) {
  const int64_t pairs = (n_tokens + 1) / 2;
  int64_t p = 0;
  for (; p + kPairTile <= pairs; p += kPairTile)
    q8_0_tile<R, kPairTile>(w, n, panel, p, n_tokens, nb, rt, y);
  switch (pairs - p) {
    case 3:
      return q8_0_tile<R, 3>(w, n, panel, p, n_tokens, nb, rt, y);
    case 2:
      return q8_0_tile<R, 2>(w, n, panel, p, n_tokens, nb, rt, y);
    case 1:
      return q8_0_tile<R, 1>(w, n, panel, p, n_tokens, nb, rt, y);
    default:
      return;
  }
}

template <int R>
void q8_0_rows_dispatch(int rows, const WeightView& w, int64_t n, const Q8_0TokenPanel& panel,
                        int64_t n_tokens, int64_t nb, const Q8_0RowTile& rt, float* y) {
  if constexpr (R > 1) {
    if (rows < R) return q8_0_rows_dispatch<R - 1>(rows, w, n, panel, n_tokens, nb, rt, y);
  }
  q8_0_row_tile<R>(w, n, panel, n_tokens, nb, rt, y);
}

// Rows [row_begin, row_end) x all tokens. Tokens go in blocks whose packed data (64 bytes of
// activations and 64 of scales per pair and 32 columns, 4 bytes per weight column and token)
// fits most of L2; within a block a row tile meets every token, so the weights are read from
// memory once per token block. `packed`: null, or w's rows packed at load (then only w's shape is
// read).
void quant_matmul_q8_0_vnni(const std::byte* xq, size_t xq_row_bytes, int64_t n_tokens,
                            const WeightView& w, const PackedQ8_0* packed, int64_t row_begin,
                            int64_t row_end, float* y) {
  constexpr int64_t kTokenPanelBytes = 640 * 1024;
  const int64_t nb = w.cols / quant::kQK;
  const int64_t token_block = std::max<int64_t>(16, kTokenPanelBytes / (2 * w.cols) / 6 * 6);
  Q8_0TokenPanel panel;
  Q8_0RowTile rt;
  for (int64_t tb = 0; tb < n_tokens; tb += token_block) {
    const int64_t count = std::min(token_block, n_tokens - tb);
    float* yb = y + tb * w.rows;
    pack_q8_0_tokens(xq + tb * xq_row_bytes, xq_row_bytes, count, nb, panel);
    for (int64_t n = row_begin; n < row_end; n += kRowTile) {
      const int R = static_cast<int>(std::min<int64_t>(kRowTile, row_end - n));
      if (packed != nullptr)
        prepare_packed_q8_0_rows(*packed, n, R, nb, rt);
      else
        prepare_q8_0_rows(w, n, R, nb, rt);
      q8_0_rows_dispatch<kRowTile>(R, w, n, panel, count, nb, rt, yb);
    }
  }
}

void quant_matmul_q8_0_vnni(const std::byte* xq, size_t xq_row_bytes, int64_t n_tokens,
                            const WeightView& w, int64_t row_begin, int64_t row_end, float* y) {
  quant_matmul_q8_0_vnni(xq, xq_row_bytes, n_tokens, w, nullptr, row_begin, row_end, y);
}

#endif
