#include "gateway/quality_router.h"

#include <algorithm>
#include <cstdio>

namespace junction::gateway {
namespace {

// Scores as eval reports them, with no float noise: "0.71", "0.6525".
std::string number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.4g", v);
  return buf;
}

// The live measure as "higher is better", or nullopt with no samples.
std::optional<double> live(const QualityCandidate& c, LiveMeasure m) {
  if (m == LiveMeasure::kLatency)
    return c.latency_ms >= 0 ? std::optional<double>(-c.latency_ms) : std::nullopt;
  return c.tokens_per_s >= 0 ? std::optional<double>(c.tokens_per_s) : std::nullopt;
}

// -1: a's live measure is better, 1: b's, 0: neither (equal, or both unmeasured).
int compare_live(const QualityCandidate& a, const QualityCandidate& b, LiveMeasure m) {
  const auto la = live(a, m), lb = live(b, m);
  if (la.has_value() != lb.has_value()) return la ? -1 : 1;
  if (la && *la != *lb) return *la > *lb ? -1 : 1;
  return 0;
}

// a is preferred over b (both qualify and lie in the cost band).
bool better(const QualityCandidate& a, const QualityCandidate& b, const QualityBar& bar) {
  if (bar.within > 0)
    if (const int live = compare_live(a, b, bar.prefer)) return live < 0;
  if (*a.cost != *b.cost) return *a.cost < *b.cost;
  if (*a.score != *b.score) return *a.score > *b.score;
  return compare_live(a, b, bar.prefer) < 0;  // else keep the earlier candidate
}

std::string measured(const QualityCandidate& c, LiveMeasure m) {
  char buf[64];
  if (m == LiveMeasure::kLatency)
    std::snprintf(buf, sizeof buf, "lowest latency (%.0fms)", c.latency_ms);
  else
    std::snprintf(buf, sizeof buf, "highest throughput (%.0f tok/s)", c.tokens_per_s);
  return buf;
}

}  // namespace

QualityChoice choose_by_quality(const std::vector<QualityCandidate>& candidates,
                                const QualityBar& bar) {
  const std::string rule = bar.metric + ">=" + number(bar.min_score);
  std::vector<size_t> qualified;
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
    qualified.push_back(i);
  }
  if (qualified.empty()) {
    if (candidates.empty()) return {std::nullopt, "no candidates"};
    return {std::nullopt, "none meets " + rule + " (" + why_not + ")"};
  }
  NanoUsd cheapest = *candidates[qualified.front()].cost;
  for (size_t i : qualified) cheapest = std::min(cheapest, *candidates[i].cost);
  // The band, in doubles: cheapest * (1 + within) may leave int64 (then every cost is in it).
  const double bound = static_cast<double>(cheapest) * (1 + std::max(0.0, bar.within));
  std::vector<size_t> band;
  for (size_t i : qualified)
    if (*candidates[i].cost == cheapest ||
        (bar.within > 0 && static_cast<double>(*candidates[i].cost) <= bound))
      band.push_back(i);
  size_t best = band.front();
  for (size_t i : band)
    if (better(candidates[i], candidates[best], bar)) best = i;
  const QualityCandidate& chosen = candidates[best];
  const std::string met = "meeting " + rule + " (" + number(*chosen.score) + ")";
  if (bar.within <= 0 || band.size() == 1) return {best, "cheapest " + met};
  char percent[32];
  std::snprintf(percent, sizeof percent, "%.6g%%", bar.within * 100);
  const std::string band_size = std::to_string(band.size()) + " within " + percent;
  if (!live(chosen, bar.prefer))  // none in the band measured yet: the cheapest of them
    return {best, "cheapest " + met + "; no " +
                      (bar.prefer == LiveMeasure::kLatency ? "latency" : "throughput") +
                      " measured yet among " + band_size};
  return {best, measured(chosen, bar.prefer) + " of " + band_size + " of the cheapest, " + met};
}

}  // namespace junction::gateway
