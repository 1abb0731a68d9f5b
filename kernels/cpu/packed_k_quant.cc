// Packing Q4_K / Q6_K matrices into the interleaved layout of packed_k_quant.h (scalar; once per
// weight at load, bound by reading the mapped file).
#include "kernels/cpu/packed_k_quant.h"

#include <cstdlib>
#include <cstring>
#include <new>
#include <string>

#include "core/error.h"
#include "kernels/quant/quant_blocks.h"

namespace junction::kernels {

void PackedKQuant::Free::operator()(std::byte* p) const {
  std::free(p);
}

PackedKQuant::PackedKQuant(const WeightView& w) : dtype_(w.dtype), rows_(w.rows), cols_(w.cols) {
  if (!supports(w))
    throw Error("cannot pack a " + std::string(dtype_name(w.dtype)) + " matrix of " +
                std::to_string(w.rows) + " x " + std::to_string(w.cols));
  block_bytes_ = dtype_ == DType::Q4_K ? sizeof(BlockQ4_Kx16) : sizeof(BlockQ6_Kx16);
  bytes_ = static_cast<size_t>(groups()) * static_cast<size_t>(super_blocks()) * block_bytes_;
  void* p = std::aligned_alloc(64, bytes_);  // bytes_ is a multiple of 64
  if (p == nullptr) throw std::bad_alloc();
  data_ = static_cast<std::byte*>(p);
  owner_.reset(data_);
}

namespace {

void pack_q4_k(const quant::BlockQ4_K& in, int r, BlockQ4_Kx16& b) {
  b.d[r] = in.d;
  b.dmin[r] = in.dmin;
  for (int sub = 0; sub < 8; ++sub) {
    uint8_t sc, m;
    quant::scale_min_k4(sub, in.scales, &sc, &m);
    b.scales[sub][r] = sc;
    b.mins[sub / 2][r][sub % 2] = m;
  }
  for (int k = 0; k < 32; ++k) std::memcpy(b.qs[k][r], in.qs + 4 * k, 4);
}

void pack_q6_k(const quant::BlockQ6_K& in, int r, BlockQ6_Kx16& b) {
  b.d[r] = f16_to_f32(in.d);
  for (int g = 0; g < 16; ++g) b.scales[g / 2][r][g % 2] = in.scales[g];
  for (int k = 0; k < 16; ++k) std::memcpy(b.qh[k][r], in.qh + 4 * k, 4);
  for (int k = 0; k < 32; ++k) std::memcpy(b.ql[k][r], in.ql + 4 * k, 4);
}

}  // namespace

void pack_k_quant_group(const WeightView& w, int64_t g, std::byte* out) {
  const int64_t nsb = w.cols / 256;
  const size_t block_bytes = w.dtype == DType::Q4_K ? sizeof(BlockQ4_Kx16) : sizeof(BlockQ6_Kx16);
  std::memset(out, 0, static_cast<size_t>(nsb) * block_bytes);
  for (int r = 0; r < kPackedRows; ++r) {
    const int64_t row = g * kPackedRows + r;
    if (row >= w.rows) break;  // the group's padding rows stay zero
    for (int64_t i = 0; i < nsb; ++i) {
      if (w.dtype == DType::Q4_K)
        pack_q4_k(reinterpret_cast<const quant::BlockQ4_K*>(w.row(row))[i], r,
                  reinterpret_cast<BlockQ4_Kx16*>(out)[i]);
      else
        pack_q6_k(reinterpret_cast<const quant::BlockQ6_K*>(w.row(row))[i], r,
                  reinterpret_cast<BlockQ6_Kx16*>(out)[i]);
    }
  }
}

void PackedKQuant::pack_groups(const WeightView& w, int64_t group_begin, int64_t group_end) {
  for (int64_t g = group_begin; g < group_end; ++g)
    pack_k_quant_group(w, g, data_ + g * super_blocks() * block_bytes_);
}

}  // namespace junction::kernels
