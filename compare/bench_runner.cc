#include "compare/bench_runner.h"

#include <atomic>
#include <chrono>
#include <cmath>
#include <ctime>
#include <limits>
#include <mutex>
#include <thread>

#include "compare/arrival_schedule.h"
#include "compare/bench_progress.h"
#include "compare/bench_prompts.h"
#include "compare/memory_footprint.h"
#include "core/error.h"
#include "core/json_depth.h"

namespace junction::compare {
namespace {

using Clock = std::chrono::steady_clock;

constexpr int64_t kWarmupIndexBase = int64_t{1}
                                     << 40;  // warm-up prompts never repeat measured ones

std::string now_utc() {
  const std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

http::HttpClientOptions http_options(double timeout_s) {
  http::HttpClientOptions o;
  o.read_timeout = std::chrono::milliseconds(static_cast<int64_t>(timeout_s * 1000));
  o.connect_timeout = std::chrono::seconds(10);
  o.allow_plain_http = true;
  o.user_agent = "junction-bench/0.1";
  return o;
}

struct Level {
  std::optional<int64_t> concurrency;  // a concurrency sweep's level
  std::optional<double> rate;          // a request-rate sweep's level // requests/s
  int64_t workers = 1;                 // requests in flight at most
  std::string label() const {
    if (concurrency) return "concurrency=" + std::to_string(*concurrency);
    char buf[48];
    std::snprintf(buf, sizeof buf, "rate=%g", *rate);
    return buf;
  }
};

class Sweep {
 public:
  explicit Sweep(const BenchOptions& o) : o_(o) {
    if (!o.dataset.empty()) dataset_ = load_mt_bench_prompts(o.dataset);
  }

  std::string prompt(int64_t index) const {
    if (!dataset_.empty()) return dataset_[static_cast<size_t>(index % int64_t(dataset_.size()))];
    return synthetic_prompt(o_.input_len, o_.seed, index);
  }

  // Sends `n` requests (prompt indices first..first+n) with `workers` threads; request i waits
  // until `send_at[i]` (s after the start) when given. Returns the records and the wall time.
  std::pair<std::vector<RequestRecord>, double> run(const Level& level, int64_t first, int64_t n,
                                                    const std::vector<double>& send_at,
                                                    BenchProgress* progress) {
    std::vector<RequestRecord> records(static_cast<size_t>(n));
    std::atomic<int64_t> next{0};
    const auto start = Clock::now();
    std::mutex end_mutex;
    auto last_end = start;
    std::vector<std::thread> threads;
    const int64_t n_workers = std::max<int64_t>(1, std::min(level.workers, n));
    for (int64_t w = 0; w < n_workers; ++w)
      threads.emplace_back([&] {
        http::HttpClient client(http_options(o_.timeout_s));
        for (int64_t i; (i = next.fetch_add(1)) < n;) {
          if (!send_at.empty())
            std::this_thread::sleep_until(
                start + std::chrono::duration_cast<Clock::duration>(
                            std::chrono::duration<double>(send_at[static_cast<size_t>(i)])));
          const double sent = std::chrono::duration<double>(Clock::now() - start).count();
          RequestRecord r =
              send_bench_request(client, o_.endpoint, prompt(first + i), o_.output_len);
          r.sent_at_s = sent;
          {
            std::lock_guard lock(end_mutex);
            last_end = std::max(last_end, Clock::now());
          }
          records[static_cast<size_t>(i)] = std::move(r);
          if (progress) progress->advance();
        }
      });
    for (auto& t : threads) t.join();
    return {std::move(records), std::chrono::duration<double>(last_end - start).count()};
  }

 private:
  const BenchOptions& o_;
  std::vector<std::string> dataset_;
};

// The server's memory numbers: /metrics series about memory, and /v1/models metadata.
Json server_memory(const BenchOptions& o) {
  Json out = Json::object();
  http::HttpClient client(http_options(10));
  http::HttpHeaders headers;
  if (!o.endpoint.api_key.empty())
    headers.push_back({"Authorization", "Bearer " + o.endpoint.api_key});
  try {
    const auto [head, body] = client.get_text(o.endpoint.base_url + "/metrics", headers, 16 << 20);
    if (head.status == 200) {
      Json m = Json::object();
      for (const auto& [series, value] : parse_prometheus_memory(body)) m[series] = value;
      out["metrics"] = m;
    }
  } catch (const std::exception&) {
  }
  try {
    const auto [head, body] = client.get_text(o.endpoint.base_url + "/v1/models", headers, 4 << 20);
    if (head.status == 200) {
      const Json j = parse_json<Json>(body);
      if (j.is_object() && j.contains("data") && j["data"].is_array())
        for (const Json& m : j["data"])
          if (m.is_object() && m.value("id", "") == o.endpoint.model) {
            if (m.contains("meta") && m["meta"].is_object()) {
              out["models_meta"] = m["meta"];
              if (m["meta"].contains("size") && m["meta"]["size"].is_number())
                out["model_bytes"] = m["meta"]["size"];
            }
            if (m.contains("max_model_len")) out["max_model_len"] = m["max_model_len"];
          }
    }
  } catch (const std::exception&) {
  }
  return out;
}

}  // namespace

Json distribution_json(const Distribution& d) {
  return {{"n", d.n},     {"mean", d.mean}, {"std", d.std}, {"p50", d.p50},
          {"p90", d.p90}, {"p99", d.p99},   {"min", d.min}, {"max", d.max}};
}

Json level_json(const LevelSummary& s) {
  const double done = static_cast<double>(std::max<int64_t>(1, s.completed));
  return {{"completed", s.completed},
          {"failed", s.failed},
          {"duration_s", s.duration_s},
          {"total_input_tokens", s.total_input_tokens},
          {"total_output_tokens", s.total_output_tokens},
          {"mean_input_tokens", static_cast<double>(s.total_input_tokens) / done},
          {"mean_output_tokens", static_cast<double>(s.total_output_tokens) / done},
          {"request_throughput", s.request_throughput},
          {"output_throughput", s.output_throughput},
          {"total_token_throughput", s.total_token_throughput},
          {"ttft_ms", distribution_json(s.ttft_ms)},
          {"tpot_ms", distribution_json(s.tpot_ms)},
          {"itl_ms", distribution_json(s.itl_ms)},
          {"e2el_ms", distribution_json(s.e2el_ms)},
          {"errors", s.errors}};
}

Json run_bench(const BenchOptions& options) {
  BenchOptions o = options;
  o.endpoint.base_url = strip_base_url(o.endpoint.base_url);
  if (o.num_prompts < 1) throw Error("--num-prompts must be at least 1");
  if (o.output_len < 1) throw Error("--output-len must be at least 1");
  if (o.dataset.empty() && o.input_len < 1) throw Error("--input-len must be at least 1");
  std::vector<Level> levels;
  if (!o.request_rates.empty()) {
    for (const double rate : o.request_rates)
      levels.push_back(
          {std::nullopt, rate, o.max_concurrency > 0 ? o.max_concurrency : o.num_prompts});
  } else {
    if (o.concurrency.empty()) throw Error("give --concurrency or --request-rate");
    for (const int64_t c : o.concurrency) {
      if (c < 1) throw Error("--concurrency values must be at least 1");
      levels.push_back({c, std::nullopt, c});
    }
  }
  const auto t0 = Clock::now();
  const std::string started_at = now_utc();
  Sweep sweep(o);
  Json out_levels = Json::array();
  int64_t prompt_base = 0;
  for (size_t li = 0; li < levels.size(); ++li) {
    const Level& level = levels[li];
    if (o.warmup > 0) {
      auto [warm, warm_s] = sweep.run(level, kWarmupIndexBase + prompt_base, o.warmup, {}, nullptr);
      for (const RequestRecord& r : warm)
        if (!r.ok) throw Error("warm-up request to " + o.endpoint.base_url + " failed: " + r.error);
    }
    const std::vector<double> send_at =
        level.rate && !std::isinf(*level.rate)
            ? poisson_arrivals(o.num_prompts, *level.rate, o.seed + li)
            : std::vector<double>{};
    BenchProgress progress(o.log, o.terminal, level.label(), o.num_prompts);
    auto [records, duration_s] = sweep.run(level, prompt_base, o.num_prompts, send_at, &progress);
    progress.finish();
    prompt_base += o.num_prompts;
    const LevelSummary s = summarize_level(records, duration_s);
    Json lj = {{"concurrency", level.concurrency ? Json(*level.concurrency) : Json()},
               {"request_rate",
                level.rate ? (std::isinf(*level.rate) ? Json("inf") : Json(*level.rate)) : Json()},
               {"max_concurrency", level.workers}};
    lj.update(level_json(s));
    if (o.pid)
      if (const auto mem = read_process_memory(*o.pid)) lj["process_rss_bytes"] = mem->rss_bytes;
    if (o.log)
      std::fprintf(o.log,
                   "bench %s: %lld ok, %lld failed, %.2f req/s, %.1f output tok/s, TTFT p50 %.1f "
                   "ms, TPOT p50 %.2f ms\n",
                   level.label().c_str(), static_cast<long long>(s.completed),
                   static_cast<long long>(s.failed), s.request_throughput, s.output_throughput,
                   s.ttft_ms.p50, s.tpot_ms.p50);
    out_levels.push_back(std::move(lj));
  }
  Json memory = {{"server", server_memory(o)}};
  if (o.pid) {
    memory["pid"] = *o.pid;
    if (const auto mem = read_process_memory(*o.pid)) {
      memory["process_rss_bytes"] = mem->rss_bytes;
      memory["process_peak_rss_bytes"] = mem->peak_rss_bytes;
    }
  }
  return {{"junction_bench_format", 1},
          {"model", o.endpoint.model},
          {"endpoint", o.endpoint.base_url},
          {"api", o.endpoint.api},
          {"started_at", started_at},
          {"settings",
           {{"sweep", o.request_rates.empty() ? "concurrency" : "request_rate"},
            {"num_prompts", o.num_prompts},
            {"warmup_per_level", o.warmup},
            {"dataset", o.dataset.empty() ? Json("random") : Json("mt_bench")},
            {"dataset_path", o.dataset.string()},
            {"input_len_words", o.dataset.empty() ? Json(o.input_len) : Json()},
            {"output_len", o.output_len},
            {"ignore_eos", o.endpoint.ignore_eos},
            {"temperature", 0},
            {"seed", o.seed}}},
          {"levels", out_levels},
          {"memory", memory},
          {"wall_time_s", std::chrono::duration<double>(Clock::now() - t0).count()}};
}

}  // namespace junction::compare
