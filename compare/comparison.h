// The comparison table's content, built from result files: one row per (model, endpoint), the
// quality cells from `junction eval` files (junction_eval_format 1) and the serving cells from
// `junction bench` files (junction_bench_format 1), each cell with the methodology notes that
// keep it honest (subsets, generative scoring, self-judged MT-Bench, where memory came from).
// Pure: the caller reads the files. Rendering is report_markdown / report_html.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace junction::compare {

using Json = nlohmann::ordered_json;

struct Cell {
  std::optional<double> value;
  std::optional<double> stderr_value;  // same unit as value
  std::string detail;                  // shown after the value ("c=16")
  std::vector<std::string> notes;      // footnotes
};

// A quality column: which task and metric of an eval result fills it.
struct QualityColumn {
  std::string key;       // "mmlu"
  std::string header;    // "MMLU"
  std::string task;      // eval task name
  std::string metric;    // metric name in tasks.<task>.metrics
  double scale;          // 100: shown as percent
  std::string setting;   // what published numbers use ("5-shot acc")
  int standard_fewshot;  // -1: not a few-shot task
  // Which scoring fills it: "loglikelihood" or "generative" (multiple-choice tasks are scored
  // either way, and the two measurements get separate columns), "sampled" (the math tasks: k
  // samples per problem); "" for any.
  std::string mode;
};
// Every quality column junction knows, in table order: the published loglikelihood columns,
// HumanEval, MT-Bench, the generative multiple-choice ones, then the sampled math ones.
const std::vector<QualityColumn>& quality_columns();

// One level of a bench sweep, for the latency-vs-throughput curves.
struct BenchPoint {
  std::optional<int64_t> concurrency;
  std::optional<double> request_rate;  // requests/s
  double output_throughput = 0;        // tokens/s
  double request_throughput = 0;       // requests/s
  double ttft_p50_ms = 0, ttft_p99_ms = 0, tpot_p50_ms = 0, tpot_p99_ms = 0, itl_p50_ms = 0,
         e2el_p50_ms = 0;
  int64_t completed = 0, failed = 0;
  std::string label() const;  // "c=4", "2 req/s"
};

struct ModelRow {
  std::string label;  // the model name, with the endpoint when one model has several
  std::string model, endpoint;
  std::vector<Cell> quality;  // parallel to Comparison::columns
  Cell ttft_ms, tpot_ms;      // p50 at concurrency 1 (or the lightest level)
  Cell throughput;            // the sweep's highest output tokens/s
  Cell memory;                // bytes
  std::vector<BenchPoint> curve;
  std::vector<std::string> files;
};

struct Comparison {
  // The quality columns shown: the published ones always, a generative or sampled one only when
  // some row has a value in it. ModelRow::quality is parallel to this.
  std::vector<QualityColumn> columns;
  std::vector<ModelRow> rows;
  std::vector<std::string> notes;   // every distinct footnote, numbered from 1 in this order
  std::vector<std::string> legend;  // what each column measures
  // The footnote number (1-based) of a note text.
  int note_number(const std::string& note) const;
};

// `files`: (path, parsed JSON). Throws junction::Error for a file of neither format.
Comparison build_comparison(const std::vector<std::pair<std::string, Json>>& files);

// "4.92 GB" (powers of 1000, as pull's progress).
std::string format_memory(double bytes);

}  // namespace junction::compare
