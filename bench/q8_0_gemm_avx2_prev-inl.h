// A copy of kernels/cpu/q8_0_gemm_avx2-inl.h as it was before the current change, names prefixed
// prev_, so that avx2_gemm_bench can time it against the current kernel in one process.

// Prefill GEMM for Q8_0 weights on AVX2: a register tile of kPrevQ8RowTile weight rows x
// kPrevQ8TokenTile tokens, one 8-lane float accumulator per (row, token), for stored rows and rows
// packed at load (packed_q8_0.h) alike. Included by kernels_avx2.cc inside its anonymous
// namespace, after quant_dot_impl-inl.h.
//
// The numbers are bit for bit those of vec_dot_q8_0 (decode): per 32-weight block each (row,
// token) pair gets the same 8 int32 lanes (|w| x a*sign(w) through vpmaddubsw and vpmaddwd),
// converted and accumulated with one fma by the same scale product h2f(w.d) x h2f(a.d), then the
// same 8-lane horizontal sum. What the tile saves over one row and two tokens at a time: |w| is
// taken once per block for kPrevQ8TokenTile tokens, each activation load serves kPrevQ8RowTile
// rows, the scales come as broadcast loads, and the weights of the sign step come from L1 as memory
// operands. Per pair and block that leaves 6 vector ALU ops (sign, maddubs, madd, convert, the
// scale product, fma) for 32 multiply-adds; decode's float order needs the product rounded on its
// own, so it cannot be folded. (Keeping the products in a small stack array per block instead, 5
// ops, made GCC keep the accumulators in memory and ran no faster.)

#if defined(__AVX2__) && !defined(__AVX512F__)

// Measured (avx2_gemm_bench, 512 tokens, 5 shapes): 2 x 4 ran 1.04-1.38x the previous kernel,
// 3 x 4 (spilling) 1.02-1.16x, 1 x 4 1.05-1.13x.
constexpr int kPrevQ8RowTile = 2;
constexpr int kPrevQ8TokenTile = 4;

// Rows [n, n + R): where block b's 32 codes are (qs[r] + b * stride: 34 bytes for stored rows,
// 512 for rows packed at load) and each block's scale as float ([r][nb]).
struct PrevQ8_0Avx2Rows {
  const int8_t* qs[kPrevQ8RowTile];
  int64_t stride = 0;
  std::vector<float> d;
};

void prev_prepare_q8_0_avx2_rows(const WeightView& w, const PackedQ8_0* packed, int64_t n, int R,
                                 int64_t nb, PrevQ8_0Avx2Rows& rows) {
  rows.d.resize(static_cast<size_t>(kPrevQ8RowTile * nb));
  rows.stride = packed ? 512 : static_cast<int64_t>(sizeof(quant::BlockQ8_0));
  for (int r = 0; r < R; ++r) {
    if (packed) {
      const int64_t g = (n + r) / kPackedQ8Rows, rr = (n + r) % kPackedQ8Rows;
      rows.qs[r] = packed->qs(g) + rr * 32;
      const uint16_t* d = packed->d(g) + rr;
      for (int64_t b = 0; b < nb; ++b) rows.d[r * nb + b] = h2f(d[b * kPackedQ8Rows]);
    } else {
      const auto* x = reinterpret_cast<const quant::BlockQ8_0*>(w.row(n + r));
      rows.qs[r] = x[0].qs;
      for (int64_t b = 0; b < nb; ++b) rows.d[r * nb + b] = h2f(x[b].d);
    }
  }
}

// Tokens [0, C) of a tile (activation rows from xq) x rows; tok_d: [nb][kPrevQ8TokenTile] the
// tokens' block scales (0 past C). y[t * ldy + r] for the tile's rows and tokens.
template <int R, int C>
void prev_q8_0_avx2_tile(const PrevQ8_0Avx2Rows& rows, const std::byte* xq, size_t xq_row_bytes,
                         const float* tok_d, int64_t nb, float* y, int64_t ldy) {
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
    __m256 rd[R];
    for (int r = 0; r < R; ++r) {
      const __m256i wv = load256(wq[r] + b * stride);
      abs_w[r] = _mm256_sign_epi8(wv, wv);
      rd[r] = _mm256_broadcast_ss(rows.d.data() + r * nb + b);
    }
    for (int c = 0; c < C; ++c) {
      const __m256i av = load256(a[c][b].qs);
      const __m256 td = _mm256_broadcast_ss(tok_d + b * kPrevQ8TokenTile + c);
      for (int r = 0; r < R; ++r) {
        const __m256i lanes = _mm256_madd_epi16(
            _mm256_maddubs_epi16(abs_w[r], _mm256_sign_epi8(av, load256(wq[r] + b * stride))),
            ones);
        acc[r][c] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(lanes), _mm256_mul_ps(rd[r], td), acc[r][c]);
      }
    }
  }
  for (int r = 0; r < R; ++r)
    for (int c = 0; c < C; ++c) y[c * ldy + r] = hsum_f32(acc[r][c]);
}

// The tile for R rows (R <= kPrevQ8RowTile) and C tokens (C <= kPrevQ8TokenTile), as templates.
template <int R, int C = kPrevQ8TokenTile>
void prev_q8_0_avx2_tile_dispatch(int rows_left, int tokens_left, const PrevQ8_0Avx2Rows& rows,
                                  const std::byte* xq, size_t xq_row_bytes, const float* tok_d,
                                  int64_t nb, float* y, int64_t ldy) {
  if constexpr (R > 1) {
    if (rows_left < R)
      return prev_q8_0_avx2_tile_dispatch<R - 1, C>(rows_left, tokens_left, rows, xq, xq_row_bytes,
                                                    tok_d, nb, y, ldy);
  }
  if constexpr (C > 1) {
    if (tokens_left < C)
      return prev_q8_0_avx2_tile_dispatch<R, C - 1>(rows_left, tokens_left, rows, xq, xq_row_bytes,
                                                    tok_d, nb, y, ldy);
  }
  prev_q8_0_avx2_tile<R, C>(rows, xq, xq_row_bytes, tok_d, nb, y, ldy);
}

// Rows [row_begin, row_end) x all tokens. Tokens go in panels whose activations fit half of L2;
// within one, each row tile meets every token of the panel while its rows stay in L1. `packed`:
// null, or w's rows packed at load (then only w's shape is read).
void prev_quant_matmul_q8_0_avx2(const std::byte* xq, size_t xq_row_bytes, int64_t n_tokens,
                                 const WeightView& w, const PackedQ8_0* packed, int64_t row_begin,
                                 int64_t row_end, float* y) {
  constexpr int64_t kTokenPanelBytes = 256 * 1024;
  const int64_t nb = w.cols / quant::kQK;
  const int64_t panel =
      std::max<int64_t>(kPrevQ8TokenTile, kTokenPanelBytes / static_cast<int64_t>(xq_row_bytes) /
                                              kPrevQ8TokenTile * kPrevQ8TokenTile);
  std::vector<float> tok_d;  // [token tiles][nb][kPrevQ8TokenTile]
  PrevQ8_0Avx2Rows rows;
  for (int64_t tp = 0; tp < n_tokens; tp += panel) {
    const int64_t count = std::min(panel, n_tokens - tp);
    const int64_t tiles = (count + kPrevQ8TokenTile - 1) / kPrevQ8TokenTile;
    tok_d.assign(static_cast<size_t>(tiles * nb * kPrevQ8TokenTile), 0.0f);
    for (int64_t t = 0; t < count; ++t) {
      const auto* a = reinterpret_cast<const quant::BlockQ8_0*>(xq + (tp + t) * xq_row_bytes);
      float* d =
          tok_d.data() + (t / kPrevQ8TokenTile) * nb * kPrevQ8TokenTile + t % kPrevQ8TokenTile;
      for (int64_t b = 0; b < nb; ++b) d[b * kPrevQ8TokenTile] = h2f(a[b].d);
    }
    for (int64_t n = row_begin; n < row_end; n += kPrevQ8RowTile) {
      const int R = static_cast<int>(std::min<int64_t>(kPrevQ8RowTile, row_end - n));
      prev_prepare_q8_0_avx2_rows(w, packed, n, R, nb, rows);
      for (int64_t t = 0; t < count; t += kPrevQ8TokenTile)
        prev_q8_0_avx2_tile_dispatch<kPrevQ8RowTile>(
            R, static_cast<int>(std::min<int64_t>(kPrevQ8TokenTile, count - t)), rows,
            xq + (tp + t) * xq_row_bytes, xq_row_bytes,
            tok_d.data() + (t / kPrevQ8TokenTile) * nb * kPrevQ8TokenTile, nb,
            y + (tp + t) * w.rows + n, w.rows);
    }
  }
}

#endif
