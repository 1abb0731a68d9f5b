#include "engine/sampler.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace junction {

int32_t argmax(std::span<const float> logits) {
  int32_t best = 0;
  for (size_t i = 1; i < logits.size(); ++i)
    if (logits[i] > logits[best]) best = static_cast<int32_t>(i);
  return best;
}

Sampler::Sampler(const SamplingParams& params, std::span<const int32_t> prompt)
    : params_(params), rng_(params.seed) {
  if (params_.repetition_penalty != 1.0f)
    for (int32_t t : prompt) mark_seen(t);
}

void Sampler::mark_seen(int32_t token) {
  if (token < 0) return;
  if (static_cast<size_t>(token) >= seen_mask_.size()) seen_mask_.resize(token + 1, 0);
  if (!seen_mask_[token]) {
    seen_mask_[token] = 1;
    seen_.push_back(token);
  }
}

void Sampler::accept(int32_t token) {
  if (token < 0) return;
  ++output_counts_[token];
  mark_seen(token);
}

void Sampler::apply_penalties(std::span<float> logits) const {
  const int64_t V = static_cast<int64_t>(logits.size());
  if (params_.repetition_penalty != 1.0f) {
    for (int32_t t : seen_) {
      if (t >= V) continue;
      float& l = logits[t];
      l = l > 0 ? l / params_.repetition_penalty : l * params_.repetition_penalty;
    }
  }
  if (params_.presence_penalty != 0.0f || params_.frequency_penalty != 0.0f) {
    for (const auto& [t, count] : output_counts_) {
      if (t >= V) continue;
      logits[t] -= params_.presence_penalty + params_.frequency_penalty * static_cast<float>(count);
    }
  }
  for (const auto& [t, bias] : params_.logit_bias)
    if (t >= 0 && t < V) logits[t] += bias;
}

std::span<const std::pair<float, int32_t>> Sampler::distribution(std::span<float> logits) {
  apply_penalties(logits);
  candidates_.clear();
  if (params_.temperature <= 0.0f || params_.top_k == 1) {
    candidates_.emplace_back(1.0f, argmax(logits));
    return candidates_;
  }
  candidates_.reserve(logits.size());
  for (size_t i = 0; i < logits.size(); ++i)
    if (!std::isnan(logits[i]) && logits[i] != -std::numeric_limits<float>::infinity())
      candidates_.emplace_back(logits[i] / params_.temperature, static_cast<int32_t>(i));
  if (candidates_.empty() || std::isinf(logits[argmax(logits)])) {
    candidates_.assign(1, {1.0f, argmax(logits)});
    return candidates_;
  }
  auto by_logit = [](const auto& a, const auto& b) {
    return a.first > b.first || (a.first == b.first && a.second < b.second);
  };
  size_t keep = candidates_.size();
  if (params_.top_k > 0 && static_cast<size_t>(params_.top_k) < keep) {
    keep = static_cast<size_t>(params_.top_k);
    std::partial_sort(candidates_.begin(), candidates_.begin() + keep, candidates_.end(), by_logit);
    candidates_.resize(keep);
  } else {
    std::sort(candidates_.begin(), candidates_.end(), by_logit);
  }
  // Softmax over the survivors (sorted, so the first is the max).
  const float max_logit = candidates_.front().first;
  double total = 0.0;
  for (auto& [value, id] : candidates_) total += (value = std::exp(value - max_logit));
  for (auto& c : candidates_) c.first = static_cast<float>(c.first / total);
  if (params_.top_p < 1.0f) {
    double cumulative = 0.0;
    size_t n = 0;
    while (n < candidates_.size()) {
      cumulative += candidates_[n++].first;
      if (cumulative >= params_.top_p) break;
    }
    candidates_.resize(std::max<size_t>(n, 1));
  }
  if (params_.min_p > 0.0f) {
    const float threshold = params_.min_p * candidates_.front().first;
    size_t n = 1;
    while (n < candidates_.size() && candidates_[n].first >= threshold) ++n;
    candidates_.resize(n);
  }
  return candidates_;
}

double Sampler::uniform() {
  // 53 random bits -> uniform double in [0, 1).
  return static_cast<double>(rng_() >> 11) * (1.0 / 9007199254740992.0);
}

int32_t Sampler::sample(std::span<float> logits) {
  const auto dist = distribution(logits);
  if (dist.size() == 1) return dist.front().second;
  double mass = 0.0;
  for (const auto& c : dist) mass += c.first;
  const double r = uniform() * mass;
  double cumulative = 0.0;
  for (const auto& [p, id] : dist) {
    cumulative += p;
    if (r < cumulative) return id;
  }
  return dist.back().second;
}

}  // namespace junction
