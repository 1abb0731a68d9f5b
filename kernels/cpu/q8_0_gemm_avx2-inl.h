// Prefill GEMM for Q8_0 weights on AVX2: a register tile of kQ8RowTile weight rows x
// kQ8TokenTile tokens, one 8-lane float accumulator per (row, token), for stored rows and rows
// packed at load (packed_q8_0.h) alike. Included by kernels_avx2.cc inside its anonymous
// namespace, after quant_dot_impl-inl.h.
//
// The numbers are bit for bit those of vec_dot_q8_0 (decode): per 32-weight block each (row,
// token) pair gets the same 8 int32 lanes (|w| x a*sign(w) through vpmaddubsw and vpmaddwd),
// converted and accumulated with one fma by the same scale product h2f(w.d) x h2f(a.d), then the
// same 8-lane horizontal sum. What the tile saves over one row and two tokens at a time: |w| is
// taken once per block for kQ8TokenTile tokens, each activation load serves kQ8RowTile rows, the
// weights of the sign step come from L1, and the scale products of a block (each still one float
// multiply rounded on its own, as decode's order needs) come from one vector multiply per block
// and tile, ahead of the loop, as broadcast loads. Per pair and block that leaves 5 vector ALU ops
// (sign, maddubs, madd, convert, fma) for 32 multiply-adds. avx2_gemm_bench (512 tokens, one
// thread, against the previous kernel that multiplied the scales per pair and whose accumulators
// GCC also stored to the stack every block): 1.08-1.15x on 0.6B and 8B shapes.

#if defined(__AVX2__) && !defined(__AVX512F__)

// Measured (avx2_gemm_bench, 512 tokens, 5 shapes): 2 x 4 ran 1.04-1.38x the previous kernel,
// 3 x 4 (spilling) 1.02-1.16x, 1 x 4 1.05-1.13x.
constexpr int kQ8RowTile = 2;
constexpr int kQ8TokenTile = 4;

// Rows [n, n + R): where block b's 32 codes are (qs[r] + b * stride: 34 bytes for stored rows,
// 512 for rows packed at load) and each block's scale as float ([r][nb]).
struct Q8_0Avx2Rows {
  const int8_t* qs[kQ8RowTile];
  int64_t stride = 0;
  // [nb][kQ8RowTile][kQ8TokenTile]: each block's row scale repeated once per token of a tile, so
  // that one vector multiply by the tokens' scales gives the tile's products for a block.
  std::vector<float> d;
};

void prepare_q8_0_avx2_rows(const WeightView& w, const PackedQ8_0* packed, int64_t n, int R,
                            int64_t nb, Q8_0Avx2Rows& rows) {
  rows.d.assign(static_cast<size_t>(nb * kQ8RowTile * kQ8TokenTile), 0.0f);
  auto set = [&](int r, int64_t b, float v) {
    for (int c = 0; c < kQ8TokenTile; ++c) rows.d[(b * kQ8RowTile + r) * kQ8TokenTile + c] = v;
  };
  rows.stride = packed ? 512 : static_cast<int64_t>(sizeof(quant::BlockQ8_0));
  for (int r = 0; r < R; ++r) {
    if (packed) {
      const int64_t g = (n + r) / kPackedQ8Rows, rr = (n + r) % kPackedQ8Rows;
      rows.qs[r] = packed->qs(g) + rr * 32;
      const uint16_t* d = packed->d(g) + rr;
      for (int64_t b = 0; b < nb; ++b) set(r, b, h2f(d[b * kPackedQ8Rows]));
    } else {
      const auto* x = reinterpret_cast<const quant::BlockQ8_0*>(w.row(n + r));
      rows.qs[r] = x[0].qs;
      for (int64_t b = 0; b < nb; ++b) set(r, b, h2f(x[b].d));
    }
  }
}

// Tokens [0, C) of a tile (activation rows from xq) x rows; tok_d: [nb][kQ8TokenTile] the
// tokens' block scales (0 past C). y[t * ldy + r] for the tile's rows and tokens.
template <int R, int C>
void q8_0_avx2_tile(const Q8_0Avx2Rows& rows, const std::byte* xq, size_t xq_row_bytes,
                    const float* tok_d, int64_t nb, float* y, int64_t ldy, float* prod) {
  static_assert(kQ8RowTile * kQ8TokenTile == 8);
  // The scale products h2f(w.d) x h2f(a.d) of every (row, token, block), one vector multiply per
  // block (each product is still one float multiply, rounded on its own as decode rounds it), so
  // the loop below takes them as broadcast loads.
  for (int64_t b = 0; b < nb; ++b)
    _mm256_storeu_ps(prod + b * 8,
                     _mm256_mul_ps(_mm256_loadu_ps(rows.d.data() + b * 8),
                                   _mm256_broadcast_ps(
                                       reinterpret_cast<const __m128*>(tok_d + b * kQ8TokenTile))));
  const quant::BlockQ8_0* a[C];
  for (int c = 0; c < C; ++c)
    a[c] = reinterpret_cast<const quant::BlockQ8_0*>(xq + c * xq_row_bytes);
  const int8_t* wq[R];
  for (int r = 0; r < R; ++r) wq[r] = rows.qs[r];
  const int64_t stride = rows.stride;
  const __m256i ones = _mm256_set1_epi16(1);
  __m256 acc[R][C];
  for (int r = 0; r < R; ++r)
    for (int c = 0; c < C; ++c) acc[r][c] = _mm256_setzero_ps();
  for (int64_t b = 0; b < nb; ++b) {
    __m256i abs_w[R];
    for (int r = 0; r < R; ++r) {
      const __m256i wv = load256(wq[r] + b * stride);
      abs_w[r] = _mm256_sign_epi8(wv, wv);
    }
    for (int c = 0; c < C; ++c) {
      const __m256i av = load256(a[c][b].qs);
      for (int r = 0; r < R; ++r) {
        const __m256i lanes = _mm256_madd_epi16(
            _mm256_maddubs_epi16(abs_w[r], _mm256_sign_epi8(av, load256(wq[r] + b * stride))),
            ones);
        acc[r][c] =
            _mm256_fmadd_ps(_mm256_cvtepi32_ps(lanes),
                            _mm256_broadcast_ss(prod + b * 8 + r * kQ8TokenTile + c), acc[r][c]);
      }
    }
  }
  // Parked in memory before the sums: reducing straight from the registers made GCC keep a
  // copy of every accumulator on the stack, stored each block.
  alignas(32) float park[R][C][8];
  for (int r = 0; r < R; ++r)
    for (int c = 0; c < C; ++c) _mm256_store_ps(park[r][c], acc[r][c]);
  for (int r = 0; r < R; ++r)
    for (int c = 0; c < C; ++c) y[c * ldy + r] = hsum_f32(_mm256_load_ps(park[r][c]));
}

// The tile for R rows (R <= kQ8RowTile) and C tokens (C <= kQ8TokenTile), as templates.
template <int R, int C = kQ8TokenTile>
void q8_0_avx2_tile_dispatch(int rows_left, int tokens_left, const Q8_0Avx2Rows& rows,
                             const std::byte* xq, size_t xq_row_bytes, const float* tok_d,
                             int64_t nb, float* y, int64_t ldy, float* prod) {
  if constexpr (R > 1) {
    if (rows_left < R)
      return q8_0_avx2_tile_dispatch<R - 1, C>(rows_left, tokens_left, rows, xq, xq_row_bytes,
                                               tok_d, nb, y, ldy, prod);
  }
  if constexpr (C > 1) {
    if (tokens_left < C)
      return q8_0_avx2_tile_dispatch<R, C - 1>(rows_left, tokens_left, rows, xq, xq_row_bytes,
                                               tok_d, nb, y, ldy, prod);
  }
  q8_0_avx2_tile<R, C>(rows, xq, xq_row_bytes, tok_d, nb, y, ldy, prod);
}

// Rows [row_begin, row_end) x all tokens. Tokens go in panels whose activations fit half of L2;
// within one, each row tile meets every token of the panel while its rows stay in L1. `packed`:
// null, or w's rows packed at load (then only w's shape is read).
void quant_matmul_q8_0_avx2(const std::byte* xq, size_t xq_row_bytes, int64_t n_tokens,
                            const WeightView& w, const PackedQ8_0* packed, int64_t row_begin,
                            int64_t row_end, float* y) {
  constexpr int64_t kTokenPanelBytes = 256 * 1024;
  const int64_t nb = w.cols / quant::kQK;
  const int64_t panel =
      std::max<int64_t>(kQ8TokenTile, kTokenPanelBytes / static_cast<int64_t>(xq_row_bytes) /
                                          kQ8TokenTile * kQ8TokenTile);
  std::vector<float> tok_d;  // [token tiles][nb][kQ8TokenTile]
  Q8_0Avx2Rows rows;
  std::vector<float> prod(static_cast<size_t>(nb * 8));
  for (int64_t tp = 0; tp < n_tokens; tp += panel) {
    const int64_t count = std::min(panel, n_tokens - tp);
    const int64_t tiles = (count + kQ8TokenTile - 1) / kQ8TokenTile;
    tok_d.assign(static_cast<size_t>(tiles * nb * kQ8TokenTile), 0.0f);
    for (int64_t t = 0; t < count; ++t) {
      const auto* a = reinterpret_cast<const quant::BlockQ8_0*>(xq + (tp + t) * xq_row_bytes);
      float* d = tok_d.data() + (t / kQ8TokenTile) * nb * kQ8TokenTile + t % kQ8TokenTile;
      for (int64_t b = 0; b < nb; ++b) d[b * kQ8TokenTile] = h2f(a[b].d);
    }
    for (int64_t n = row_begin; n < row_end; n += kQ8RowTile) {
      const int R = static_cast<int>(std::min<int64_t>(kQ8RowTile, row_end - n));
      prepare_q8_0_avx2_rows(w, packed, n, R, nb, rows);
      for (int64_t t = 0; t < count; t += kQ8TokenTile)
        q8_0_avx2_tile_dispatch<kQ8RowTile>(
            R, static_cast<int>(std::min<int64_t>(kQ8TokenTile, count - t)), rows,
            xq + (tp + t) * xq_row_bytes, xq_row_bytes,
            tok_d.data() + (t / kQ8TokenTile) * nb * kQ8TokenTile, nb, y + (tp + t) * w.rows + n,
            w.rows, prod.data());
    }
  }
}

#endif
