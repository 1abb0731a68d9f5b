// Activation quantization (Q8_0 for Q8_0 / Q4_0 weights, Q8_K for the K-quants) on AVX-512,
// byte for byte what kernels/quant's scalar versions (ggml's CPU activation quantizers) produce:
// the same float multiply per element, rounding half to even (vrndscaleps = nearbyint), the
// scalar scales computed by the same expressions. In prefill every matmul quantizes its whole
// activation block first, and the scalar loops (with a libm call per element) cost about a fifth
// of the GEMM itself. Included by kernels_avx512.cc inside its anonymous namespace.

#if defined(__AVX512F__) && defined(__AVX512BW__)

inline __m512i round_to_int(__m512 v) {
  return _mm512_cvtps_epi32(_mm512_roundscale_ps(v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
}

void quantize_row_q8_0_avx512(const float* x, quant::BlockQ8_0* out, int64_t n) {
  for (int64_t i = 0; i < n / quant::kQK; ++i, x += quant::kQK) {
    const __m512 a = _mm512_loadu_ps(x), b = _mm512_loadu_ps(x + 16);
    const float amax = _mm512_reduce_max_ps(_mm512_max_ps(_mm512_abs_ps(a), _mm512_abs_ps(b)));
    const float d = amax / 127.0f;
    const float id = amax != 0.0f ? 127.0f / amax : 0.0f;
    out[i].d = f32_to_f16(d);
    const __m512 vid = _mm512_set1_ps(id);
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out[i].qs),
                     _mm512_cvtepi32_epi8(round_to_int(_mm512_mul_ps(a, vid))));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out[i].qs + 16),
                     _mm512_cvtepi32_epi8(round_to_int(_mm512_mul_ps(b, vid))));
  }
}

void quantize_row_q8_K_avx512(const float* x, quant::BlockQ8_K* out, int64_t n) {
  for (int64_t i = 0; i < n / quant::kQK_K; ++i, x += quant::kQK_K) {
    __m512 vmax = _mm512_setzero_ps();
    for (int j = 0; j < quant::kQK_K; j += 16)
      vmax = _mm512_max_ps(vmax, _mm512_abs_ps(_mm512_loadu_ps(x + j)));
    const float amax = _mm512_reduce_max_ps(vmax);
    quant::BlockQ8_K& b = out[i];
    if (amax == 0.0f) {
      std::memset(&b, 0, sizeof(b));
      continue;
    }
    // The scalar loop keeps the first element of largest magnitude, with its sign.
    float max = 0.0f;
    for (int j = 0; j < quant::kQK_K; j += 16) {
      const __mmask16 hit = _mm512_cmp_ps_mask(_mm512_abs_ps(_mm512_loadu_ps(x + j)),
                                               _mm512_set1_ps(amax), _CMP_EQ_OQ);
      if (hit) {
        max = x[j + __builtin_ctz(hit)];
        break;
      }
    }
    const float iscale = -127.0f / max;
    const __m512 vscale = _mm512_set1_ps(iscale);
    for (int g = 0; g < quant::kQK_K / 16; ++g) {
      const __m512i q = _mm512_min_epi32(
          round_to_int(_mm512_mul_ps(vscale, _mm512_loadu_ps(x + 16 * g))), _mm512_set1_epi32(127));
      _mm_storeu_si128(reinterpret_cast<__m128i*>(b.qs + 16 * g), _mm512_cvtepi32_epi8(q));
      b.bsums[g] = static_cast<int16_t>(_mm512_reduce_add_epi32(q));
    }
    b.d = 1.0f / iscale;
  }
}

void quantize_activations_avx512(DType weight_type, const float* x, int64_t n, std::byte* out) {
  if (quant::activation_format(weight_type) == quant::ActivationFormat::kQ8_0) {
    quantize_row_q8_0_avx512(x, reinterpret_cast<quant::BlockQ8_0*>(out), n);
  } else {
    quantize_row_q8_K_avx512(x, reinterpret_cast<quant::BlockQ8_K*>(out), n);
  }
}

#endif
