#include "engine/speculative.h"

#include <algorithm>

namespace junction {

SpeculativeChoice speculative_choice(SparseDistribution p, std::span<const float> q, int32_t draft,
                                     double u_accept, double u_resample) {
  double total = 0, p_draft = 0;
  for (const auto& [prob, id] : p) {
    total += prob;
    if (id == draft) p_draft += prob;
  }
  if (total <= 0) return {draft, true};  // no distribution: nothing to compare against
  p_draft /= total;
  const double q_draft =
      draft >= 0 && static_cast<size_t>(draft) < q.size() ? static_cast<double>(q[draft]) : 0.0;
  // q(d) == 0 cannot happen for a token drawn from q; treat it as a certain accept of p's mass.
  if (q_draft <= 0 ? p_draft > 0 && u_accept < p_draft : u_accept * q_draft < p_draft)
    return {draft, true};
  // Residual norm(max(0, p - q)) over p's support (outside it p - q <= 0).
  auto residual = [&](const std::pair<float, int32_t>& e) {
    const double qi = e.second >= 0 && static_cast<size_t>(e.second) < q.size() ? q[e.second] : 0.0;
    return std::max(0.0, e.first / total - qi);
  };
  double mass = 0;
  for (const auto& e : p) mass += residual(e);
  if (mass <= 0) return {draft, true};  // p == q: the accept above is certain up to rounding
  const double r = u_resample * mass;
  double cumulative = 0;
  int32_t last = draft;
  for (const auto& e : p) {
    const double w = residual(e);
    if (w <= 0) continue;
    last = e.second;
    cumulative += w;
    if (r < cumulative) return {e.second, false};
  }
  return {last, false};
}

DraftLength::DraftLength(DraftLengthConfig config)
    : config_(config),
      length_(std::clamp<int64_t>(config.start_length, 1, std::max<int64_t>(1, config.max_length))),
      rate_(config.start_rate) {}

int64_t DraftLength::next() {
  if (config_.max_length <= 0 || off()) return 0;
  if (paused_for_ > 0) {
    if (--paused_for_ > 0) return 0;
    rate_ = config_.resume_rate;  // the pause is over: probe with one token
    length_ = 1;
  }
  return length_;
}

void DraftLength::observe(int64_t drafted, int64_t accepted) {
  if (drafted <= 0) return;
  accepted = std::clamp<int64_t>(accepted, 0, drafted);
  rate_ = (1 - config_.ema_weight) * rate_ +
          config_.ema_weight * static_cast<double>(accepted) / static_cast<double>(drafted);
  length_ = accepted == drafted ? std::min(config_.max_length, length_ * 2)
                                : std::clamp<int64_t>(accepted + 1, 1, config_.max_length);
  if (rate_ < config_.min_rate) {
    ++n_pauses_;
    paused_for_ = config_.pause_steps << std::min<int64_t>(n_pauses_ - 1, 20);
  }
}

}  // namespace junction
