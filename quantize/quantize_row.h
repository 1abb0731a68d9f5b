// Weight quantizers: float32 rows to the storage formats of GGUF files (F16, BF16 and GGML's
// block formats). Every format rounds and searches exactly as ggml's reference quantizers do
// (the path llama-quantize takes without an importance matrix), so a row quantized here is
// byte-identical to llama-quantize's: the legacy formats (Q4_0, Q4_1, Q5_0, Q5_1, Q8_0) round
// the same way, and the K-quants search each sub-block's scale (and minimum) for the least
// weighted squared error over the same grids. Scalar code without FMA contraction (the order of
// float operations decides ties), run at conversion time only; dequantization is in quant_ref.h.
#pragma once

#include <cstddef>
#include <cstdint>

#include "core/dtype.h"

namespace junction::quant {

// True for the types quantize_row can produce (all but Q8_K, an activation-only format).
bool can_quantize(DType type);

// n float32 values (a multiple of block_elements(type)) to row_size(type, n) bytes at `out`.
void quantize_row(DType type, const float* x, std::byte* out, int64_t n);

}  // namespace junction::quant
