// The kernel templates behind IsaKernels, written once over a vector type S (Avx512, Avx2,
// Scalar). Each kernels_<isa>.cc includes this inside an anonymous namespace, compiled with
// that ISA's flags, so instantiations never mix across instruction sets.
//
// Every S has 16 lanes and the same reduction trees, and the plain C++ steps here are written
// with std::fma where a sum takes a product (a kernels TU compiled with -mfma would fuse them, the
// scalar one would not): so all levels give the same numbers, bit for bit.
//
// matmul: a register tile of R weight rows x C tokens; each weight vector is converted from
// its stored dtype once and used for C tokens, and token blocks of kTokenBlock keep the
// activations in L2 while the weights stream. Decode (1 token) runs the same tiles with C = 1.

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

#include "kernels/cpu/isa_kernels.h"
#include "kernels/ref/ref_ops.h"

template <class S, DType D>
inline typename S::V load_weights(const std::byte* p) {
  if constexpr (D == DType::F32) {
    float tmp[S::kWidth];
    std::memcpy(tmp, p, sizeof(tmp));
    return S::load(tmp);
  } else if constexpr (D == DType::BF16) {
    return S::load_bf16(p);
  } else {
    return S::load_f16(p);
  }
}

template <class S>
inline float dot(const float* a, const float* b, int64_t n) {
  typename S::V acc = S::zero();
  int64_t i = 0;
  for (; i + S::kWidth <= n; i += S::kWidth) acc = S::fmadd(S::load(a + i), S::load(b + i), acc);
  float sum = S::reduce_add(acc);
  for (; i < n; ++i) sum = std::fma(a[i], b[i], sum);
  return sum;
}

// y[i] = y[i] * scale + a * x[i]
template <class S>
inline void scale_axpy(float scale, float a, const float* x, float* y, int64_t n) {
  const auto vs = S::set1(scale), va = S::set1(a);
  int64_t i = 0;
  for (; i + S::kWidth <= n; i += S::kWidth)
    S::store(y + i, S::fmadd(va, S::load(x + i), S::mul(vs, S::load(y + i))));
  for (; i < n; ++i) y[i] = std::fma(a, x[i], y[i] * scale);
}

template <class S, DType D, int R, int C>
inline void matmul_tile(const float* x, int64_t K, const std::byte* w, size_t w_row_bytes, float* y,
                        int64_t ldy) {
  constexpr size_t kElem = dtype_size(D);
  typename S::V acc[R][C];
  for (int r = 0; r < R; ++r)
    for (int c = 0; c < C; ++c) acc[r][c] = S::zero();
  int64_t k = 0;
  for (; k + S::kWidth <= K; k += S::kWidth) {
    typename S::V wv[R];
    for (int r = 0; r < R; ++r) wv[r] = load_weights<S, D>(w + r * w_row_bytes + k * kElem);
    for (int c = 0; c < C; ++c) {
      const typename S::V xv = S::load(x + c * K + k);
      for (int r = 0; r < R; ++r) acc[r][c] = S::fmadd(wv[r], xv, acc[r][c]);
    }
  }
  for (int r = 0; r < R; ++r) {
    for (int c = 0; c < C; ++c) {
      float sum = S::reduce_add(acc[r][c]);
      for (int64_t kk = k; kk < K; ++kk)
        sum = std::fma(x[c * K + kk], ref::load_element(w + r * w_row_bytes, D, kk), sum);
      y[c * ldy + r] = sum;
    }
  }
}

template <class S, DType D>
inline typename S::Half::H load_weight_half(const std::byte* p) {
  using H = typename S::Half;
  if constexpr (D == DType::F32) {
    return H::load(reinterpret_cast<const float*>(p));
  } else if constexpr (D == DType::BF16) {
    return H::load_bf16(p);
  } else {
    return H::load_f16(p);
  }
}

// matmul_tile for an S whose V is two registers (S::Half, AVX2): an R x C tile of whole V
// accumulators would need 2 * R * C registers and spill, and a smaller tile is bound by its loads.
// Every lane's chain of fmadds over k is independent of the others, so this runs lanes 0-7 of
// every 16-wide chunk in one pass and lanes 8-15 in a second, each with R * C one-register
// accumulators (x loaded once per token, each weight converted once per pass), then joins them
// into V and reduces as matmul_tile does: the same operations per lane in the same order, so the
// same bits. The passes go over kKChunk floats of k at a time, accumulators parked in memory
// between chunks, so that the second pass finds the chunk's x and weights still in L1.
// float_kernels_bench (F16, 512 tokens, thread CPU time, AVX2 / AVX-512 time): 3072x1024 2.12 ->
// 1.07, 1024x3072 1.66 -> 1.26 (the 2 x 2 tile of whole V before).
template <class S, DType D, int R, int C>
inline void matmul_tile_halves(const float* x, int64_t K, const std::byte* w, size_t w_row_bytes,
                               float* y, int64_t ldy) {
  using H = typename S::Half;
  using Reg = typename H::H;
  constexpr size_t kElem = dtype_size(D);
  constexpr int64_t kKChunk = 512;
  const int64_t k_end = K / S::kWidth * S::kWidth;
  Reg park[2][R][C];
  for (int h = 0; h < 2; ++h)
    for (int r = 0; r < R; ++r)
      for (int c = 0; c < C; ++c) park[h][r][c] = H::zero();
  for (int64_t k0 = 0; k0 < k_end; k0 += kKChunk) {
    const int64_t k1 = std::min(k_end, k0 + kKChunk);
    for (int h = 0; h < 2; ++h) {
      Reg acc[R][C];
      for (int r = 0; r < R; ++r)
        for (int c = 0; c < C; ++c) acc[r][c] = park[h][r][c];
      for (int64_t k = k0 + h * S::kWidth / 2; k < k1; k += S::kWidth) {
        Reg xv[C];
        for (int c = 0; c < C; ++c) xv[c] = H::load(x + c * K + k);
        for (int r = 0; r < R; ++r) {
          const Reg wv = load_weight_half<S, D>(w + r * w_row_bytes + k * kElem);
          for (int c = 0; c < C; ++c) acc[r][c] = H::fmadd(wv, xv[c], acc[r][c]);
        }
      }
      for (int r = 0; r < R; ++r)
        for (int c = 0; c < C; ++c) park[h][r][c] = acc[r][c];
    }
  }
  for (int r = 0; r < R; ++r) {
    for (int c = 0; c < C; ++c) {
      float sum = S::reduce_add(H::join(park[0][r][c], park[1][r][c]));
      for (int64_t kk = k_end; kk < K; ++kk)
        sum = std::fma(x[c * K + kk], ref::load_element(w + r * w_row_bytes, D, kk), sum);
      y[c * ldy + r] = sum;
    }
  }
}

template <class S, DType D, int R, int C>
inline void matmul_tile_for(const float* x, int64_t K, const std::byte* w, size_t w_row_bytes,
                            float* y, int64_t ldy) {
  if constexpr (requires { typename S::Half; })
    matmul_tile_halves<S, D, R, C>(x, K, w, w_row_bytes, y, ldy);
  else
    matmul_tile<S, D, R, C>(x, K, w, w_row_bytes, y, ldy);
}

template <class S, DType D>
void matmul_rows_typed(const float* x, int64_t n_tokens, const WeightView& w, int64_t row_begin,
                       int64_t row_end, float* y) {
  // Each output is one accumulator over k in order whatever the tile, so the tile shape (S's
  // choice, for its register count) never changes the results. One token (decode) takes the
  // same tiles, kRows rows by 1 token: a token's outputs are the same bits whatever else shares
  // the call, so a sequence decoded alone, in a batch, or recomputed as a prefill after a
  // preemption gets the same numbers (batch invariance). Decode used to walk rows one at a time
  // with four accumulators over k, another summation order (about 1e-6 apart).
  constexpr int kRows = S::kTileRows;
  constexpr int kCols = S::kTileTokens;
  constexpr int64_t kTokenBlock = 64;
  const int64_t K = w.cols, N = w.rows;
  const size_t rb = w.row_bytes();
  for (int64_t tb = 0; tb < n_tokens; tb += kTokenBlock) {
    const int64_t te = std::min(n_tokens, tb + kTokenBlock);
    int64_t n = row_begin;
    for (; n + kRows <= row_end; n += kRows) {
      int64_t t = tb;
      for (; t + kCols <= te; t += kCols)
        matmul_tile_for<S, D, kRows, kCols>(x + t * K, K, w.row(n), rb, y + t * N + n, N);
      for (; t < te; ++t)
        matmul_tile_for<S, D, kRows, 1>(x + t * K, K, w.row(n), rb, y + t * N + n, N);
    }
    for (; n < row_end; ++n)
      for (int64_t t = tb; t < te; ++t)
        matmul_tile_for<S, D, 1, 1>(x + t * K, K, w.row(n), rb, y + t * N + n, N);
  }
}

template <class S>
void matmul_rows(const float* x, int64_t n_tokens, const WeightView& w, int64_t row_begin,
                 int64_t row_end, float* y) {
  switch (w.dtype) {
    case DType::F32:
      return matmul_rows_typed<S, DType::F32>(x, n_tokens, w, row_begin, row_end, y);
    case DType::F16:
      return matmul_rows_typed<S, DType::F16>(x, n_tokens, w, row_begin, row_end, y);
    case DType::BF16:
      return matmul_rows_typed<S, DType::BF16>(x, n_tokens, w, row_begin, row_end, y);
    default:
      break;  // quantized weights go through quant_matmul_rows
  }
}

// Quantized weights: one dot product per (row, token); vec_dot is this ISA's fast version for
// the types it has one for, the reference otherwise.
template <class S>
void quant_matmul_rows(const std::byte* xq, size_t xq_row_bytes, int64_t n_tokens,
                       const WeightView& w, int64_t row_begin, int64_t row_end, float* y) {
#if defined(__AVX512VNNI__) && defined(__AVX512VL__)
  if (n_tokens > 1 && w.dtype == DType::Q8_0)
    return quant_matmul_q8_0_vnni(xq, xq_row_bytes, n_tokens, w, row_begin, row_end, y);
#elif defined(__AVX2__)
  // Q8_0 from 3 tokens (at 2 the 2-token kernel ran 1.00-1.06x the tile GEMM; avx2_gemm_bench).
  if (n_tokens > 2 && w.dtype == DType::Q8_0)
    return quant_matmul_q8_0_avx2(xq, xq_row_bytes, n_tokens, w, nullptr, row_begin, row_end, y);
#endif
#if defined(__AVX2__)
  // Stored Q4_K / Q6_K rows (Q4_K is packed at load, so in a model these are Q6_K's) from 2
  // tokens: 16 rows at a time packed on the fly (4 x 4 transposes) for the token-tile GEMM, which
  // reads each weight once per call and costs each extra token only its dot products: a batched
  // decode step or a speculative verify of a few tokens. Measured on an 8B layer's Q6_K
  // matrices, 2 threads, Zen 4, two alternated runs (small_batch_bench, CPU time against one
  // token's decode): AVX-512 2.4x / 2.7-3.0x / 3.3-3.6x at 2 / 5 / 9 tokens where unpacking rows
  // one by one for the 4 x 16 tile GEMM (k_quant_gemm_vnni-inl.h) cost 4.7-5.1x / 4.8-5.1x /
  // 5.6-6.2x; AVX2 2.9-3.4x / 3.1-3.3x / 4.5-4.6x where the row-unpacking dot (under 8 tokens)
  // and the scalar packer (from 8) cost 3.0-3.3x / 4.2-5.0x / 7.0-7.9x.
  if (n_tokens > 1 && (w.dtype == DType::Q4_K || w.dtype == DType::Q6_K))
    return stored_k_gemm(xq, xq_row_bytes, n_tokens, w, row_begin, row_end, y);
#endif
  if (n_tokens > 1 && has_unpacked_dot(w.dtype))
    return quant_matmul_unpacked(xq, xq_row_bytes, n_tokens, w, row_begin, row_end, y);
  const auto dot = quant_vec_dot(w.dtype);
  for (int64_t n = row_begin; n < row_end; ++n)
    for (int64_t t = 0; t < n_tokens; ++t)
      y[t * w.rows + n] = dot(w.dtype, w.row(n), xq + t * xq_row_bytes, w.cols);
}

// Q4_K / Q6_K weights packed at load (packed_k_quant.h): a few tokens stream the packed rows
// once (each group of 16 rows meets every token); more go through the GEMM on the packed layout
// itself (packed_k_gemm).
template <class S>
void packed_matmul_rows(const std::byte* xq, size_t xq_row_bytes, int64_t n_tokens,
                        const PackedKQuant& p, int64_t row_begin, int64_t row_end, float* y) {
  constexpr int64_t kGemvTokens = 2;
  if (n_tokens <= kGemvTokens)
    return packed_matmul_gemv(xq, xq_row_bytes, n_tokens, p, row_begin, row_end, y);
#if defined(__AVX2__)
  return packed_k_gemm(xq, xq_row_bytes, n_tokens, p, row_begin, row_end, y);
#else
  return packed_matmul_unpacked(xq, xq_row_bytes, n_tokens, p, row_begin, row_end, y);
#endif
}

template <class S>
void quantize_activations(DType weight_type, const float* x, int64_t n, std::byte* out) {
#if defined(__AVX512F__) && defined(__AVX512BW__)
  return quantize_activations_avx512(weight_type, x, n, out);
#elif defined(__AVX2__)
  return quantize_activations_avx2(weight_type, x, n, out);
#else
  return ref::quantize_activations(weight_type, x, n, out);
#endif
}

template <class S>
void convert_row(const std::byte* row, DType dtype, int64_t n, float* out) {
  int64_t i = 0;
  if (dtype == DType::BF16) {
    for (; i + S::kWidth <= n; i += S::kWidth) S::store(out + i, S::load_bf16(row + 2 * i));
  } else if (dtype == DType::F16) {
    for (; i + S::kWidth <= n; i += S::kWidth) S::store(out + i, S::load_f16(row + 2 * i));
  } else if (is_quantized(dtype)) {
    return quant::dequantize_row(dtype, row, out, n);
  }
  for (; i < n; ++i) out[i] = ref::load_element(row, dtype, i);
}

template <class S>
void rms_norm(const float* x, int64_t n_rows, int64_t dim, const float* weight, float eps,
              float* y) {
  for (int64_t r = 0; r < n_rows; ++r) {
    const float* xr = x + r * dim;
    float* yr = y + r * dim;
    const float mean_square = dot<S>(xr, xr, dim) / static_cast<float>(dim);
    const float inv = 1.0f / std::sqrt(mean_square + eps);
    const auto vinv = S::set1(inv);
    int64_t i = 0;
    for (; i + S::kWidth <= dim; i += S::kWidth)
      S::store(yr + i, S::mul(S::load(weight + i), S::mul(S::load(xr + i), vinv)));
    for (; i < dim; ++i) yr[i] = weight[i] * (xr[i] * inv);
  }
}

// One query row's scores against keys [kb + g0, kb + g1) (multiples of 16), for head_dim = 16 * C
// on 16-lane vectors: the row stays in C registers, 16 keys' dot products are summed across lanes
// together (S::sum_lanes_of_16), and keys outside [lo, hi) score -inf. Keys past hi are never
// read (the cache may end there): their loads repeat key hi - 1. keys[key - kb] is the key's row
// as floats (in the cache or converted into scratch: attention_block).
template <class S, int C>
void attention_scores16(const float* qr, const AttentionShape& s, const float* const* keys,
                        int64_t kb, int64_t lo, int64_t hi, int64_t g0, int64_t g1, float* pr) {
  constexpr float kNegInf = -std::numeric_limits<float>::infinity();
  typename S::V q[C];
  for (int c = 0; c < C; ++c) q[c] = S::load(qr + 16 * c);
  for (int64_t g = g0; g < g1; g += 16) {
    if (kb + g >= hi || kb + g + 16 <= lo) {
      std::fill_n(pr + g, 16, kNegInf);
      continue;
    }
    typename S::V acc[16];
    for (int j = 0; j < 16; ++j) {
      const float* kr = keys[std::min(kb + g + j, hi - 1) - kb];
      typename S::V a = S::mul(q[0], S::load(kr));
      for (int c = 1; c < C; ++c) a = S::fmadd(q[c], S::load(kr + 16 * c), a);
      acc[j] = a;
    }
    S::store(pr + g, S::mul(S::sum_lanes_of_16(acc), S::set1(s.scale)));
    for (int j = 0; j < 16; ++j)
      if (kb + g + j < lo || kb + g + j >= hi) pr[g + j] = kNegInf;
  }
}

// acc = acc * correction + sum over keys [lo, hi) of p[key - kb] * V[key], with the row's
// accumulator in C registers across the keys (the same operations as scale_axpy per key).
template <class S, int C>
void attention_values16(float correction, const float* p, const float* const* values, int64_t kb,
                        int64_t lo, int64_t hi, float* acc) {
  typename S::V o[C];
  const auto first = S::set1(p[lo - kb]), corr = S::set1(correction);
  const float* v0 = values[lo - kb];
  for (int c = 0; c < C; ++c)
    o[c] = S::fmadd(first, S::load(v0 + 16 * c), S::mul(corr, S::load(acc + 16 * c)));
  for (int64_t key = lo + 1; key < hi; ++key) {
    const auto pk = S::set1(p[key - kb]);
    const float* vk = values[key - kb];
    for (int c = 0; c < C; ++c) o[c] = S::fmadd(pk, S::load(vk + 16 * c), o[c]);
  }
  for (int c = 0; c < C; ++c) S::store(acc + 16 * c, o[c]);
}

// The register-blocked paths where they apply (16-lane vectors, head_dim 128 or 64 as in Qwen3
// and Llama); false: the caller takes the generic one.
template <class S>
bool attention_scores_fast(const float* qr, const AttentionShape& s, const float* const* keys,
                           int64_t kb, int64_t lo, int64_t hi, int64_t g0, int64_t g1, float* pr) {
  if constexpr (S::kWidth == 16) {
    if (s.head_dim == 128)
      return attention_scores16<S, 8>(qr, s, keys, kb, lo, hi, g0, g1, pr), true;
    if (s.head_dim == 64)
      return attention_scores16<S, 4>(qr, s, keys, kb, lo, hi, g0, g1, pr), true;
  }
  return false;
}

template <class S>
bool attention_values_fast(float correction, const float* p, const AttentionShape& s,
                           const float* const* values, int64_t kb, int64_t lo, int64_t hi,
                           float* acc) {
  if constexpr (S::kWidth == 16) {
    if (s.head_dim == 128)
      return attention_values16<S, 8>(correction, p, values, kb, lo, hi, acc), true;
    if (s.head_dim == 64)
      return attention_values16<S, 4>(correction, p, values, kb, lo, hi, acc), true;
  }
  return false;
}

// One cache row of n elements of `type` (F16, BF16, Q8_0) as the floats it holds. Exact, so any
// level and any order give the same floats: a Q8_0 scale (an f16) times an int8 code fits a
// float's 24 bits. Levels with S::load_i8 (AVX-512, AVX2) convert 16 codes per step; a plain
// loop elsewhere (measured on the 0.6B shape at depth 4096, 2 threads, AVX-512: the loop made a
// q8_0 cache decode at 7.3 tok/s against f16's 12.7).
template <class S>
void load_kv_row(const std::byte* row, DType type, int64_t n, float* out) {
  if (type == DType::Q8_0) {
    const auto* b = reinterpret_cast<const quant::BlockQ8_0*>(row);
    for (int64_t i = 0; i < n / quant::kQK; ++i) {
      const float d = f16_to_f32(b[i].d);
      float* o = out + i * quant::kQK;
      if constexpr (requires(const int8_t* p) { S::load_i8(p); }) {
        const auto vd = S::set1(d);
        for (int j = 0; j < quant::kQK; j += 16)
          S::store(o + j, S::mul(vd, S::load_i8(b[i].qs + j)));
      } else {
        for (int j = 0; j < quant::kQK; ++j) o[j] = d * static_cast<float>(b[i].qs[j]);
      }
    }
    return;
  }
  // F16 / BF16 here rather than through convert_row: once per cached row at depth, where a call
  // and a type switch per row showed in the profile.
  if ((type == DType::F16 || type == DType::BF16) && n % S::kWidth == 0) {
    for (int64_t i = 0; i < n; i += S::kWidth)
      S::store(out + i, type == DType::F16 ? S::load_f16(row + 2 * i) : S::load_bf16(row + 2 * i));
    return;
  }
  convert_row<S>(row, type, n, out);
}

// The rows of keys [kb, ke) of one kv head as float pointers: into the cache where it holds
// F32, else converted into `buffer` ([kAttentionKeyBlock, head_dim]) once for all the query
// rows that read them, so the score and value loops below run on floats in L1 for every type.
template <class S>
void key_block_rows(const void* cache, DType type, size_t row_bytes, const AttentionShape& s,
                    int64_t kv_head, int64_t kb, int64_t ke, float* buffer, const float** rows) {
  for (int64_t key = kb; key < ke; ++key) {
    const std::byte* row = AttentionShape::row_at(cache, row_bytes, s.row_index(kv_head, key));
    if (type == DType::F32) {
      rows[key - kb] = reinterpret_cast<const float*>(row);
    } else {
      float* out = buffer + (key - kb) * s.head_dim;
      load_kv_row<S>(row, type, s.head_dim, out);
      rows[key - kb] = out;
    }
  }
}

// Asks for the rows of keys [kb, ke) of one kv head ahead of their block: at depth, decode
// attention streams the whole cache once, and without this each block's conversion waited on
// memory with no arithmetic to overlap it.
inline void prefetch_key_block(const void* cache, size_t row_bytes, const AttentionShape& s,
                               int64_t kv_head, int64_t kb, int64_t ke) {
  for (int64_t key = kb; key < ke; ++key) {
    const std::byte* row = AttentionShape::row_at(cache, row_bytes, s.row_index(kv_head, key));
    for (size_t b = 0; b < row_bytes; b += 64) __builtin_prefetch(row + b);
  }
}

template <class S>
void attention_block(const float* q, const void* k_cache, const void* v_cache,
                     const AttentionShape& s, int64_t kv_head, int64_t t0, int64_t t1,
                     float* scratch, float* out) {
  constexpr int64_t kBk = kAttentionKeyBlock;
  constexpr float kNegInf = -std::numeric_limits<float>::infinity();
  const int64_t group = s.n_heads / s.n_kv_heads;
  const int64_t D = s.head_dim;
  const int64_t rows = (t1 - t0) * group;
  const size_t k_bytes = kv_cache_row_bytes(s.k_type, D), v_bytes = kv_cache_row_bytes(s.v_type, D);
  constexpr int64_t kSub = kAttentionSubBlock;
  constexpr int64_t kAhead = 64;   // keys prefetched ahead of their conversion
  float* m = scratch;              // [rows] running max
  float* l = m + rows;             // [rows] running sum of exp
  float* correction = l + rows;    // [rows] this block's rescaling of the row's sums
  float* acc = correction + rows;  // [rows, D] running weighted values
  float* p = acc + rows * D;       // [rows, kBk] this block's scores, then probabilities
  float* floats = p + rows * kBk;  // [kSub, D] kSub keys or values, unless the cache is F32
  const float* keys[kBk];
  const float* values[kBk];
  std::fill(m, m + rows, kNegInf);
  std::fill(l, l + rows, 0.0f);
  std::fill(acc, acc + rows * D, 0.0f);
  auto lowest_key = [&](int64_t pos) {
    return s.sliding_window > 0 ? std::max<int64_t>(0, pos - s.sliding_window + 1) : int64_t{0};
  };
  // Key blocks start at multiples of kBk whatever the rows' positions: a row's scores are summed
  // block by block, so the blocks must not move with t0 (a sliding window's first key) or a row
  // would get other bits as a decode step than inside a prefill chunk. Keys before a row's
  // window are masked by key_range.
  const int64_t key_begin = lowest_key(s.pos0 + t0) / kBk * kBk;
  const int64_t key_end = s.pos0 + t1;  // exclusive
  // Row r's keys [lo, hi) within the block [kb, ke).
  auto key_range = [&](int64_t r, int64_t kb, int64_t ke) {
    const int64_t pos = s.pos0 + t0 + r / group;
    return std::pair{std::max(kb, lowest_key(pos)), std::min(ke, pos + 1)};
  };
  for (int64_t kb = key_begin; kb < key_end; kb += kBk) {
    const int64_t ke = std::min(key_end, kb + kBk);
    // The block's keys are converted kSub at a time into one buffer, and every row's scores
    // against them computed while they are in L1; then its values the same way into the same
    // buffer. Converting all 64 keys and values first (64 KiB at head_dim 128) overflowed L1.
    // The results are those of whole blocks bit for bit: each score is its own, and the values
    // continue each row's accumulator with a correction of 1 (exact) after the first part.
    for (int64_t sb = kb; sb < kb + kBk; sb += kSub) {
      const int64_t se = std::min(ke, sb + kSub);
      if (sb < se) {
        prefetch_key_block(k_cache, k_bytes, s, kv_head, sb + kAhead,
                           std::min(key_end, se + kAhead));
        key_block_rows<S>(k_cache, s.k_type, k_bytes, s, kv_head, sb, se, floats, keys + (sb - kb));
      }
      for (int64_t r = 0; r < rows; ++r) {
        const int64_t t = t0 + r / group;
        const int64_t h = kv_head * group + r % group;
        const auto [lo, hi] = key_range(r, kb, ke);
        if (lo >= hi) continue;
        const float* qr = q + (t * s.n_heads + h) * D;
        float* pr = p + r * kBk;
        if (!attention_scores_fast<S>(qr, s, keys, kb, lo, hi, sb - kb, sb - kb + kSub, pr)) {
          for (int64_t j = sb - kb; j < sb - kb + kSub; ++j) {
            const int64_t key = kb + j;
            pr[j] = (key >= lo && key < hi) ? dot<S>(qr, keys[j], D) * s.scale : kNegInf;
          }
        }
      }
    }
    for (int64_t r = 0; r < rows; ++r) {
      const auto [lo, hi] = key_range(r, kb, ke);
      if (lo >= hi) continue;
      float* pr = p + r * kBk;
      // The maximum is exact in any order (a zero's sign aside, which no exp below can see).
      auto vmax_scores = S::load(pr);
      for (int64_t j = S::kWidth; j < kBk; j += S::kWidth)
        vmax_scores = S::max(vmax_scores, S::load(pr + j));
      const float block_max = S::reduce_max(vmax_scores);
      const float new_max = std::max(m[r], block_max);
      correction[r] = m[r] == kNegInf ? 0.0f : std::exp(m[r] - new_max);
      m[r] = new_max;
      const auto vmax = S::set1(new_max);
      auto vsum = S::zero();
      for (int64_t j = 0; j < kBk; j += S::kWidth) {
        const auto e = S::exp(S::sub(S::load(pr + j), vmax));
        S::store(pr + j, e);
        vsum = S::add(vsum, e);
      }
      l[r] = std::fma(l[r], correction[r], S::reduce_add(vsum));
    }
    for (int64_t sb = kb; sb < ke; sb += kSub) {
      const int64_t se = std::min(ke, sb + kSub);
      prefetch_key_block(v_cache, v_bytes, s, kv_head, sb + kAhead, std::min(key_end, se + kAhead));
      key_block_rows<S>(v_cache, s.v_type, v_bytes, s, kv_head, sb, se, floats, values + (sb - kb));
      for (int64_t r = 0; r < rows; ++r) {
        const auto [row_lo, row_hi] = key_range(r, kb, ke);
        const int64_t lo = std::max(row_lo, sb), hi = std::min(row_hi, se);
        if (lo >= hi) continue;
        const float* pr = p + r * kBk;
        float* ar = acc + r * D;
        // The row's correction once, with its first key; 1 (exact) for the keys after.
        const float corr = lo == row_lo ? correction[r] : 1.0f;
        if (!attention_values_fast<S>(corr, pr, s, values, kb, lo, hi, ar)) {
          scale_axpy<S>(corr, pr[lo - kb], values[lo - kb], ar, D);
          for (int64_t key = lo + 1; key < hi; ++key)
            scale_axpy<S>(1.0f, pr[key - kb], values[key - kb], ar, D);
        }
      }
    }
  }
  for (int64_t r = 0; r < rows; ++r) {
    const int64_t t = t0 + r / group;
    const int64_t h = kv_head * group + r % group;
    float* o = out + (t * s.n_heads + h) * D;
    const float inv = 1.0f / l[r];
    for (int64_t d = 0; d < D; ++d) o[d] = acc[r * D + d] * inv;
  }
}

// One K or V cache row from float32, byte for byte as ref::store_kv_row writes it: Q8_0 through
// this level's activation quantizer (byte-identical to the reference), F16 / BF16 by the exact
// rounding of core/dtype.h (a few hundred elements per token and layer: not worth intrinsics).
template <class S>
void store_kv_row(const float* x, int64_t n, DType type, std::byte* out) {
  switch (type) {
    case DType::Q8_0:
      return quantize_activations<S>(DType::Q8_0, x, n, out);
    case DType::F16:
    case DType::BF16:
      for (int64_t i = 0; i < n; ++i) {
        const uint16_t h = type == DType::F16 ? f32_to_f16(x[i]) : f32_to_bf16(x[i]);
        std::memcpy(out + 2 * i, &h, 2);
      }
      return;
    default:
      std::memcpy(out, x, static_cast<size_t>(n) * sizeof(float));
  }
}

// An elementwise op over n floats, vector by vector; the last partial vector goes through the
// same vector code on a padded copy, so an element's result never depends on where it falls in
// the call (a batch of T rows of an intermediate size that is not a multiple of 16 would otherwise
// put a token's last elements in the scalar tail in one batch and not in another).
template <class S, class F>
void elementwise_gate(float* gate, const float* up, int64_t n, F&& op) {
  int64_t i = 0;
  for (; i + S::kWidth <= n; i += S::kWidth)
    S::store(gate + i, S::mul(op(S::load(gate + i)), S::load(up + i)));
  if (i == n) return;
  float g[S::kWidth] = {}, u[S::kWidth] = {};
  std::copy(gate + i, gate + n, g);
  std::copy(up + i, up + n, u);
  S::store(g, S::mul(op(S::load(g)), S::load(u)));
  std::copy(g, g + (n - i), gate + i);
}

template <class S>
void silu_mul(float* gate, const float* up, int64_t n) {
  const auto one = S::set1(1.0f), zero = S::zero();
  elementwise_gate<S>(gate, up, n, [&](typename S::V g) {
    return S::div(g, S::add(one, S::exp(S::sub(zero, g))));
  });
}

template <class S>
void gelu_tanh_mul(float* gate, const float* up, int64_t n) {
  const auto half = S::set1(0.5f), one = S::set1(1.0f), two = S::set1(2.0f);
  const auto c0 = S::set1(0.7978845608028654f), c1 = S::set1(0.044715f);
  elementwise_gate<S>(gate, up, n, [&](typename S::V x) {
    const auto inner = S::mul(c0, S::fmadd(S::mul(c1, x), S::mul(x, x), x));
    // tanh(y) = 1 - 2 / (exp(2y) + 1): exact limits at both ends, no overflow.
    const auto tanh = S::sub(one, S::div(two, S::add(S::exp(S::mul(two, inner)), one)));
    return S::mul(half, S::mul(x, S::add(one, tanh)));
  });
}

// Q8_0 packed at load everywhere but the AVX2 level: its packed decode (8 rows per pass, a lane
// permute per row and block) streamed at 0.48x the stored layout's dot on an 8B layer's matrices
// (quant_gemm_bench --decode-only at JUNCTION_ISA=avx2, 2 threads: 7.7 vs 16.1 GB/s; one thread
// 10-12 vs 16-20, avx2_gemm_bench --only decode), and its prefill GEMM runs as fast on stored rows.
#if defined(__AVX2__) && !defined(__AVX512F__)
inline constexpr bool kPacksQ8_0 = false;
#else
inline constexpr bool kPacksQ8_0 = true;
#endif

template <class S>
IsaKernels make_isa_kernels(const char* name) {
  return IsaKernels{name,
                    &matmul_rows<S>,
                    &quant_matmul_rows<S>,
                    &packed_matmul_rows<S>,
                    &packed_q8_0_matmul_rows,
                    &quantize_activations<S>,
                    &convert_row<S>,
                    &rms_norm<S>,
                    &attention_block<S>,
                    &store_kv_row<S>,
                    &silu_mul<S>,
                    &gelu_tanh_mul<S>,
                    kPacksQ8_0};
}
