// The driver of decode (and a few tokens) on Q4_K / Q6_K weights packed at load
// (packed_k_quant.h), the same on every architecture: included by packed_k_quant_kernels-inl.h
// (x86) and packed_k_quant_neon-inl.h (ARM64) after their group dots (packed_q4_k_group_dot,
// packed_q6_k_group_dot), inside the including file's anonymous namespace.

// Activation sums per sub-block pair, as the minima need them: bs2[sb * 8 + s] = bsums[2s] +
// bsums[2s + 1] of super-block sb (|value| <= 32 x 128, fits int16).
inline void q4_k_sub_block_sums(const quant::BlockQ8_K* y, int64_t nsb, int16_t* bs2) {
  for (int64_t i = 0; i < nsb; ++i)
    for (int s = 0; s < 8; ++s)
      bs2[i * 8 + s] = static_cast<int16_t>(y[i].bsums[2 * s] + y[i].bsums[2 * s + 1]);
}

// A few tokens against rows [row_begin, row_end): each group of 16 rows meets every token while
// its blocks are in cache, so the weights are read from memory once per call.
void packed_matmul_gemv(const std::byte* xq, size_t xq_row_bytes, int64_t n_tokens,
                        const PackedKQuant& p, int64_t row_begin, int64_t row_end, float* y) {
  const int64_t nsb = p.super_blocks();
  const bool q4 = p.dtype() == DType::Q4_K;
  std::vector<int16_t> bs2(q4 ? static_cast<size_t>(n_tokens * nsb * 8) : 0);
  auto act = [&](int64_t t) {
    return reinterpret_cast<const quant::BlockQ8_K*>(xq + t * xq_row_bytes);
  };
  if (q4)
    for (int64_t t = 0; t < n_tokens; ++t)
      q4_k_sub_block_sums(act(t), nsb, bs2.data() + t * nsb * 8);
  alignas(64) float out[kPackedRows];
  for (int64_t g = row_begin / kPackedRows; g * kPackedRows < row_end; ++g) {
    const int64_t r0 = std::max(row_begin, g * kPackedRows);
    const int64_t r1 = std::min(row_end, (g + 1) * kPackedRows);
    for (int64_t t = 0; t < n_tokens; ++t) {
      if (q4)
        packed_q4_k_group_dot(p.group<BlockQ4_Kx16>(g), nsb, act(t), bs2.data() + t * nsb * 8, out);
      else
        packed_q6_k_group_dot(p.group<BlockQ6_Kx16>(g), nsb, act(t), out);
      for (int64_t r = r0; r < r1; ++r) y[t * p.rows() + r] = out[r - g * kPackedRows];
    }
  }
}
