// The choice behind `model: "auto"`: of the candidate models, the cheapest whose measured
// quality score meets the bar. Pure (no I/O, no clock): the caller gives each candidate's
// score on the bar's metric (from `junction eval` result files, quality_scores.h), its cost
// for this request's estimated tokens (price.h) and its live latency, so a choice is a
// function of its inputs and tests are exact.
//
// Ties on cost go to the higher score, then the lower measured latency (a candidate with no
// samples yet counts as slowest), then the earlier candidate. A candidate with no score on the
// metric, or whose cost does not fit in int64, never qualifies: "unmeasured" is not "good".
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "gateway/price.h"

namespace junction::gateway {

struct QualityBar {
  std::string metric;  // "TASK" or "TASK/METRIC" (quality_scores.h)
  double min_score = 0;
};

struct QualityCandidate {
  std::string model;
  std::optional<double> score;  // on the bar's metric; nullopt: never measured
  std::optional<NanoUsd> cost;  // this request's estimated cost; nullopt: does not fit
  double latency_ms = -1;       // best measured EWMA time to first token; < 0: no samples
};

struct QualityChoice {
  std::optional<size_t> index;  // into the candidates; nullopt: none meets the bar
  // For the x-junction-route header or the 400: "cheapest meeting mmlu>=0.6 (0.71)", or why
  // each candidate failed.
  std::string reason;
};

QualityChoice choose_by_quality(const std::vector<QualityCandidate>& candidates,
                                const QualityBar& bar);

}  // namespace junction::gateway
