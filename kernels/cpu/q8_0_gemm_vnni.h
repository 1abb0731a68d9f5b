// Prefill GEMM for Q8_0 weights on AVX-512 VNNI: a register tile of up to 4 weight rows x 4
// tokens, so each weight block loaded serves 4 tokens and each activation block 4 rows.
// Included by kernels_avx512.cc inside its anonymous namespace, after quant_dot_impl.h.
//
// The numbers are bit for bit those of vec_dot_q8_0 (decode): per 32-weight block each (row,
// token) pair gets the same 8 int32 lanes (sums of 4 byte products), converted to float and
// accumulated with one fma by the same scale product, then the same 8-lane horizontal sum. Only
// the instructions that produce the lanes differ:
//   - vpdpbusd multiplies unsigned by signed bytes. Instead of the sign trick (|w| x a*sign(w),
//     one extra op per pair) the weights are offset to w + 128 once per row block, and the
//     accumulator starts at -128 * (sum of the 4 activation bytes of its lane), precomputed once
//     per token: sum (w + 128) a - 128 sum a = sum w a, exactly.
//   - the 16 scale products row_d x token_d of a block are one 512-bit multiply before the
//     loop; the fma then takes its multiplier as a broadcast load.

#if defined(__AVX512VNNI__) && defined(__AVX512VL__)

// Per-token data shared by every row tile: the accumulator start values and the scales.
struct Q8_0Tokens {
  std::vector<int32_t> neg_offsets;  // [T][nb][8] -128 x sum of each lane's 4 activation bytes
  std::vector<float> d;              // [T / 4 groups][nb][4] token scales, 4 tokens side by side
};

void prepare_q8_0_tokens(const std::byte* xq, size_t xq_row_bytes, int64_t n_tokens, int64_t nb,
                         Q8_0Tokens& tok) {
  const int64_t groups = (n_tokens + 3) / 4;
  tok.neg_offsets.resize(static_cast<size_t>(n_tokens * nb * 8));
  tok.d.assign(static_cast<size_t>(groups * nb * 4), 0.0f);
  const __m256i u128 = _mm256_set1_epi8(static_cast<char>(0x80));
  for (int64_t t = 0; t < n_tokens; ++t) {
    const auto* a = reinterpret_cast<const quant::BlockQ8_0*>(xq + t * xq_row_bytes);
    for (int64_t b = 0; b < nb; ++b) {
      const __m256i sum128 = _mm256_dpbusd_epi32(_mm256_setzero_si256(), u128, load256(a[b].qs));
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(&tok.neg_offsets[(t * nb + b) * 8]),
                          _mm256_sub_epi32(_mm256_setzero_si256(), sum128));
      tok.d[((t / 4) * nb + b) * 4 + t % 4] = h2f(a[b].d);
    }
  }
}

// Rows [n, n + R) x tokens [t, t + C) over all nb blocks. row_d: [nb][16], the tile's row scales
// with row r in lanes 4r..4r+3; scales: scratch of nb * 16 floats.
template <int R, int C>
void q8_0_tile(const std::byte* xq, size_t xq_row_bytes, const WeightView& w, int64_t n, int64_t t,
               int64_t nb, const Q8_0Tokens& tok, const float* row_d, float* scales, float* y) {
  // scales[b][4r + c] = row_d[r] * token_d[c], as vec_dot_q8_0 rounds it.
  const float* token_d = tok.d.data() + (t / 4) * nb * 4;
  for (int64_t b = 0; b < nb; ++b)
    _mm512_storeu_ps(scales + 16 * b,
                     _mm512_mul_ps(_mm512_loadu_ps(row_d + 16 * b),
                                   _mm512_broadcast_f32x4(_mm_loadu_ps(token_d + 4 * b))));
  const quant::BlockQ8_0* rows[R];
  const quant::BlockQ8_0* acts[C];
  const int32_t* offsets[C];
  for (int r = 0; r < R; ++r) rows[r] = reinterpret_cast<const quant::BlockQ8_0*>(w.row(n + r));
  for (int c = 0; c < C; ++c) {
    acts[c] = reinterpret_cast<const quant::BlockQ8_0*>(xq + (t + c) * xq_row_bytes);
    offsets[c] = tok.neg_offsets.data() + (t + c) * nb * 8;
  }
  const __m256i flip = _mm256_set1_epi8(static_cast<char>(0x80));
  __m256 acc[R][C];
  for (int r = 0; r < R; ++r)
    for (int c = 0; c < C; ++c) acc[r][c] = _mm256_setzero_ps();
  for (int64_t b = 0; b < nb; ++b) {
    __m256i a[C], start[C];
    for (int c = 0; c < C; ++c) {
      a[c] = load256(acts[c][b].qs);
      start[c] = load256(offsets[c] + 8 * b);
    }
    for (int r = 0; r < R; ++r) {
      const __m256i u = _mm256_xor_si256(load256(rows[r][b].qs), flip);  // w + 128 as u8
      for (int c = 0; c < C; ++c) {
        const __m256i lanes = _mm256_dpbusd_epi32(start[c], u, a[c]);
        acc[r][c] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(lanes),
                                    _mm256_set1_ps(scales[16 * b + 4 * r + c]), acc[r][c]);
      }
    }
  }
  for (int r = 0; r < R; ++r)
    for (int c = 0; c < C; ++c) y[(t + c) * w.rows + n + r] = hsum_f32(acc[r][c]);
}

template <int R>
void q8_0_row_tile(const std::byte* xq, size_t xq_row_bytes, int64_t n_tokens, const WeightView& w,
                   int64_t n, int64_t nb, const Q8_0Tokens& tok, const float* row_d, float* scales,
                   float* y) {
  int64_t t = 0;
  for (; t + 4 <= n_tokens; t += 4)
    q8_0_tile<R, 4>(xq, xq_row_bytes, w, n, t, nb, tok, row_d, scales, y);
  switch (n_tokens - t) {
    case 3:
      return q8_0_tile<R, 3>(xq, xq_row_bytes, w, n, t, nb, tok, row_d, scales, y);
    case 2:
      return q8_0_tile<R, 2>(xq, xq_row_bytes, w, n, t, nb, tok, row_d, scales, y);
    case 1:
      return q8_0_tile<R, 1>(xq, xq_row_bytes, w, n, t, nb, tok, row_d, scales, y);
    default:
      return;
  }
}

// Rows [row_begin, row_end) x all tokens. Tokens go in blocks whose data (activations plus start
// values, 2 bytes per weight column and token) fits half of L2; within a block a row tile (4 rows
// of 34 bytes per 32 weights, in L1) meets every token, so the weights are read from memory once
// per token block.
void quant_matmul_q8_0_vnni(const std::byte* xq, size_t xq_row_bytes, int64_t n_tokens,
                            const WeightView& w, int64_t row_begin, int64_t row_end, float* y) {
  constexpr int64_t kTokenPanelBytes = 512 * 1024;
  const int64_t nb = w.cols / quant::kQK;
  const int64_t token_block = std::max<int64_t>(16, kTokenPanelBytes / (2 * w.cols) / 4 * 4);
  Q8_0Tokens tok;
  std::vector<float> row_d(static_cast<size_t>(nb * 16)), scales(static_cast<size_t>(nb * 16));
  for (int64_t tb = 0; tb < n_tokens; tb += token_block) {
    const int64_t count = std::min(token_block, n_tokens - tb);
    const std::byte* xb = xq + tb * xq_row_bytes;
    float* yb = y + tb * w.rows;
    prepare_q8_0_tokens(xb, xq_row_bytes, count, nb, tok);
    for (int64_t n = row_begin; n < row_end; n += 4) {
      const int R = static_cast<int>(std::min<int64_t>(4, row_end - n));
      for (int r = 0; r < 4; ++r) {
        const auto* x = reinterpret_cast<const quant::BlockQ8_0*>(w.row(n + std::min(r, R - 1)));
        for (int64_t b = 0; b < nb; ++b) std::fill_n(row_d.data() + 16 * b + 4 * r, 4, h2f(x[b].d));
      }
      const float* rd = row_d.data();
      float* sc = scales.data();
      switch (R) {
        case 4:
          q8_0_row_tile<4>(xb, xq_row_bytes, count, w, n, nb, tok, rd, sc, yb);
          break;
        case 3:
          q8_0_row_tile<3>(xb, xq_row_bytes, count, w, n, nb, tok, rd, sc, yb);
          break;
        case 2:
          q8_0_row_tile<2>(xb, xq_row_bytes, count, w, n, nb, tok, rd, sc, yb);
          break;
        default:
          q8_0_row_tile<1>(xb, xq_row_bytes, count, w, n, nb, tok, rd, sc, yb);
          break;
      }
    }
  }
}

#endif
