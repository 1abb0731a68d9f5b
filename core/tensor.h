// A read-only view of a stored 2-D weight matrix: rows of `cols` elements of `dtype`,
// laid out row-major at `data` (which points into a memory-mapped file and may be unaligned).
#pragma once

#include <cstddef>
#include <cstdint>

#include "core/dtype.h"

namespace junction {

struct WeightView {
  const std::byte* data = nullptr;
  DType dtype = DType::F32;
  int64_t rows = 0;  // output features
  int64_t cols = 0;  // input features

  bool empty() const { return data == nullptr; }
  size_t row_bytes() const { return row_size(dtype, cols); }
  size_t bytes() const { return row_bytes() * static_cast<size_t>(rows); }
  const std::byte* row(int64_t r) const { return data + static_cast<size_t>(r) * row_bytes(); }
  // Rows [begin, begin + count) as their own view (used to split fused projections).
  WeightView slice_rows(int64_t begin, int64_t count) const {
    return WeightView{row(begin), dtype, count, cols};
  }
};

}  // namespace junction
