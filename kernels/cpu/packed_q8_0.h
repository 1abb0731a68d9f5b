// Q8_0 weights relaid out at load time for the CPU kernels: 16 rows side by side per 32-column
// block, the int8 codes apart from the fp16 scales, so that one 64-byte aligned load holds two
// rows' whole blocks and decode (one token) streams the matrix in long aligned runs. Not a GGML
// format; it lives only in memory.
//
// Group g holds rows 16g .. 16g + 15: first d [nb][16] (row r's f16 scale of block b), padded to
// 64 bytes, then qs [nb][16][32] (block b of row r: 32 codes in their stored order at qs[b][r]).
// The scales come first so that reading the groups in order is one forward stream: the decode
// kernel's prefetch, running ahead in the codes, reaches the next group's scales before it starts.
// Each row's 32 codes of a block stay contiguous, so the decode GEMV does one vpdpbusd per pair
// of rows and the prefill GEMM copies a row tile's codes out with one 32-byte move per block. Rows
// past the matrix's end in its last group are zero; their outputs are never written. The kernels on
// this layout give exactly the stored layout's numbers (same int32 lanes, same float order; see
// packed_q8_0_kernels-inl.h).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>

#include "core/tensor.h"
#include "kernels/ops.h"

namespace junction::kernels {

inline constexpr int kPackedQ8Rows = 16;  // rows per packed group

class PackedQ8_0 final : public PreparedWeight {
 public:
  static bool supports(const WeightView& w) {
    return w.dtype == DType::Q8_0 && w.rows > 0 && w.cols > 0 && w.cols % 32 == 0;
  }
  // Allocates for w (supports(w) must hold; throws otherwise); pack_groups fills groups
  // [group_begin, group_end), so callers can split the work over threads.
  explicit PackedQ8_0(const WeightView& w);
  void pack_groups(const WeightView& w, int64_t group_begin, int64_t group_end);

  size_t bytes() const override { return bytes_; }
  int64_t rows() const { return rows_; }
  int64_t cols() const { return cols_; }
  int64_t groups() const { return (rows_ + kPackedQ8Rows - 1) / kPackedQ8Rows; }
  int64_t blocks() const { return cols_ / 32; }  // 32-column blocks per row
  // Group g's scales, [blocks()][16] f16, 64-byte aligned.
  const uint16_t* d(int64_t g) const {
    return reinterpret_cast<const uint16_t*>(data_ + g * group_bytes_);
  }
  // Group g's codes, [blocks()][16][32], 64-byte aligned.
  const int8_t* qs(int64_t g) const {
    return reinterpret_cast<const int8_t*>(data_ + g * group_bytes_ + scale_bytes_);
  }

 private:
  struct Free {
    void operator()(std::byte* p) const;
  };
  int64_t rows_ = 0, cols_ = 0;
  size_t scale_bytes_ = 0, group_bytes_ = 0, bytes_ = 0;
  std::byte* data_ = nullptr;
  std::unique_ptr<std::byte, Free> owner_;
};

}  // namespace junction::kernels
