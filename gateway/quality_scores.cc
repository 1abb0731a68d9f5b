#include "gateway/quality_scores.h"

#include <cmath>
#include <fstream>
#include <sstream>

#include "core/error.h"

namespace junction::gateway {

void QualityScores::add(const nlohmann::json& result, const std::string& source) {
  auto fail = [&](const std::string& what) {
    throw Error(source + ": not a junction eval result file: " + what);
  };
  if (!result.is_object()) fail("not a JSON object");
  const auto model = result.find("model");
  if (model == result.end() || !model->is_string() || model->get<std::string>().empty())
    fail("no \"model\" name");
  const auto tasks = result.find("tasks");
  if (tasks == result.end() || !tasks->is_object()) fail("no \"tasks\" object");
  auto& by_task = scores_[model->get<std::string>()];
  size_t added = 0;
  for (const auto& [task, t] : tasks->items()) {
    if (!t.is_object() || !t.contains("metrics") || !t["metrics"].is_object())
      fail("task '" + task + "' has no \"metrics\" object");
    for (const auto& [metric, m] : t["metrics"].items()) {
      // Counts such as mt_bench's unrated_turns are plain numbers, not scores.
      if (!m.is_object() || !m.contains("value")) continue;
      const auto& v = m["value"];
      if (!v.is_number() || !std::isfinite(v.get<double>()))
        fail("task '" + task + "' metric '" + metric + "' has no finite \"value\"");
      by_task[task][metric] = v.get<double>();
      ++added;
    }
  }
  if (added == 0) fail("no metric values");
}

std::optional<double> QualityScores::score(const std::string& model,
                                           const std::string& metric) const {
  const auto m = scores_.find(model);
  if (m == scores_.end()) return std::nullopt;
  const size_t slash = metric.find('/');
  const auto t = m->second.find(metric.substr(0, slash));
  if (t == m->second.end()) return std::nullopt;
  const auto& metrics = t->second;
  if (slash != std::string::npos) {
    const auto v = metrics.find(metric.substr(slash + 1));
    if (v == metrics.end()) return std::nullopt;
    return v->second;
  }
  for (const char* headline : {"acc", "acc_norm", "mc2", "pass@1", "score", "exact_match"})
    if (const auto v = metrics.find(headline); v != metrics.end()) return v->second;
  if (metrics.size() == 1) return metrics.begin()->second;
  return std::nullopt;
}

QualityScores load_quality_scores(const std::vector<std::string>& paths) {
  QualityScores scores;
  for (const std::string& path : paths) {
    std::ifstream in(path);
    if (!in) throw Error("routing.quality: cannot read " + path);
    std::stringstream text;
    text << in.rdbuf();
    nlohmann::json j;
    try {
      j = nlohmann::json::parse(text.str());
    } catch (const nlohmann::json::exception& e) {
      throw Error("routing.quality: " + path + ": invalid JSON: " + e.what());
    }
    scores.add(j, "routing.quality: " + path);
  }
  return scores;
}

}  // namespace junction::gateway
