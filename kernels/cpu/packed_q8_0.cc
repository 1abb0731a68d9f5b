// Packing Q8_0 matrices into the 16-row layout of packed_q8_0.h (scalar; once per weight at load,
// bound by reading the mapped file).
#include "kernels/cpu/packed_q8_0.h"

#include <sys/mman.h>

#include <cstdlib>
#include <cstring>
#include <new>
#include <string>

#include "core/error.h"
#include "kernels/quant/quant_blocks.h"

namespace junction::kernels {

void PackedQ8_0::Free::operator()(std::byte* p) const {
  std::free(p);
}

PackedQ8_0::PackedQ8_0(const WeightView& w) : rows_(w.rows), cols_(w.cols) {
  if (!supports(w))
    throw Error("cannot pack a " + std::string(dtype_name(w.dtype)) + " matrix of " +
                std::to_string(w.rows) + " x " + std::to_string(w.cols) + " as Q8_0");
  const size_t nb = static_cast<size_t>(blocks());
  scale_bytes_ = (nb * 32 + 63) / 64 * 64;
  group_bytes_ = scale_bytes_ + nb * 512;
  bytes_ = static_cast<size_t>(groups()) * group_bytes_;
  // On 2 MB pages where the kernel gives them (transparent huge pages in "madvise" mode, as on
  // Debian): decode streams the whole matrix every token, and with 4 KB pages every 4 KB of it
  // costs a TLB miss; the mapped file's pages are 4 KB.
  constexpr size_t kHugePage = size_t{2} << 20;
  const size_t alloc = bytes_ >= kHugePage ? (bytes_ + kHugePage - 1) / kHugePage * kHugePage
                                           : bytes_;  // bytes_ is a multiple of 64
  void* p = std::aligned_alloc(bytes_ >= kHugePage ? kHugePage : 64, alloc);
  if (p == nullptr) throw std::bad_alloc();
  if (bytes_ >= kHugePage) madvise(p, alloc, MADV_HUGEPAGE);  // a hint: failure is harmless
  data_ = static_cast<std::byte*>(p);
  owner_.reset(data_);
}

void PackedQ8_0::pack_groups(const WeightView& w, int64_t group_begin, int64_t group_end) {
  const int64_t nb = blocks();
  for (int64_t g = group_begin; g < group_end; ++g) {
    std::byte* out = data_ + g * group_bytes_;
    std::memset(out, 0, group_bytes_);
    auto* d = reinterpret_cast<uint16_t*>(out);
    auto* qs = reinterpret_cast<int8_t*>(out + scale_bytes_);
    for (int r = 0; r < kPackedQ8Rows; ++r) {
      const int64_t row = g * kPackedQ8Rows + r;
      if (row >= rows_) break;  // the group's padding rows stay zero
      const auto* in = reinterpret_cast<const quant::BlockQ8_0*>(w.row(row));
      for (int64_t b = 0; b < nb; ++b) {
        std::memcpy(qs + (b * kPackedQ8Rows + r) * 32, in[b].qs, 32);
        d[b * kPackedQ8Rows + r] = in[b].d;
      }
    }
  }
}

}  // namespace junction::kernels
