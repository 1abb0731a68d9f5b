// Measured quality per model, read from the result files `junction eval` writes (eval/runner.h:
// {"model": NAME, "tasks": {TASK: {"metrics": {METRIC: {"value": V, ...}}}}}), listed in the
// gateway config as `routing.quality: [R.json, ...]` and read once at start-up. A later file's
// score for the same model, task and metric replaces an earlier one's.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace junction::gateway {

class QualityScores {
 public:
  // Adds one result file's scores; throws junction::Error("SOURCE: what") when it is not one.
  void add(const nlohmann::json& result, const std::string& source);

  // `metric`: "TASK/METRIC" exactly, or "TASK" for the task's headline metric (the first of
  // acc, acc_norm, mc2, pass@1, score, exact_match that the file has, else its only metric).
  std::optional<double> score(const std::string& model, const std::string& metric) const;

  bool empty() const { return scores_.empty(); }

 private:
  // model -> task -> metric -> value
  std::map<std::string, std::map<std::string, std::map<std::string, double>>> scores_;
};

// Reads every file; throws junction::Error naming the file for one that cannot be read or
// parsed or holds no scores.
QualityScores load_quality_scores(const std::vector<std::string>& paths);

}  // namespace junction::gateway
