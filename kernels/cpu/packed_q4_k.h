// Q4_K weights relaid out at load time for the CPU kernels: 16 rows interleaved per 256-column
// super-block, sub-block scales and minima unpacked from their 6-bit encoding, so that one
// 64-byte load of codes feeds vpdpbusd for 16 rows at once and decode (one token) streams the
// matrix with no per-row unpacking. It is not a GGML format; it lives only in memory.
//
// Layout of one BlockQ4_Kx16 (2368 bytes for 16 x 256 weights, 2.8% more than the 16 stored
// Q4_K blocks): row r's 32-bit word k of qs (k = 0..31; byte l of a Q4_K block holds element l
// of its 64-element chunk in the low nibble and element l + 32 in the high one) goes to
// qs[k][r]. So qs[8c + v] holds, for all 16 rows, elements 64c + 4v .. +3 (low nibbles,
// sub-block 2c) and 64c + 32 + 4v .. +3 (high nibbles, sub-block 2c + 1): one 32-bit lane per
// row, and the activations they multiply are the same for every lane (a broadcast).
//
// Rows past the matrix's end in its last group are zero (zero codes and scales); their outputs
// are never written. Numbers are unchanged: the integer sums are the same, so the kernels on
// this layout give exactly the results of the stored-layout ones (see quant_dot_impl.h).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>

#include "core/tensor.h"
#include "kernels/ops.h"

namespace junction::kernels {

inline constexpr int kQ4KInterleave = 16;  // rows per packed group

struct BlockQ4_Kx16 {
  uint16_t d[16];          // f16 super-block scale of each row
  uint16_t dmin[16];       // f16 super-block scale of the minima
  uint8_t scales[8][16];   // [sub-block][row] 6-bit scale
  uint8_t mins[4][16][2];  // [sub-block pair j][row][sub-block 2j, 2j + 1] 6-bit minimum
  uint8_t qs[32][16][4];   // [32-bit word of the row's qs][row][byte]
};
static_assert(sizeof(BlockQ4_Kx16) == 2368 && sizeof(BlockQ4_Kx16) % 64 == 0);

// A whole Q4_K matrix in that layout: [ceil(rows / 16) groups][cols / 256 super-blocks],
// 64-byte aligned, in anonymous memory owned here.
class PackedQ4K final : public PreparedWeight {
 public:
  // Packs w (a Q4_K matrix whose cols are a multiple of 256), rows [group_begin * 16,
  // group_end * 16) at a time so callers can split the work over threads.
  explicit PackedQ4K(const WeightView& w);
  void pack_groups(const WeightView& w, int64_t group_begin, int64_t group_end);

  size_t bytes() const override { return bytes_; }
  int64_t rows() const { return rows_; }
  int64_t cols() const { return cols_; }
  int64_t groups() const { return (rows_ + kQ4KInterleave - 1) / kQ4KInterleave; }
  int64_t super_blocks() const { return cols_ / 256; }
  // The super-blocks of group g (rows 16g .. 16g + 15).
  const BlockQ4_Kx16* group(int64_t g) const { return blocks_ + g * super_blocks(); }

 private:
  struct Free {
    void operator()(BlockQ4_Kx16* p) const;
  };
  int64_t rows_ = 0, cols_ = 0;
  size_t bytes_ = 0;
  BlockQ4_Kx16* blocks_ = nullptr;
  std::unique_ptr<BlockQ4_Kx16, Free> owner_;
};

// Element e's code (0..15) of row r (0..15) in super-block b, as the stored Q4_K block has it.
inline int packed_q4_k_code(const BlockQ4_Kx16& b, int r, int e) {
  const int chunk = e / 64, l = e % 32, high = (e % 64) / 32;
  const uint8_t byte = b.qs[8 * chunk + l / 4][r][l % 4];
  return high ? byte >> 4 : byte & 0xF;
}

}  // namespace junction::kernels
