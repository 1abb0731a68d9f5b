#include "compare/comparison.h"

#include <algorithm>
#include <cmath>
#include <map>

#include "core/error.h"

namespace junction::compare {
namespace {

const Json* find(const Json& j, std::initializer_list<const char*> path) {
  const Json* at = &j;
  for (const char* key : path) {
    if (!at->is_object()) return nullptr;
    const auto it = at->find(key);
    if (it == at->end()) return nullptr;
    at = &*it;
  }
  return at;
}

std::optional<double> number(const Json& j, std::initializer_list<const char*> path) {
  const Json* v = find(j, path);
  if (!v || !v->is_number()) return std::nullopt;
  return v->get<double>();
}

std::string text(const Json& j, const char* key) {
  const auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : "";
}

std::string strip_endpoint(std::string url) {
  while (!url.empty() && url.back() == '/') url.pop_back();
  if (url.size() >= 3 && url.compare(url.size() - 3, 3, "/v1") == 0) url.resize(url.size() - 3);
  return url;
}

std::string fmt(const char* format, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, format, v);
  return buf;
}

void add_note(std::vector<std::string>& notes, const std::string& note) {
  if (std::find(notes.begin(), notes.end(), note) == notes.end()) notes.push_back(note);
}

// A sampled math cell: pass@1 is the value; cons@k, pass@k and the reasoning length follow it,
// and a note says how the run sampled (runs with other settings are different measurements).
void fill_sampled(Cell& cell, const QualityColumn& col, const Json& task) {
  const auto k = number(task, {"samples_per_problem"});
  if (!k) return;
  const std::string ks = fmt("%.0f", *k);
  std::string detail;
  if (const auto cons = number(task, {"metrics", ("cons@" + ks).c_str(), "value"}))
    detail += "cons@" + ks + " " + fmt("%.1f", *cons * col.scale);
  if (*k > 1)
    if (const auto pass = number(task, {"metrics", ("pass@" + ks).c_str(), "value"}))
      detail += std::string(detail.empty() ? "" : ", ") + "pass@" + ks + " " +
                fmt("%.1f", *pass * col.scale);
  if (const auto mean = number(task, {"reasoning", "tokens_per_sample", "mean"}))
    detail += std::string(detail.empty() ? "" : "; ") + fmt("%.0f", *mean) + " reasoning tok";
  if (const auto cut = number(task, {"reasoning", "cut_off_share"}))
    detail += std::string(detail.empty() ? "" : ", ") + fmt("%.1f", 100 * *cut) + "% cut off";
  cell.detail = detail;
  std::string settings = col.header + ": " + ks + " sample" + (*k == 1 ? "" : "s") + " per problem";
  if (const auto t = number(task, {"temperature"})) settings += " at T=" + fmt("%g", *t);
  if (const auto p = number(task, {"top_p"})) settings += ", top-p " + fmt("%g", *p);
  if (const auto m = number(task, {"max_tokens"}))
    settings += ", up to " + fmt("%.0f", *m) + " generated tokens";
  settings += ".";
  add_note(cell.notes, settings);
  if (const Json* source = find(task, {"reasoning", "tokens_source"});
      source && source->is_string() && *source != "usage")
    add_note(cell.notes, col.header +
                             ": reasoning tokens estimated from the reasoning's share of the "
                             "characters (the endpoint did not count them).");
  if (const auto p50 = number(task, {"reasoning", "tokens_per_sample", "p50"}))
    if (const auto p90 = number(task, {"reasoning", "tokens_per_sample", "p90"}))
      add_note(cell.notes, col.header + " reasoning tokens per sample: median " +
                               fmt("%.0f", *p50) + ", p90 " + fmt("%.0f", *p90) + ".");
}

void fill_quality(ModelRow& row, const Json& file, const std::string& path) {
  const Json* tasks = find(file, {"tasks"});
  if (!tasks || !tasks->is_object()) return;
  const std::string mode = find(file, {"settings", "mode"}) && file["settings"]["mode"].is_string()
                               ? file["settings"]["mode"].get<std::string>()
                               : "loglikelihood";
  const auto limit = number(file, {"settings", "limit"});
  const auto& columns = quality_columns();
  for (size_t c = 0; c < columns.size(); ++c) {
    const QualityColumn& col = columns[c];
    Cell& cell = row.quality[c];
    if (cell.value) continue;  // the first file that has the task fills the cell
    const Json* task = find(*tasks, {col.task.c_str()});
    if (!task) continue;
    const std::string task_mode = text(*task, "mode").empty() ? mode : text(*task, "mode");
    if (!col.mode.empty() && col.mode != task_mode) continue;
    const auto value = number(*task, {"metrics", col.metric.c_str(), "value"});
    if (!value) continue;
    cell.value = *value * col.scale;
    if (const auto se = number(*task, {"metrics", col.metric.c_str(), "stderr"}))
      cell.stderr_value = *se * col.scale;
    const auto samples = number(*task, {"samples"});
    if (limit)
      add_note(cell.notes, "Subset: --limit " + fmt("%.0f", *limit) +
                               (samples ? " (" + fmt("%.0f", *samples) + " samples)" : "") +
                               "; not comparable with full-set published numbers.");
    if (col.standard_fewshot >= 0) {
      const auto shots = number(*task, {"num_fewshot"});
      if (shots && static_cast<int>(*shots) != col.standard_fewshot)
        add_note(cell.notes, col.header + " run " + fmt("%.0f", *shots) + "-shot; published " +
                                 "numbers are " + std::to_string(col.standard_fewshot) + "-shot.");
    }
    if (col.mode == "generative")
      add_note(cell.notes,
               "Generative columns: simple-evals zero-shot prompt through chat, the answer letter "
               "extracted after </think>; a different measurement from lm-evaluation-harness "
               "loglikelihood scoring, not comparable with the published columns.");
    if (col.mode == "sampled") fill_sampled(cell, col, *task);
    if (col.task == "mt_bench") {
      const Json* self = find(*task, {"self_judged"});
      if (self && self->is_boolean() && self->get<bool>())
        add_note(cell.notes,
                 "Self-judged: the model graded its own answers; published MT-Bench scores are "
                 "judged by GPT-4.");
      else if (!text(file, "judge_model").empty() && text(file, "judge_model") != "gpt-4")
        add_note(cell.notes, "Judged by " + text(file, "judge_model") +
                                 "; published MT-Bench scores are judged by GPT-4.");
      if (const auto unrated = number(*task, {"metrics", "unrated_turns"}); unrated && *unrated > 0)
        add_note(cell.notes, fmt("%.0f", *unrated) +
                                 " MT-Bench turns got no [[rating]] from the judge and are left "
                                 "out of the mean.");
    }
    if (col.task == "humaneval") {
      const std::string style = text(*task, "style");
      if (style.rfind("chat", 0) == 0)
        add_note(cell.notes,
                 "HumanEval through chat (code block extracted), not the Codex completion "
                 "prompt.");
      const auto t = number(*task, {"temperature"});
      const auto n = number(*task, {"samples_per_problem"});
      if (t && *t > 0 && n)
        add_note(cell.notes, "pass@1 estimated from " + fmt("%.0f", *n) +
                                 " samples at T=" + fmt("%g", *t) + " (unbiased estimator).");
      const Json* iso = find(*task, {"sandbox", "network_isolated"});
      if (iso && iso->is_boolean() && !iso->get<bool>())
        add_note(cell.notes, "The HumanEval sandbox had no network namespace on that machine.");
    }
  }
  row.files.push_back(path);
}

std::string bench_setup(const Json& file) {
  const Json* s = find(file, {"settings"});
  if (!s) return "";
  const std::string dataset = text(*s, "dataset");
  std::string out = "Serving: " + text(file, "api") + " API, ";
  if (dataset == "mt_bench")
    out += "MT-Bench first turns";
  else if (const auto in = number(*s, {"input_len_words"}))
    out += "synthetic prompts of " + fmt("%.0f", *in) + " words";
  if (const auto o = number(*s, {"output_len"})) {
    out += ", " + fmt("%.0f", *o) + " output tokens";
    const Json* eos = find(*s, {"ignore_eos"});
    if (eos && eos->is_boolean()) out += eos->get<bool>() ? " (ignore_eos)" : " at most";
  }
  if (const auto n = number(*s, {"num_prompts"})) out += ", " + fmt("%.0f", *n) + " requests";
  out += " per level, warm-up excluded.";
  return out;
}

void fill_serving(ModelRow& row, const Json& file, const std::string& path) {
  row.files.push_back(path);
  const Json* levels = find(file, {"levels"});
  if (!levels || !levels->is_array()) return;
  const std::string setup = bench_setup(file);
  for (const Json& l : *levels) {
    BenchPoint p;
    if (const auto c = number(l, {"concurrency"})) p.concurrency = static_cast<int64_t>(*c);
    if (const auto r = number(l, {"request_rate"}))
      p.request_rate = *r;
    else if (find(l, {"request_rate"}) && l["request_rate"] == "inf")
      p.request_rate = INFINITY;
    p.output_throughput = number(l, {"output_throughput"}).value_or(0);
    p.request_throughput = number(l, {"request_throughput"}).value_or(0);
    p.ttft_p50_ms = number(l, {"ttft_ms", "p50"}).value_or(0);
    p.ttft_p99_ms = number(l, {"ttft_ms", "p99"}).value_or(0);
    p.tpot_p50_ms = number(l, {"tpot_ms", "p50"}).value_or(0);
    p.tpot_p99_ms = number(l, {"tpot_ms", "p99"}).value_or(0);
    p.itl_p50_ms = number(l, {"itl_ms", "p50"}).value_or(0);
    p.e2el_p50_ms = number(l, {"e2el_ms", "p50"}).value_or(0);
    p.completed = static_cast<int64_t>(number(l, {"completed"}).value_or(0));
    p.failed = static_cast<int64_t>(number(l, {"failed"}).value_or(0));
    row.curve.push_back(p);
  }
  std::sort(row.curve.begin(), row.curve.end(), [](const BenchPoint& a, const BenchPoint& b) {
    if (a.concurrency && b.concurrency) return *a.concurrency < *b.concurrency;
    if (a.request_rate && b.request_rate) return *a.request_rate < *b.request_rate;
    return bool(a.concurrency) > bool(b.concurrency);
  });
  if (row.curve.empty()) return;
  // Latency: concurrency 1 when measured, else the lightest level (named in a note).
  const BenchPoint* light = &row.curve.front();
  for (const BenchPoint& p : row.curve)
    if (p.concurrency && *p.concurrency == 1) light = &p;
  const BenchPoint* best = &row.curve.front();
  for (const BenchPoint& p : row.curve)
    if (p.output_throughput > best->output_throughput) best = &p;
  row.ttft_ms.value = light->ttft_p50_ms;
  row.tpot_ms.value = light->tpot_p50_ms;
  if (!light->concurrency || *light->concurrency != 1) {
    const std::string note = "Latency at " + light->label() + " (no concurrency-1 level).";
    add_note(row.ttft_ms.notes, note);
    add_note(row.tpot_ms.notes, note);
  }
  if (!setup.empty()) add_note(row.ttft_ms.notes, setup);
  row.throughput.value = best->output_throughput;
  row.throughput.detail = best->label();
  int64_t failed = 0;
  for (const BenchPoint& p : row.curve) failed += p.failed;
  if (failed > 0)
    add_note(row.throughput.notes, std::to_string(failed) +
                                       " benchmark requests failed; they count in no latency "
                                       "or throughput.");
  // Memory: what the server process holds (peak RSS), else what the server reports.
  if (const auto peak = number(file, {"memory", "process_peak_rss_bytes"})) {
    row.memory.value = *peak;
    add_note(row.memory.notes,
             "Memory: peak resident set of the server process (VmHWM in /proc/PID/status): "
             "weights it touched, KV cache, runtime.");
  } else if (const Json* metrics = find(file, {"memory", "server", "metrics"});
             metrics && metrics->is_object() &&
             metrics->contains("process_resident_memory_bytes")) {
    row.memory.value = (*metrics)["process_resident_memory_bytes"].get<double>();
    add_note(row.memory.notes,
             "Memory: the server's process_resident_memory_bytes (/metrics) after the sweep.");
  } else if (const auto model_bytes = number(file, {"memory", "server", "model_bytes"})) {
    row.memory.value = *model_bytes;
    add_note(row.memory.notes, "Memory: model size from /v1/models metadata (weights only).");
  }
}

}  // namespace

constexpr const char* kSampledSetting =
    "zero-shot chat in the DeepSeek-R1 card's form, the last \\boxed{} after </think>; pass@1 "
    "the mean over k samples per problem, then cons@k (majority vote) and pass@k (unbiased "
    "estimator), mean reasoning tokens per sample and the share cut off by the token limit";

const std::vector<QualityColumn>& quality_columns() {
  static const std::vector<QualityColumn> columns = {
      {"mmlu", "MMLU", "mmlu", "acc", 100, "5-shot acc, unweighted mean over the 57 subjects", 5,
       "loglikelihood"},
      {"hellaswag", "HellaSwag", "hellaswag", "acc_norm", 100, "10-shot acc_norm", 10,
       "loglikelihood"},
      {"arc", "ARC", "arc_challenge", "acc_norm", 100, "ARC-Challenge, 25-shot acc_norm", 25,
       "loglikelihood"},
      {"truthfulqa", "TruthfulQA", "truthfulqa_mc2", "mc2", 100, "0-shot mc2", 0, "loglikelihood"},
      {"humaneval", "HumanEval pass@1", "humaneval", "pass@1", 100,
       "greedy pass@1, unbiased estimator", -1, ""},
      {"mt_bench", "MT-Bench", "mt_bench", "score", 1, "1-10, mean over both turns", -1, ""},
      {"mmlu_gen", "MMLU (generative)", "mmlu", "acc", 100,
       "zero-shot chat, simple-evals prompt, answer after </think>; unweighted mean over subjects",
       -1, "generative"},
      {"hellaswag_gen", "HellaSwag (generative)", "hellaswag", "acc", 100,
       "zero-shot chat, lettered endings, answer after </think>", -1, "generative"},
      {"arc_gen", "ARC (generative)", "arc_challenge", "acc", 100,
       "ARC-Challenge, zero-shot chat, simple-evals prompt, answer after </think>", -1,
       "generative"},
      {"truthfulqa_gen", "TruthfulQA mc1 (generative)", "truthfulqa_mc2", "acc", 100,
       "zero-shot chat over the single-answer mc1 targets, answer after </think>", -1,
       "generative"},
      {"aime24", "AIME 2024 pass@1", "aime24", "pass@1", 100, kSampledSetting, -1, "sampled"},
      {"amc23", "AMC 2023 pass@1", "amc23", "pass@1", 100, kSampledSetting, -1, "sampled"},
      {"gsm8k", "GSM8K pass@1", "gsm8k", "pass@1", 100,
       std::string(kSampledSetting) + "; without a box, the last number", -1, "sampled"},
  };
  return columns;
}

std::string BenchPoint::label() const {
  if (concurrency) return "c=" + std::to_string(*concurrency);
  if (request_rate) return std::isinf(*request_rate) ? "rate=inf" : fmt("%g req/s", *request_rate);
  return "?";
}

int Comparison::note_number(const std::string& note) const {
  const auto it = std::find(notes.begin(), notes.end(), note);
  return it == notes.end() ? 0 : static_cast<int>(it - notes.begin()) + 1;
}

std::string format_memory(double bytes) {
  if (bytes >= 1e9) return fmt("%.2f GB", bytes / 1e9);
  if (bytes >= 1e6) return fmt("%.0f MB", bytes / 1e6);
  return fmt("%.0f kB", bytes / 1e3);
}

Comparison build_comparison(const std::vector<std::pair<std::string, Json>>& files) {
  Comparison out;
  std::map<std::pair<std::string, std::string>, size_t> index;  // (model, endpoint) -> row
  std::map<std::string, int> endpoints_per_model;
  for (const auto& [path, j] : files) {
    const bool is_eval = j.is_object() && j.contains("junction_eval_format");
    const bool is_bench = j.is_object() && j.contains("junction_bench_format");
    if (!is_eval && !is_bench)
      throw Error(path + " is neither a junction eval nor a junction bench result file");
    const std::string model = text(j, "model");
    const std::string endpoint = strip_endpoint(text(j, "endpoint"));
    const auto key = std::make_pair(model, endpoint);
    auto it = index.find(key);
    if (it == index.end()) {
      ++endpoints_per_model[model];
      ModelRow row;
      row.model = model;
      row.endpoint = endpoint;
      row.quality.resize(quality_columns().size());
      it = index.emplace(key, out.rows.size()).first;
      out.rows.push_back(std::move(row));
    }
    ModelRow& row = out.rows[it->second];
    if (is_eval)
      fill_quality(row, j, path);
    else
      fill_serving(row, j, path);
  }
  // Keep the published columns and any generative column some row filled.
  const auto& all_columns = quality_columns();
  std::vector<size_t> shown;
  for (size_t c = 0; c < all_columns.size(); ++c) {
    bool filled = all_columns[c].mode != "generative" && all_columns[c].mode != "sampled";
    for (const ModelRow& row : out.rows) filled = filled || row.quality[c].value.has_value();
    if (filled) shown.push_back(c);
  }
  for (const size_t c : shown) out.columns.push_back(all_columns[c]);
  for (ModelRow& row : out.rows) {
    std::vector<Cell> kept;
    for (const size_t c : shown) kept.push_back(std::move(row.quality[c]));
    row.quality = std::move(kept);
  }
  for (ModelRow& row : out.rows)
    row.label = endpoints_per_model[row.model] > 1 && !row.endpoint.empty()
                    ? row.model + " @ " + row.endpoint
                    : row.model;
  auto collect = [&](const Cell& c) {
    for (const std::string& n : c.notes) add_note(out.notes, n);
  };
  for (const ModelRow& row : out.rows) {
    for (const Cell& c : row.quality) collect(c);
    collect(row.ttft_ms);
    collect(row.tpot_ms);
    collect(row.throughput);
    collect(row.memory);
  }
  for (const QualityColumn& col : out.columns)
    out.legend.push_back(col.header + ": " + col.setting + ".");
  out.legend.push_back(
      "Latency: time to first token / time per output token after the first, medians at "
      "concurrency 1, in ms.");
  out.legend.push_back(
      "Throughput: the highest output tokens/s across the sweep, and the level that reached "
      "it.");
  out.legend.push_back("—: not measured (no result file has it).");
  return out;
}

}  // namespace junction::compare
