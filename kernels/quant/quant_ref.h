// Scalar references for the GGML quantized formats: dequantization (bit-identical to ggml's
// dequantize_row_* and gguf-py), quantization of activations to Q8_0 / Q8_K, and the dot
// product of a quantized weight row with quantized activations as ggml defines it. The SIMD
// versions in kernels/cpu are tested against these.
#pragma once

#include <cstddef>
#include <cstdint>

#include "core/dtype.h"
#include "kernels/quant/quant_blocks.h"

namespace junction::quant {

// n elements (a multiple of the block size) of `type` at `row` to float32.
void dequantize_row(DType type, const std::byte* row, float* out, int64_t n);

// Activations: Q8_0 (32 per block, d = max|x| / 127) and Q8_K (256 per block, d = max / -127
// of the signed extreme, with group sums), rounding as ggml's CPU backend does at run time.
void quantize_row_q8_0(const float* x, BlockQ8_0* out, int64_t n);
void quantize_row_q8_K(const float* x, BlockQ8_K* out, int64_t n);

// Which activation format a weight type's dot product takes.
enum class ActivationFormat { kQ8_0, kQ8_K };
ActivationFormat activation_format(DType weight_type);

// dot(weight row of n elements, activations quantized in activation_format(type)).
float vec_dot_ref(DType type, const std::byte* row, const void* activations, int64_t n);

}  // namespace junction::quant
