#include "gateway/quality_router.h"

#include <cstdio>

namespace junction::gateway {
namespace {

// Scores as eval reports them, with no float noise: "0.71", "0.6525".
std::string number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.4g", v);
  return buf;
}

// a is preferred over b (both qualify).
bool better(const QualityCandidate& a, const QualityCandidate& b) {
  if (*a.cost != *b.cost) return *a.cost < *b.cost;
  if (*a.score != *b.score) return *a.score > *b.score;
  const bool a_timed = a.latency_ms >= 0, b_timed = b.latency_ms >= 0;
  if (a_timed != b_timed) return a_timed;
  if (a_timed && a.latency_ms != b.latency_ms) return a.latency_ms < b.latency_ms;
  return false;  // keep the earlier candidate
}

}  // namespace

QualityChoice choose_by_quality(const std::vector<QualityCandidate>& candidates,
                                const QualityBar& bar) {
  const std::string rule = bar.metric + ">=" + number(bar.min_score);
  std::optional<size_t> best;
  std::string why_not;
  for (size_t i = 0; i < candidates.size(); ++i) {
    const QualityCandidate& c = candidates[i];
    std::string failed;
    if (!c.score)
      failed = "no " + bar.metric + " score";
    else if (!(*c.score >= bar.min_score))
      failed = number(*c.score);
    else if (!c.cost)
      failed = "cost out of range";
    if (!failed.empty()) {
      why_not += (why_not.empty() ? "" : ", ") + c.model + ": " + failed;
      continue;
    }
    if (!best || better(c, candidates[*best])) best = i;
  }
  if (!best) {
    if (candidates.empty()) return {std::nullopt, "no candidates"};
    return {std::nullopt, "none meets " + rule + " (" + why_not + ")"};
  }
  return {best, "cheapest meeting " + rule + " (" + number(*candidates[*best].score) + ")"};
}

}  // namespace junction::gateway
