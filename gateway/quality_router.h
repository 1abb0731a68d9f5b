// The choice behind `model: "auto"`: of the candidate models, the cheapest whose measured
// quality score meets the bar. Pure (no I/O, no clock): the caller gives each candidate's
// score on the bar's metric (from `junction eval` result files, quality_scores.h), its cost
// for this request's estimated tokens (price.h) and its live latency, so a choice is a
// function of its inputs and tests are exact.
//
// The live measure the gateway keeps per deployment (latency: EWMA time to first token, lower
// is better; throughput: EWMA output tokens per second, higher is better; a candidate with no
// samples yet counts as worst) enters in one of two ways:
// - within = 0 (the default): the cheapest qualifying candidate; ties on cost go to the higher
//   score, then the better live measure, then the earlier candidate.
// - within > 0: every qualifying candidate costing at most the cheapest's cost times
//   (1 + within) is as good on price, and among those the better live measure wins (then the
//   lower cost, the higher score, the earlier candidate). The reason names the measure.
// A candidate with no score on the metric, or whose cost does not fit in int64, never
// qualifies: "unmeasured" is not "good".
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "gateway/price.h"

namespace junction::gateway {

enum class LiveMeasure { kLatency, kThroughput };

struct QualityBar {
  std::string metric;  // "TASK" or "TASK/METRIC" (quality_scores.h)
  double min_score = 0;
  double within = 0;  // >= 0: the cost band (a fraction of the cheapest) the live measure decides
  LiveMeasure prefer = LiveMeasure::kLatency;
};

struct QualityCandidate {
  std::string model;
  std::optional<double> score;  // on the bar's metric; nullopt: never measured
  std::optional<NanoUsd> cost;  // this request's estimated cost; nullopt: does not fit
  double latency_ms = -1;       // best measured EWMA time to first token; < 0: no samples
  double tokens_per_s = -1;     // best measured EWMA output throughput; < 0: no samples
};

struct QualityChoice {
  std::optional<size_t> index;  // into the candidates; nullopt: none meets the bar
  // For the x-junction-route header or the 400: "cheapest meeting mmlu>=0.6 (0.71)", "lowest
  // latency (120ms) of 2 within 50% of the cheapest, meeting mmlu>=0.6 (0.81)", or why each
  // candidate failed.
  std::string reason;
};

QualityChoice choose_by_quality(const std::vector<QualityCandidate>& candidates,
                                const QualityBar& bar);

}  // namespace junction::gateway
