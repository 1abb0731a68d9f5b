// The kernel templates instantiated for Scalar; compiled with that instruction set's flags.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include "kernels/cpu/isa_kernels.h"
#include "kernels/cpu/simd_scalar.h"
#include "kernels/quant/quant_ref.h"
#include "kernels/ref/ref_ops.h"

namespace junction::kernels {
namespace {
using QuantDot = float (*)(DType, const std::byte*, const void*, int64_t);
QuantDot quant_vec_dot(DType) {
  return &quant::vec_dot_ref;
}
bool has_unpacked_dot(DType) {
  return false;
}
void quant_matmul_unpacked(const std::byte*, size_t, int64_t, const WeightView&, int64_t, int64_t,
                           float*) {}

#include "kernels/cpu/kernels_impl.h"
}  // namespace

const IsaKernels& scalar_kernels() {
  static const IsaKernels kernels = make_isa_kernels<Scalar>("scalar");
  return kernels;
}

}  // namespace junction::kernels
