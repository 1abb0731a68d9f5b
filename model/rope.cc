#include "model/rope.h"

#include <algorithm>
#include <cmath>

namespace junction {
namespace {

constexpr double kPi = 3.14159265358979323846;

// base ** (2i / dim) in float32, as torch evaluates `base ** (arange(0, dim, 2).float() / dim)`.
std::vector<float> default_pos_freqs(double base, int64_t dim) {
  std::vector<float> out(dim / 2);
  for (int64_t i = 0; i < dim / 2; ++i) {
    const float exponent = static_cast<float>(2 * i) / static_cast<float>(dim);
    out[i] = static_cast<float>(std::pow(base, static_cast<double>(exponent)));
  }
  return out;
}

double yarn_mscale(double scale, double mscale) {
  return scale <= 1.0 ? 1.0 : 0.1 * mscale * std::log(scale) + 1.0;
}

}  // namespace

Rope::Rope(const ModelConfig& c) : rotary_dim_(c.rotary_dim()) {
  const int64_t dim = rotary_dim_;
  const auto pos_freqs = default_pos_freqs(c.rope_theta, dim);
  inv_freq_.resize(dim / 2);
  for (int64_t i = 0; i < dim / 2; ++i) inv_freq_[i] = 1.0f / pos_freqs[i];
  const RopeScaling& s = c.rope_scaling;
  const float factor = static_cast<float>(s.factor);
  switch (s.type) {
    case RopeScaling::Type::kNone:
      break;
    case RopeScaling::Type::kLinear:
      for (float& f : inv_freq_) f /= factor;
      break;
    case RopeScaling::Type::kLlama3: {
      const double old_context = static_cast<double>(s.original_max_position_embeddings);
      const double low_freq_wavelen = old_context / s.low_freq_factor;
      const double high_freq_wavelen = old_context / s.high_freq_factor;
      for (float& f : inv_freq_) {
        const float wavelen = static_cast<float>(2.0 * kPi) / f;
        const float scaled = wavelen > low_freq_wavelen ? f / factor : f;
        if (wavelen < high_freq_wavelen || wavelen > low_freq_wavelen) {
          f = scaled;
        } else {
          const float smooth = static_cast<float>((old_context / wavelen - s.low_freq_factor) /
                                                  (s.high_freq_factor - s.low_freq_factor));
          f = (1.0f - smooth) * scaled / factor + smooth * scaled;
        }
      }
      break;
    }
    case RopeScaling::Type::kFreqFactors:
      // ggml_rope_ext: theta_i = pos * base^(-2i/d) / freq_factors[i], one float32 division.
      for (int64_t i = 0; i < dim / 2; ++i) inv_freq_[i] /= s.freq_factors.at(i);
      break;
    case RopeScaling::Type::kYarn: {
      double attention = 0;
      if (s.attention_factor) {
        attention = *s.attention_factor;
      } else if (s.mscale && s.mscale_all_dim && *s.mscale != 0 && *s.mscale_all_dim != 0) {
        attention = yarn_mscale(s.factor, *s.mscale) / yarn_mscale(s.factor, *s.mscale_all_dim);
      } else {
        attention = yarn_mscale(s.factor, 1.0);
      }
      attention *= s.attn_factor;
      attention_factor_ = static_cast<float>(attention);
      const double base = c.rope_theta;
      const double max_pos = static_cast<double>(s.original_max_position_embeddings);
      auto correction_dim = [&](double rotations) {
        return (static_cast<double>(dim) * std::log(max_pos / (rotations * 2 * kPi))) /
               (2 * std::log(base));
      };
      double low = correction_dim(s.beta_fast), high = correction_dim(s.beta_slow);
      if (s.truncate) {
        low = std::floor(low);
        high = std::ceil(high);
      }
      low = std::max(low, 0.0);
      high = std::min(high, static_cast<double>(dim - 1));
      if (low == high) high += 0.001;
      for (int64_t i = 0; i < dim / 2; ++i) {
        const float ramp = std::clamp(
            (static_cast<float>(i) - static_cast<float>(low)) / static_cast<float>(high - low),
            0.0f, 1.0f);
        const float extrapolation_factor = 1.0f - ramp;
        const float extrapolation = 1.0f / pos_freqs[i];
        const float interpolation = 1.0f / (factor * pos_freqs[i]);
        inv_freq_[i] =
            interpolation * (1.0f - extrapolation_factor) + extrapolation * extrapolation_factor;
      }
      break;
    }
  }
}

void Rope::fill(int64_t pos0, int64_t n, float* cos, float* sin) const {
  const int64_t half = rotary_dim_ / 2;
  for (int64_t t = 0; t < n; ++t) {
    const float pos = static_cast<float>(pos0 + t);
    for (int64_t i = 0; i < half; ++i) {
      const float angle = pos * inv_freq_[i];
      cos[t * half + i] =
          static_cast<float>(std::cos(static_cast<double>(angle))) * attention_factor_;
      sin[t * half + i] =
          static_cast<float>(std::sin(static_cast<double>(angle))) * attention_factor_;
    }
  }
}

}  // namespace junction
