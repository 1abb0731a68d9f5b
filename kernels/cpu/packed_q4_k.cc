// Packing Q4_K matrices into the interleaved layout of packed_q4_k.h (scalar; once per weight at
// load, memory-bound on reading the mapped file).
#include "kernels/cpu/packed_q4_k.h"

#include <cstdlib>
#include <cstring>
#include <new>
#include <string>

#include "core/error.h"
#include "kernels/quant/quant_blocks.h"

namespace junction::kernels {

void PackedQ4K::Free::operator()(BlockQ4_Kx16* p) const {
  std::free(p);
}

PackedQ4K::PackedQ4K(const WeightView& w) : rows_(w.rows), cols_(w.cols) {
  if (w.dtype != DType::Q4_K || w.cols <= 0 || w.cols % quant::kQK_K != 0 || w.rows <= 0)
    throw Error("cannot pack a " + std::string(dtype_name(w.dtype)) + " matrix of " +
                std::to_string(w.rows) + " x " + std::to_string(w.cols) + " as Q4_K");
  bytes_ = static_cast<size_t>(groups()) * static_cast<size_t>(super_blocks()) *
           sizeof(BlockQ4_Kx16);
  void* p = std::aligned_alloc(64, bytes_);
  if (p == nullptr) throw std::bad_alloc();
  blocks_ = static_cast<BlockQ4_Kx16*>(p);
  owner_.reset(blocks_);
}

void PackedQ4K::pack_groups(const WeightView& w, int64_t group_begin, int64_t group_end) {
  const int64_t nsb = super_blocks();
  for (int64_t g = group_begin; g < group_end; ++g) {
    BlockQ4_Kx16* out = blocks_ + g * nsb;
    std::memset(static_cast<void*>(out), 0, static_cast<size_t>(nsb) * sizeof(BlockQ4_Kx16));
    for (int r = 0; r < kQ4KInterleave; ++r) {
      const int64_t row = g * kQ4KInterleave + r;
      if (row >= rows_) break;  // the group's padding rows stay zero
      const auto* in = reinterpret_cast<const quant::BlockQ4_K*>(w.row(row));
      for (int64_t i = 0; i < nsb; ++i) {
        BlockQ4_Kx16& b = out[i];
        b.d[r] = in[i].d;
        b.dmin[r] = in[i].dmin;
        for (int sub = 0; sub < 8; ++sub) {
          uint8_t sc, m;
          quant::scale_min_k4(sub, in[i].scales, &sc, &m);
          b.scales[sub][r] = sc;
          b.mins[sub / 2][r][sub % 2] = m;
        }
        for (int k = 0; k < 32; ++k) std::memcpy(b.qs[k][r], in[i].qs + 4 * k, 4);
      }
    }
  }
}

}  // namespace junction::kernels
