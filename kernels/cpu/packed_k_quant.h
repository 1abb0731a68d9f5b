// Q4_K and Q6_K weights relaid out at load time for the CPU kernels: 16 rows interleaved per
// 256-column super-block, sub-block scales (and Q4_K's minima) unpacked from their packed
// encodings, so that one 64-byte load of codes feeds vpdpbusd for 16 rows at once and decode
// (one token) streams the matrix with no per-row unpacking. Not a GGML format; it lives only in
// memory.
//
// Each row's code bytes keep their stored order, one 32-bit word per row side by side: word k of
// row r goes to [k][r]. In Q4_K, byte l of the stored qs holds element l of its 64-element chunk
// in the low nibble and element l + 32 in the high one, so qs[8c + v] holds, for all 16 rows,
// elements 64c + 4v .. +3 (low nibbles) and 64c + 32 + 4v .. +3 (high nibbles): one lane per row,
// and the activations they multiply are the same in every lane (a broadcast). Q6_K likewise for
// its ql (low 4 bits) and qh (high 2 bits) words.
//
// Rows past the matrix's end in its last group are zero (zero codes and scales); their outputs
// are never written. The integer sums are those of the stored layout, so the kernels on this
// layout give exactly the stored-layout kernels' results (see packed_k_quant_kernels-inl.h).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>

#include "core/tensor.h"
#include "kernels/ops.h"

namespace junction::kernels {

inline constexpr int kPackedRows = 16;  // rows per packed group

struct BlockQ4_Kx16 {      // 2368 bytes for 16 x 256 weights (16 stored blocks: 2304)
  uint16_t d[16];          // f16 super-block scale of each row
  uint16_t dmin[16];       // f16 super-block scale of the minima
  uint8_t scales[8][16];   // [sub-block][row] 6-bit scale
  uint8_t mins[4][16][2];  // [sub-block pair j][row][sub-block 2j, 2j + 1] 6-bit minimum
  uint8_t qs[32][16][4];   // [32-bit word of the row's qs][row][byte]
};
struct BlockQ6_Kx16 {       // 3392 bytes for 16 x 256 weights (16 stored blocks: 3360)
  float d[16];              // the f16 super-block scale of each row, as float (exact)
  int8_t scales[8][16][2];  // [16-element group pair j][row][group 2j, 2j + 1]
  uint8_t qh[16][16][4];    // [32-bit word of the row's qh][row][byte]
  uint8_t ql[32][16][4];    // [32-bit word of the row's ql][row][byte]
};
static_assert(sizeof(BlockQ4_Kx16) == 2368 && sizeof(BlockQ4_Kx16) % 64 == 0);
static_assert(sizeof(BlockQ6_Kx16) == 3392 && sizeof(BlockQ6_Kx16) % 64 == 0);

// A whole Q4_K or Q6_K matrix in that layout: [ceil(rows / 16) groups][cols / 256 super-blocks],
// 64-byte aligned, in anonymous memory owned here.
class PackedKQuant final : public PreparedWeight {
 public:
  static bool supports(const WeightView& w) {
    return (w.dtype == DType::Q4_K || w.dtype == DType::Q6_K) && w.rows > 0 && w.cols > 0 &&
           w.cols % 256 == 0;
  }
  // Allocates for w (supports(w) must hold; throws otherwise); pack_groups fills it, rows
  // [group_begin * 16, group_end * 16) at a time so callers can split the work over threads.
  explicit PackedKQuant(const WeightView& w);
  void pack_groups(const WeightView& w, int64_t group_begin, int64_t group_end);

  size_t bytes() const override { return bytes_; }
  DType dtype() const { return dtype_; }
  int64_t rows() const { return rows_; }
  int64_t cols() const { return cols_; }
  int64_t groups() const { return (rows_ + kPackedRows - 1) / kPackedRows; }
  int64_t super_blocks() const { return cols_ / 256; }
  // The super-blocks of group g (rows 16g .. 16g + 15); Block is BlockQ4_Kx16 or BlockQ6_Kx16 as
  // dtype() says.
  template <class Block>
  const Block* group(int64_t g) const {
    return reinterpret_cast<const Block*>(data_ + g * super_blocks() * block_bytes_);
  }

 private:
  struct Free {
    void operator()(std::byte* p) const;
  };
  DType dtype_;
  int64_t rows_ = 0, cols_ = 0;
  size_t block_bytes_ = 0, bytes_ = 0;
  std::byte* data_ = nullptr;
  std::unique_ptr<std::byte, Free> owner_;
};

// Rows [16g, 16g + 16) of the stored Q4_K or Q6_K matrix w (PackedKQuant::supports(w)) as one
// packed group: w.cols / 256 blocks of BlockQ4_Kx16 or BlockQ6_Kx16 at out. For the prefill
// GEMM, which packs stored matrices on the fly.
void pack_k_quant_group(const WeightView& w, int64_t g, std::byte* out);

// Element e's code (0..15) of row r (0..15) in super-block b, as the stored Q4_K block has it.
inline int packed_q4_k_code(const BlockQ4_Kx16& b, int r, int e) {
  const int chunk = e / 64, l = e % 32, high = (e % 64) / 32;
  const uint8_t byte = b.qs[8 * chunk + l / 4][r][l % 4];
  return high ? byte >> 4 : byte & 0xF;
}

// Element e's code (value + 32, 0..63) of row r in a packed Q6_K super-block.
inline int packed_q6_k_code(const BlockQ6_Kx16& b, int r, int e) {
  const int half = e / 128, l = e % 32, quarter = (e % 128) / 32;
  const int ql_byte = 64 * half + l + (quarter % 2 ? 32 : 0);
  const uint8_t ql = b.ql[ql_byte / 4][r][ql_byte % 4];
  const int qh_byte = 32 * half + l;
  const uint8_t qh = b.qh[qh_byte / 4][r][qh_byte % 4];
  return (quarter < 2 ? ql & 0xF : ql >> 4) | (((qh >> (2 * quarter)) & 3) << 4);
}

}  // namespace junction::kernels
