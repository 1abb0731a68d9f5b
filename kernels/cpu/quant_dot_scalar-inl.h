// Dot products of quantized weight rows with quantized activations in plain C++, giving exactly
// the numbers of quant_dot_impl-inl.h's AVX2 / AVX-512 versions: the reference's integer sums
// (exact in any order), finished in the SIMD kernels' float order. Included by kernels_scalar.cc
// inside its anonymous namespace.
//
// quant::vec_dot_ref adds the super-blocks' floats unfused; these take the SIMD kernels' fused
// steps (std::fma is exact without an FMA unit too), so at the scalar level the stored rows give
// what the packed kernels and every other level give, bit for bit. Q5_K's reference already
// follows ggml's (and the SIMD kernels') order.

// Q8_0 / Q4_0: 8 lanes of 4 products per block, one fma per lane by the two scales' product,
// the lanes summed as hsum_f32 sums them.
template <class Codes>
float q8_0_lanes_dot(const quant::BlockQ8_0* y, int64_t nb, Codes codes_and_scale) {
  float acc[8] = {};
  int8_t w[quant::kQK];
  for (int64_t i = 0; i < nb; ++i) {
    const float d = codes_and_scale(i, w) * f16_to_f32(y[i].d);
    for (int l = 0; l < 8; ++l) {
      int lane = 0;
      for (int k = 4 * l; k < 4 * l + 4; ++k) lane += w[k] * y[i].qs[k];
      acc[l] = std::fma(static_cast<float>(lane), d, acc[l]);
    }
  }
  const float s0 = acc[0] + acc[4], s1 = acc[1] + acc[5], s2 = acc[2] + acc[6],
              s3 = acc[3] + acc[7];
  return (s0 + s2) + (s1 + s3);
}

float vec_dot_q8_0_scalar(DType, const std::byte* row, const void* activations, int64_t n) {
  const auto* x = reinterpret_cast<const quant::BlockQ8_0*>(row);
  return q8_0_lanes_dot(static_cast<const quant::BlockQ8_0*>(activations), n / quant::kQK,
                        [&](int64_t i, int8_t* w) {
                          std::copy_n(x[i].qs, quant::kQK, w);
                          return f16_to_f32(x[i].d);
                        });
}

float vec_dot_q4_0_scalar(DType, const std::byte* row, const void* activations, int64_t n) {
  const auto* x = reinterpret_cast<const quant::BlockQ4_0*>(row);
  return q8_0_lanes_dot(static_cast<const quant::BlockQ8_0*>(activations), n / quant::kQK,
                        [&](int64_t i, int8_t* w) {
                          for (int j = 0; j < quant::kQK / 2; ++j) {
                            w[j] = static_cast<int8_t>((x[i].qs[j] & 0xF) - 8);
                            w[j + quant::kQK / 2] = static_cast<int8_t>((x[i].qs[j] >> 4) - 8);
                          }
                          return f16_to_f32(x[i].d);
                        });
}

// Q4_K: per super-block sum + fma(d_a * d, scaled sums, -(d_a * dmin * minima)), as
// vec_dot_q4_k and the packed kernels finish it.
float vec_dot_q4_k_scalar(DType, const std::byte* row, const void* activations, int64_t n) {
  const auto* x = reinterpret_cast<const quant::BlockQ4_K*>(row);
  const auto* y = static_cast<const quant::BlockQ8_K*>(activations);
  float sum = 0.0f;
  for (int64_t i = 0; i < n / quant::kQK_K; ++i) {
    int total = 0, mins = 0;
    for (int sub = 0; sub < 8; ++sub) {
      uint8_t sc, m;
      quant::scale_min_k4(sub, x[i].scales, &sc, &m);
      const uint8_t* packed = x[i].qs + 32 * (sub / 2);
      int dot = 0;
      for (int l = 0; l < 32; ++l)
        dot += (sub % 2 ? packed[l] >> 4 : packed[l] & 0xF) * y[i].qs[32 * sub + l];
      total += sc * dot;
      mins += m * (y[i].bsums[2 * sub] + y[i].bsums[2 * sub + 1]);
    }
    sum = sum + std::fma(y[i].d * f16_to_f32(x[i].d), static_cast<float>(total),
                         -(y[i].d * f16_to_f32(x[i].dmin) * static_cast<float>(mins)));
  }
  return sum;
}

// Q6_K: one fma per super-block, as vec_dot_q6_k.
float vec_dot_q6_k_scalar(DType, const std::byte* row, const void* activations, int64_t n) {
  const auto* x = reinterpret_cast<const quant::BlockQ6_K*>(row);
  const auto* y = static_cast<const quant::BlockQ8_K*>(activations);
  float sum = 0.0f;
  for (int64_t i = 0; i < n / quant::kQK_K; ++i) {
    int total = 0;
    for (int half = 0; half < 2; ++half) {
      const uint8_t* ql = x[i].ql + 64 * half;
      const uint8_t* qh = x[i].qh + 32 * half;
      const int8_t* a = y[i].qs + 128 * half;
      const int8_t* scales = x[i].scales + 8 * half;
      for (int l = 0; l < 32; ++l) {
        const int is = l / 16;  // the 16-element group within each 32-element run
        total += scales[is + 0] * ((ql[l] & 0xF) | (((qh[l] >> 0) & 3) << 4)) * a[l] -
                 scales[is + 0] * 32 * a[l];
        total += scales[is + 2] * ((ql[l + 32] & 0xF) | (((qh[l] >> 2) & 3) << 4)) * a[l + 32] -
                 scales[is + 2] * 32 * a[l + 32];
        total += scales[is + 4] * ((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) * a[l + 64] -
                 scales[is + 4] * 32 * a[l + 64];
        total += scales[is + 6] * ((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) * a[l + 96] -
                 scales[is + 6] * 32 * a[l + 96];
      }
    }
    sum = std::fma(f16_to_f32(x[i].d) * y[i].d, static_cast<float>(total), sum);
  }
  return sum;
}

using QuantDot = float (*)(DType, const std::byte*, const void*, int64_t);

QuantDot quant_vec_dot(DType type) {
  switch (type) {
    case DType::Q8_0:
      return &vec_dot_q8_0_scalar;
    case DType::Q4_0:
      return &vec_dot_q4_0_scalar;
    case DType::Q4_K:
      return &vec_dot_q4_k_scalar;
    case DType::Q6_K:
      return &vec_dot_q6_k_scalar;
    default:
      return &quant::vec_dot_ref;  // Q5_K: the reference is in ggml's order already
  }
}
