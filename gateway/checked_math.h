// Overflow-checked int64 arithmetic for token counts and nano-USD: the one place the money
// path adds and multiplies. A Checked carries its overflow along, so a chain of steps is
// written as plain arithmetic and judged once at the end (`value()` is nullopt if any step
// overflowed). Costs from prices (doubles) become money through to_nano_checked, which refuses
// NaN and anything outside int64. Pure, header-only.
#pragma once

#include <cmath>
#include <cstdint>
#include <optional>

namespace junction::gateway {

class Checked {
 public:
  constexpr Checked(int64_t v) : value_(v) {}  // NOLINT(google-explicit-constructor)

  std::optional<int64_t> value() const {
    if (overflow_) return std::nullopt;
    return value_;
  }

  friend Checked operator+(Checked a, Checked b) {
    Checked r(0);
    r.overflow_ =
        a.overflow_ || b.overflow_ || __builtin_add_overflow(a.value_, b.value_, &r.value_);
    return r;
  }
  friend Checked operator-(Checked a, Checked b) {
    Checked r(0);
    r.overflow_ =
        a.overflow_ || b.overflow_ || __builtin_sub_overflow(a.value_, b.value_, &r.value_);
    return r;
  }
  friend Checked operator*(Checked a, Checked b) {
    Checked r(0);
    r.overflow_ =
        a.overflow_ || b.overflow_ || __builtin_mul_overflow(a.value_, b.value_, &r.value_);
    return r;
  }

 private:
  int64_t value_;
  bool overflow_ = false;
};

// A whole number as int64; nullopt for NaN or a value outside int64. 2^63 is exact in long
// double, and every value below it converts without overflow.
inline std::optional<int64_t> whole_to_int64(long double whole) {
  if (!(whole >= -9223372036854775808.0L && whole < 9223372036854775808.0L)) return std::nullopt;
  return static_cast<int64_t>(whole);
}

// `nano` rounded up to a whole nano-USD; nullopt for NaN or a value outside int64.
inline std::optional<int64_t> to_nano_checked(long double nano) {
  // Prices like 0.1 are not exact in binary; shave the representation error before ceil.
  return whole_to_int64(std::ceil(nano - 1e-6L));
}

}  // namespace junction::gateway
