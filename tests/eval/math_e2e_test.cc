// The sampled math tasks end to end: the `junction eval` binary against canned OpenAI-compatible
// endpoints on loopback (junction's own HTTP listener, answering each AMC 2023 problem with a
// known mixture of right, wrong, unanswered and cut-off samples chosen by the request's seed),
// pass@1 / cons@k / pass@k / reasoning length / cost against values worked out by hand; killed
// half way and restarted, it sends only the samples the file lacks and ends with the same
// numbers; two endpoints share the work; --max-cost refuses a request that could pass it; a
// samples file from other settings, or with a broken line, is refused.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "http/http_server.h"
#include "tests/support/child_process.h"
#include "tests/support/serve_process.h"

namespace junction::eval {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;
using test::run_command;
using testing::read_file;

const std::string kData = std::string(JUNCTION_TEST_DATA) + "/eval/datasets";

// The three AMC 2023 problems of tests/data (golds 27, 36, 45), straight from the file.
std::vector<std::string> amc_questions() {
  std::vector<std::string> out;
  std::ifstream in(kData + "/amc23/test.jsonl");
  for (std::string line; std::getline(in, line);)
    out.push_back(Json::parse(line)["problem"].get<std::string>());
  return out;
}

struct Canned {
  Canned(std::string c, std::string r = "", std::string f = "stop")
      : content(std::move(c)), reasoning_content(std::move(r)), finish_reason(std::move(f)) {}
  std::string content, reasoning_content, finish_reason;
};

// What problem p answers with seed s. Correct counts 2, 1, 4; majority 27 (right), 12 (wrong),
// 45 (right); one sample (p0 s3) cut off inside its reasoning, answering nothing.
Canned canned_answer(int p, int s) {
  static const Canned table[3][4] = {
      {{"<think>45/(18+12) = 1.5 h; 18 * 1.5 = 27</think>They meet \\boxed{27} miles from A."},
       {"\\boxed{27.0}", "Time 1.5 h, distance 27."},
       {"<think>18 * 5/3 = 30</think>\\boxed{30}"},
       {"<think>Let me think: perhaps \\boxed{27}, but", "", "length"}},
      {{"x = 12 ...</think>\\boxed{12}"},
       {"<think>x</think>The answer is $\\boxed{12}$."},
       {"<think>x</think>\\boxed{12}"},
       {"<think>maybe \\boxed{12}</think>So \\boxed{\\frac{72}{2}}"}},
      {{"<think>x</think>\\boxed{45}"},
       {"<think>x</think>\\boxed{45.0}"},
       {"<think>x</think>\\boxed{\\frac{90}{2}}"},
       {"<think>x</think>\\boxed{45\\text{ degrees}}"}}};
  return table[p][s];
}

// An OpenAI-compatible chat endpoint with canned answers; optionally lists prices at
http::HttpOptions loopback_any_port() {
  http::HttpOptions o;
  o.host = "127.0.0.1";
  o.port = 0;
  return o;
}

// GET /v1/models as a gateway does (1 and 2 USD per million prompt / completion tokens).
class CannedEndpoint {
 public:
  explicit CannedEndpoint(bool list_prices)
      : questions_(amc_questions()),
        list_prices_(list_prices),
        server_(loopback_any_port(),
                [this](const http::HttpRequest& r, http::HttpResponder& w) { handle(r, w); }) {
    thread_ = std::thread([this] { server_.run(); });
  }
  ~CannedEndpoint() {
    server_.stop();
    thread_.join();
    server_.close_connections();
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(server_.port()) + "/v1"; }
  // (problem, seed) of every chat request, in arrival order.
  std::vector<std::pair<int, int>> requests() {
    std::lock_guard<std::mutex> lock(mutex_);
    return requests_;
  }
  void clear() {
    std::lock_guard<std::mutex> lock(mutex_);
    requests_.clear();
  }
  // SIGKILLs `pid` when the n-th chat request (counted from now) arrives, before answering it.
  void kill_on_request(int n, pid_t pid) {
    std::lock_guard<std::mutex> lock(mutex_);
    kill_at_ = static_cast<int>(requests_.size()) + n;
    kill_pid_ = pid;
  }

 private:
  void handle(const http::HttpRequest& r, http::HttpResponder& w) {
    if (r.method == "GET" && r.path == "/v1/models" && list_prices_) {
      w.send(200, "application/json",
             R"({"object":"list","data":[{"id":"r1","pricing":{"prompt":"0.000001",)"
             R"("completion":"0.000002"}}]})");
      return;
    }
    if (r.path != "/v1/chat/completions") {
      w.send(404, "application/json", R"({"error":{"message":"not here"}})");
      return;
    }
    const Json body = Json::parse(r.body);
    const std::string user = body["messages"][0]["content"].get<std::string>();
    int p = -1;
    for (size_t i = 0; i < questions_.size(); ++i)
      if (user.rfind(questions_[i], 0) == 0) p = static_cast<int>(i);
    const int s = body.value("seed", -1);
    const bool settings = body.value("temperature", 0.0) == 0.6 &&
                          body.value("top_p", 0.0) == 0.95 && body.value("max_tokens", 0) == 2000;
    if (p < 0 || s < 0 || s > 3 || !settings ||
        user.find("Please reason step by step, and put your final answer within \\boxed{}.") ==
            std::string::npos) {
      w.send(400, "application/json", R"({"error":{"message":"unexpected request"}})");
      return;
    }
    {
      std::lock_guard<std::mutex> lock(mutex_);
      requests_.push_back({p, s});
      if (static_cast<int>(requests_.size()) == kill_at_ && kill_pid_ > 0) {
        ::kill(kill_pid_, SIGKILL);
        kill_pid_ = 0;
      }
    }
    const Canned c = canned_answer(p, s);
    const int reasoning = 10 * (p + 1) * (s + 1);
    Json message = {{"role", "assistant"}, {"content", c.content}};
    if (!c.reasoning_content.empty()) message["reasoning_content"] = c.reasoning_content;
    const Json answer = {
        {"id", "c"},
        {"object", "chat.completion"},
        {"created", 1},
        {"model", "r1"},
        {"choices", {{{"index", 0}, {"message", message}, {"finish_reason", c.finish_reason}}}},
        {"usage",
         {{"prompt_tokens", 50},
          {"completion_tokens", reasoning + 10},
          {"total_tokens", 50 + reasoning + 10},
          {"completion_tokens_details", {{"reasoning_tokens", reasoning}}}}}};
    w.send(200, "application/json", answer.dump());
  }

  std::vector<std::string> questions_;
  bool list_prices_;
  std::mutex mutex_;
  std::vector<std::pair<int, int>> requests_;
  int kill_at_ = 0;
  pid_t kill_pid_ = 0;
  http::HttpServer server_;
  std::thread thread_;
};

fs::path scratch_dir(const std::string& name) {
  const fs::path dir =
      fs::temp_directory_path() / ("junction_eval_math_" + name + "_" + std::to_string(getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

std::vector<std::string> eval_args(const std::string& endpoints, const fs::path& dir) {
  return {JUNCTION_BINARY,
          "eval",
          "--endpoint",
          endpoints,
          "--model",
          "r1",
          "--task",
          "amc23",
          "--data",
          kData,
          "--samples-per-problem",
          "4",
          "--max-gen-tokens",
          "2000",
          "--concurrency",
          "2",
          "--samples",
          (dir / "samples.jsonl").string(),
          "--out",
          (dir / "result.json").string()};
}

// Sample lines (not question lines) of the samples file, by (problem index, seed).
std::set<std::pair<int, int>> sampled(const fs::path& file) {
  const std::vector<std::string> ids = {"0", "1", "2"};  // amc23's ids of the three problems
  std::set<std::pair<int, int>> out;
  std::ifstream in(file);
  for (std::string line; std::getline(in, line);) {
    Json j;
    try {
      j = Json::parse(line);
    } catch (const Json::exception&) {
      continue;  // a line the kill cut
    }
    if (j.value("type", "") == "question") continue;
    const auto p = std::find(ids.begin(), ids.end(), j["doc_id"].get<std::string>()) - ids.begin();
    EXPECT_TRUE(out.insert({static_cast<int>(p), j["sample_index"].get<int>()}).second)
        << "a sample written twice: " << line;
  }
  return out;
}

// The numbers worked out by hand from the canned table: correct counts c = (2, 1, 4) of k = 4.
void expect_hand_numbers(const Json& task) {
  const Json& m = task["metrics"];
  // pass@1 = mean(2/4, 1/4, 4/4) = 7/12; deviations -1/12, -1/3, 5/12, sum of squares 7/24,
  // stderr sqrt(7/24 / 2 / 3) = sqrt(7) / 12.
  EXPECT_NEAR(m["pass@1"]["value"].get<double>(), 7.0 / 12, 1e-12);
  EXPECT_NEAR(m["pass@1"]["stderr"].get<double>(), std::sqrt(7.0) / 12, 1e-12);
  // cons@4: majorities 27 (right), 12 (wrong), 45 (right) = 2/3; stderr sqrt(2/3 / 2 / 3) = 1/3.
  EXPECT_NEAR(m["cons@4"]["value"].get<double>(), 2.0 / 3, 1e-12);
  EXPECT_NEAR(m["cons@4"]["stderr"].get<double>(), 1.0 / 3, 1e-12);
  // pass@2 = 1 - C(4-c, 2) / C(4, 2): 1 - 1/6, 1 - 3/6, 1 -> mean (5/6 + 1/2 + 1) / 3 = 7/9.
  EXPECT_NEAR(m["pass@2"]["value"].get<double>(), 7.0 / 9, 1e-12);
  EXPECT_NEAR(m["pass@4"]["value"].get<double>(), 1.0, 1e-12);
  EXPECT_EQ(task["samples"], 12);
  EXPECT_EQ(task["samples_per_problem"], 4);
  EXPECT_EQ(task["unanswered"], 1);
  EXPECT_EQ(task["temperature"], 0.6);
  EXPECT_EQ(task["top_p"], 0.95);
  EXPECT_EQ(task["max_tokens"], 2000);
  // Reasoning tokens 10 (p+1)(s+1): mean over samples 10 * 6 * 10 / 12 = 50, max 120; per
  // question 25, 50, 75; one sample of twelve cut off.
  const Json& r = task["reasoning"];
  EXPECT_DOUBLE_EQ(r["tokens_per_sample"]["mean"].get<double>(), 50);
  EXPECT_DOUBLE_EQ(r["tokens_per_sample"]["max"].get<double>(), 120);
  EXPECT_DOUBLE_EQ(r["mean_tokens_per_question"]["p10"].get<double>(), 25);
  EXPECT_DOUBLE_EQ(r["mean_tokens_per_question"]["p50"].get<double>(), 50);
  EXPECT_DOUBLE_EQ(r["mean_tokens_per_question"]["max"].get<double>(), 75);
  EXPECT_EQ(r["cut_off"], 1);
  EXPECT_NEAR(r["cut_off_share"].get<double>(), 1.0 / 12, 1e-12);
  EXPECT_EQ(r["tokens_source"], "usage");
}

void expect_question_lines(const fs::path& file) {
  std::map<std::string, Json> questions;
  std::ifstream in(file);
  for (std::string line; std::getline(in, line);) {
    try {
      const Json j = Json::parse(line);
      if (j.value("type", "") == "question") {
        EXPECT_FALSE(questions.count(j["doc_id"])) << "question line written twice";
        questions[j["doc_id"]] = j;
      }
    } catch (const Json::exception&) {
    }
  }
  ASSERT_EQ(questions.size(), 3u);
  EXPECT_DOUBLE_EQ(questions["0"]["accuracy"].get<double>(), 0.5);
  EXPECT_EQ(questions["0"]["majority_answer"], "27");
  EXPECT_EQ(questions["0"]["majority_correct"], true);
  EXPECT_EQ(questions["0"]["cut_off"], 1);
  EXPECT_DOUBLE_EQ(questions["1"]["accuracy"].get<double>(), 0.25);
  EXPECT_EQ(questions["1"]["majority_answer"], "12");
  EXPECT_EQ(questions["1"]["majority_correct"], false);
  EXPECT_DOUBLE_EQ(questions["2"]["accuracy"].get<double>(), 1.0);
  EXPECT_EQ(questions["2"]["gold"], "45");
}

TEST(EvalMath, KilledHalfWayResumesWithoutRepeatingAndEndsWithTheHandNumbers) {
  const fs::path dir = scratch_dir("resume");
  CannedEndpoint endpoint(/*list_prices=*/true);
  {
    test::ChildProcess run(eval_args(endpoint.url(), dir), (dir / "run1.log").string());
    endpoint.kill_on_request(6, run.pid());
    EXPECT_EQ(run.wait(), 128 + SIGKILL) << read_file(dir / "run1.log");
  }
  EXPECT_FALSE(fs::exists(dir / "result.json"));
  const auto first = sampled(dir / "samples.jsonl");
  EXPECT_GE(first.size(), 1u);
  EXPECT_LE(first.size(), 5u);  // the 6th request was never answered
  endpoint.clear();

  {
    test::ChildProcess run(eval_args(endpoint.url(), dir), (dir / "run2.log").string());
    ASSERT_EQ(run.wait(), 0) << read_file(dir / "run2.log");
  }
  const auto again = endpoint.requests();
  EXPECT_EQ(again.size(), 12 - first.size());
  for (const auto& ps : again)
    EXPECT_FALSE(first.count(ps)) << "problem " << ps.first << " seed " << ps.second
                                  << " was finished before the kill and asked again";
  EXPECT_EQ(sampled(dir / "samples.jsonl").size(), 12u);
  const Json result = Json::parse(read_file(dir / "result.json"));
  const Json& task = result["tasks"]["amc23"];
  EXPECT_EQ(task["resumed_samples"], static_cast<int>(first.size()));
  expect_hand_numbers(task);
  expect_question_lines(dir / "samples.jsonl");
  EXPECT_EQ(result["settings"]["sampling"]["samples_per_problem"], 4);
  const std::string log = read_file(dir / "run2.log");
  EXPECT_NE(log.find("requests to send"), std::string::npos) << log;
  EXPECT_NE(log.find("at most $"), std::string::npos) << log;  // the gateway's prices
  fs::remove_all(dir);
}

TEST(EvalMath, TwoEndpointsShareTheWorkAndCostComesFromTheListedPrices) {
  const fs::path dir = scratch_dir("pool");
  CannedEndpoint priced(/*list_prices=*/true), plain(/*list_prices=*/false);
  ASSERT_EQ(
      run_command(eval_args(priced.url() + "," + plain.url(), dir), (dir / "run.log").string()), 0)
      << read_file(dir / "run.log");
  EXPECT_EQ(priced.requests().size() + plain.requests().size(), 12u);
  EXPECT_GT(plain.requests().size(), 0u);
  const Json result = Json::parse(read_file(dir / "result.json"));
  const Json& task = result["tasks"]["amc23"];
  EXPECT_EQ(task["resumed_samples"], 0);
  expect_hand_numbers(task);
  // 12 x 50 prompt tokens at $1/M + (600 reasoning + 12 x 10) completion tokens at $2/M.
  EXPECT_NEAR(task["cost_usd"].get<double>(), (600 * 1.0 + 720 * 2.0) / 1e6, 1e-12);
  fs::remove_all(dir);
}

TEST(EvalMath, MaxCostRefusesARequestThatCouldPassIt) {
  const fs::path dir = scratch_dir("cost");
  CannedEndpoint endpoint(/*list_prices=*/false);
  std::vector<std::string> args = eval_args(endpoint.url(), dir);
  // Each request could cost 2000 completion tokens x $1/M = $0.002 > $0.001.
  for (const char* a : {"--max-cost", "0.001", "--price-input", "1", "--price-output", "1"})
    args.push_back(a);
  EXPECT_NE(run_command(args, (dir / "run.log").string()), 0);
  const std::string log = read_file(dir / "run.log");
  EXPECT_NE(log.find("stopped before --max-cost"), std::string::npos) << log;
  EXPECT_TRUE(endpoint.requests().empty());
  EXPECT_FALSE(fs::exists(dir / "result.json"));
  // Without prices a cap cannot be kept: refused up front.
  args.resize(args.size() - 4);
  EXPECT_NE(run_command(args, (dir / "run2.log").string()), 0);
  EXPECT_NE(read_file(dir / "run2.log").find("--max-cost needs"), std::string::npos);
  fs::remove_all(dir);
}

// A samples file is resumed only when its samples were drawn the way this run draws them, and a
// line without the fields the metrics need is an error that names it, not a crash.
TEST(EvalMath, ResumeRefusesSamplesFromOtherSettingsAndBrokenLines) {
  const fs::path dir = scratch_dir("settings");
  CannedEndpoint endpoint(/*list_prices=*/false);
  std::vector<std::string> args = eval_args(endpoint.url(), dir);
  ASSERT_EQ(run_command(args, (dir / "run.log").string()), 0) << read_file(dir / "run.log");
  endpoint.clear();
  args.push_back("--temperature");
  args.push_back("0.7");
  EXPECT_NE(run_command(args, (dir / "run2.log").string()), 0);
  EXPECT_NE(read_file(dir / "run2.log").find("this run asks for other settings"), std::string::npos)
      << read_file(dir / "run2.log");
  EXPECT_TRUE(endpoint.requests().empty());

  std::ofstream(dir / "samples.jsonl", std::ios::trunc)
      << R"({"key":"amc23|0#0","temperature":0.6,"top_p":0.95,"max_tokens":2000})"
      << "\n";
  args.resize(args.size() - 2);
  EXPECT_NE(run_command(args, (dir / "run3.log").string()), 0);
  EXPECT_NE(read_file(dir / "run3.log").find("line for amc23|0#0 lacks"), std::string::npos)
      << read_file(dir / "run3.log");
  fs::remove_all(dir);
}

// In process (--model-path), the k samples of each problem run batched through one engine loop
// and their reasoning tokens are counted as the server counts them, not estimated from
// characters. The tiny random model never opens <think>, so every count is 0 (an estimate said
// every token of a cut-off answer was reasoning).
TEST(EvalMath, InProcessSamplesAreBatchedAndTheirReasoningCounted) {
  const fs::path dir = scratch_dir("local");
  const std::vector<std::string> args = {JUNCTION_BINARY,
                                         "eval",
                                         "--model-path",
                                         std::string(JUNCTION_TEST_DATA) + "/models/qwen3-e2e-bf16",
                                         "--task",
                                         "amc23",
                                         "--data",
                                         kData,
                                         "--limit",
                                         "2",
                                         "--samples-per-problem",
                                         "3",
                                         "--max-gen-tokens",
                                         "6",
                                         "--concurrency",
                                         "3",
                                         "--threads",
                                         "1",
                                         "--samples",
                                         (dir / "samples.jsonl").string(),
                                         "--out",
                                         (dir / "result.json").string()};
  ASSERT_EQ(run_command(args, (dir / "run.log").string()), 0) << read_file(dir / "run.log");
  int n = 0;
  std::ifstream in(dir / "samples.jsonl");
  for (std::string line; std::getline(in, line);) {
    const Json j = Json::parse(line);
    if (j.value("type", "") == "question") continue;
    ++n;
    EXPECT_EQ(j["reasoning_tokens_source"], "usage") << line;
    EXPECT_EQ(j["reasoning_tokens"], 0) << line;
    EXPECT_LE(j["completion_tokens"].get<int>(), 6) << line;  // --max-gen-tokens holds
  }
  EXPECT_EQ(n, 6);
  const Json result = Json::parse(read_file(dir / "result.json"));
  EXPECT_EQ(result["tasks"]["amc23"]["reasoning"]["tokens_source"], "usage");
  EXPECT_EQ(result["settings"]["concurrency"], 3);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace junction::eval
