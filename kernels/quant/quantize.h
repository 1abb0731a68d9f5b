// Weight quantizers: float32 rows to the storage formats of GGUF files (F16, BF16 and GGML's
// block formats). The legacy formats (Q4_0, Q4_1, Q5_0, Q5_1, Q8_0) round exactly as ggml's
// reference quantizers do, so a row quantized here is byte-identical to llama-quantize's.
// The K-quants search each sub-block's scale (and minimum) for the least weighted squared
// error, as ggml's reference does without an importance matrix. Scalar code, run at conversion
// time only; dequantization lives in quant_ref.h.
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
