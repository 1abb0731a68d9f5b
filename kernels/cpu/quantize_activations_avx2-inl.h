// Activation quantization (Q8_0 for Q8_0 / Q4_0 weights, Q8_K for the K-quants) on AVX2, byte for
// byte what kernels/quant's scalar versions produce, as quantize_activations_avx512-inl.h does on
// AVX-512: the same float multiply per element, rounding half to even (vroundps with
// round-to-nearest = nearbyint), the scalar scales computed by the same expressions. Every
// prefill matmul quantizes its whole activation block first; the scalar loops (a libm call per
// element) cost a large share of the AVX2 GEMMs. Included by kernels_avx2.cc inside its anonymous
// namespace, after quant_dot_impl-inl.h (hsum_i32).

#if defined(__AVX2__) && !defined(__AVX512F__)

inline __m256i round_to_int(__m256 v) {
  return _mm256_cvtps_epi32(_mm256_round_ps(v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
}

inline __m256 abs_ps(__m256 v) {
  return _mm256_andnot_ps(_mm256_set1_ps(-0.0f), v);
}

inline float reduce_max_ps(__m256 v) {
  __m128 s = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_max_ps(s, _mm_movehl_ps(s, s));
  s = _mm_max_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

// 32 int32 values in [-128, 127] to bytes in order (the packs interleave 128-bit lanes).
inline void store_32_bytes(int8_t* out, __m256i a, __m256i b, __m256i c, __m256i d) {
  const __m256i bytes = _mm256_packs_epi16(_mm256_packs_epi32(a, b), _mm256_packs_epi32(c, d));
  _mm256_storeu_si256(
      reinterpret_cast<__m256i*>(out),
      _mm256_permutevar8x32_epi32(bytes, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7)));
}

void quantize_row_q8_0_avx2(const float* x, quant::BlockQ8_0* out, int64_t n) {
  for (int64_t i = 0; i < n / quant::kQK; ++i, x += quant::kQK) {
    __m256 v[4];
    for (int j = 0; j < 4; ++j) v[j] = _mm256_loadu_ps(x + 8 * j);
    const float amax = reduce_max_ps(_mm256_max_ps(_mm256_max_ps(abs_ps(v[0]), abs_ps(v[1])),
                                                   _mm256_max_ps(abs_ps(v[2]), abs_ps(v[3]))));
    const float d = amax / 127.0f;
    const float id = amax != 0.0f ? 127.0f / amax : 0.0f;
    out[i].d = f32_to_f16(d);
    const __m256 vid = _mm256_set1_ps(id);
    __m256i q[4];
    for (int j = 0; j < 4; ++j) q[j] = round_to_int(_mm256_mul_ps(v[j], vid));
    store_32_bytes(out[i].qs, q[0], q[1], q[2], q[3]);
  }
}

void quantize_row_q8_K_avx2(const float* x, quant::BlockQ8_K* out, int64_t n) {
  for (int64_t i = 0; i < n / quant::kQK_K; ++i, x += quant::kQK_K) {
    __m256 vmax = _mm256_setzero_ps();
    for (int j = 0; j < quant::kQK_K; j += 8)
      vmax = _mm256_max_ps(vmax, abs_ps(_mm256_loadu_ps(x + j)));
    const float amax = reduce_max_ps(vmax);
    quant::BlockQ8_K& b = out[i];
    if (amax == 0.0f) {
      std::memset(&b, 0, sizeof(b));
      continue;
    }
    // The scalar loop keeps the first element of largest magnitude, with its sign.
    float max = 0.0f;
    for (int j = 0; j < quant::kQK_K; j += 8) {
      const int hit = _mm256_movemask_ps(
          _mm256_cmp_ps(abs_ps(_mm256_loadu_ps(x + j)), _mm256_set1_ps(amax), _CMP_EQ_OQ));
      if (hit) {
        max = x[j + __builtin_ctz(hit)];
        break;
      }
    }
    const float iscale = -127.0f / max;
    const __m256 vscale = _mm256_set1_ps(iscale);
    const __m256i top = _mm256_set1_epi32(127);
    for (int g = 0; g < quant::kQK_K / 32; ++g) {
      __m256i q[4];
      for (int j = 0; j < 4; ++j)
        q[j] = _mm256_min_epi32(
            round_to_int(_mm256_mul_ps(vscale, _mm256_loadu_ps(x + 32 * g + 8 * j))), top);
      store_32_bytes(b.qs + 32 * g, q[0], q[1], q[2], q[3]);
      b.bsums[2 * g] = static_cast<int16_t>(hsum_i32(_mm256_add_epi32(q[0], q[1])));
      b.bsums[2 * g + 1] = static_cast<int16_t>(hsum_i32(_mm256_add_epi32(q[2], q[3])));
    }
    b.d = 1.0f / iscale;
  }
}

void quantize_activations_avx2(DType weight_type, const float* x, int64_t n, std::byte* out) {
  if (quant::activation_format(weight_type) == quant::ActivationFormat::kQ8_0) {
    quantize_row_q8_0_avx2(x, reinterpret_cast<quant::BlockQ8_0*>(out), n);
  } else {
    quantize_row_q8_K_avx2(x, reinterpret_cast<quant::BlockQ8_K*>(out), n);
  }
}

#endif
