// The engine loop on a fixture model: prefix caching and block sharing must not change any
// token or logprob, and finished or cancelled sequences give their KV blocks back.
#include "engine/engine_loop.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <memory>
#include <thread>
#include <vector>

#include "core/thread_pool.h"

namespace junction {
namespace {

const std::string kModel = std::string(JUNCTION_TEST_DATA) + "/models/qwen3-e2e-bf16";

struct Result {
  std::vector<TokenEvent> tokens;
  FinishInfo finish;
};

std::vector<int32_t> prompt_of(int n, int32_t seed) {
  std::vector<int32_t> p;
  for (int i = 0; i < n; ++i) p.push_back((seed * 7919 + i * 104729) % 150000 + 10);
  return p;
}

EngineRequest greedy(std::vector<int32_t> prompt, int64_t max_tokens) {
  EngineRequest r;
  r.prompt = std::move(prompt);
  r.max_tokens = max_tokens;
  r.sampling.temperature = 0;
  r.top_logprobs = 3;
  r.ignore_eos = true;
  return r;
}

class EngineLoopTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { model_ = Model::load(kModel).release(); }
  static void TearDownTestSuite() { delete model_; }

  std::unique_ptr<EngineLoop> make(bool prefix_caching, int64_t n_blocks = 256) {
    EngineOptions o;
    o.scheduler.max_running = 8;
    o.scheduler.n_blocks = n_blocks;
    o.scheduler.block_size = 16;
    o.scheduler.step_token_budget = 64;
    o.prefix_caching = prefix_caching;
    return std::make_unique<EngineLoop>(*model_, *backend_, o);
  }

  static Result collect(RequestStream& stream) {
    Result r;
    for (;;) {
      StreamUpdate u = stream.wait(std::chrono::milliseconds(100));
      for (auto& t : u.tokens) r.tokens.push_back(std::move(t));
      if (u.finish) {
        r.finish = *u.finish;
        return r;
      }
    }
  }

  static std::vector<Result> run_all(EngineLoop& engine, std::vector<EngineRequest> requests) {
    std::vector<std::shared_ptr<RequestStream>> streams;
    for (auto& r : requests) {
      streams.push_back(std::make_shared<RequestStream>());
      EXPECT_EQ(engine.submit(std::move(r), streams.back()), EngineLoop::Submit::kAccepted);
    }
    std::vector<Result> out;
    for (auto& s : streams) out.push_back(collect(*s));
    return out;
  }

  static Result run_one(EngineLoop& engine, EngineRequest request) {
    std::vector<EngineRequest> one;
    one.push_back(std::move(request));
    return run_all(engine, std::move(one))[0];
  }

  static void expect_same(const Result& got, const Result& want, const std::string& what) {
    ASSERT_EQ(got.tokens.size(), want.tokens.size()) << what;
    for (size_t i = 0; i < want.tokens.size(); ++i) {
      EXPECT_EQ(got.tokens[i].token, want.tokens[i].token) << what << " token " << i;
      EXPECT_NEAR(got.tokens[i].logprob, want.tokens[i].logprob, 1e-4) << what << " token " << i;
      ASSERT_EQ(got.tokens[i].top.size(), want.tokens[i].top.size());
      for (size_t j = 0; j < want.tokens[i].top.size(); ++j)
        EXPECT_NEAR(got.tokens[i].top[j].logprob, want.tokens[i].top[j].logprob, 1e-4);
    }
  }

  // Waits (up to 10 s) until nothing runs and the stats, published after each step, say no
  // block is in use; the callers' assertions then fail if the blocks were never freed.
  static void wait_idle(EngineLoop& engine) {
    for (int i = 0; i < 1000 && !(engine.idle() && engine.stats().n_used_blocks == 0); ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }

  static inline Model* model_ = nullptr;
  ThreadPool pool_{2};
  std::unique_ptr<kernels::Backend> backend_ = kernels::make_cpu_backend(pool_);
};

TEST_F(EngineLoopTest, ARepeatedPromptReusesWholeBlocksAndGivesTheSameTokens) {
  auto plain = make(false);
  const Result want = run_one(*plain, greedy(prompt_of(45, 1), 12));
  auto cached = make(true);
  const Result first = run_one(*cached, greedy(prompt_of(45, 1), 12));
  EXPECT_EQ(first.finish.n_cached_tokens, 0);
  const Result second = run_one(*cached, greedy(prompt_of(45, 1), 12));
  EXPECT_EQ(second.finish.n_cached_tokens, 32);  // whole 16-token blocks before the last token
  expect_same(first, want, "first");
  expect_same(second, want, "second, from cached blocks");
  wait_idle(*cached);
  EXPECT_EQ(cached->stats().n_used_blocks, 0);
  EXPECT_GT(cached->stats().n_cached_blocks, 0);
}

TEST_F(EngineLoopTest, TheNextTurnReusesThePreviousAnswer) {
  auto cached = make(true);
  auto prompt = prompt_of(20, 2);
  const Result turn1 = run_one(*cached, greedy(prompt, 30));
  // Next turn: the previous prompt and answer, then a new message.
  for (const auto& t : turn1.tokens) prompt.push_back(t.token);
  for (int32_t t : prompt_of(9, 3)) prompt.push_back(t);
  const Result turn2 = run_one(*cached, greedy(prompt, 6));
  // 20 + 29 tokens were computed (the last answer token was sampled, never fed): 3 full blocks.
  EXPECT_EQ(turn2.finish.n_cached_tokens, 48);
  auto plain = make(false);
  expect_same(turn2, run_one(*plain, greedy(prompt, 6)), "turn 2");
}

TEST_F(EngineLoopTest, ConcurrentRequestsSharingAPrefixMatchSeparateRuns) {
  const auto shared = prompt_of(70, 4);
  std::vector<EngineRequest> requests;
  std::vector<Result> want;
  auto plain = make(false);
  for (int i = 0; i < 6; ++i) {
    auto p = shared;
    for (int32_t t : prompt_of(3 + 5 * i, 10 + i)) p.push_back(t);
    want.push_back(run_one(*plain, greedy(p, 5 + i)));
    requests.push_back(greedy(p, 5 + i));
  }
  auto cached = make(true);
  // The first request computes the shared prefix; those submitted after it share its blocks
  // once they are published (here: all of them run in the same batch after it).
  run_one(*cached, greedy(shared, 1));
  const auto got = run_all(*cached, std::move(requests));
  for (size_t i = 0; i < got.size(); ++i) {
    expect_same(got[i], want[i], "request " + std::to_string(i));
    EXPECT_EQ(got[i].finish.n_cached_tokens, 64) << i;
  }
  wait_idle(*cached);
  EXPECT_EQ(cached->stats().n_used_blocks, 0);
}

TEST_F(EngineLoopTest, CancellingFreesTheBlocksAtOnce) {
  auto engine = make(true, 16);
  auto stream = std::make_shared<RequestStream>();
  ASSERT_EQ(engine->submit(greedy(prompt_of(30, 5), 200), stream), EngineLoop::Submit::kAccepted);
  while (stream->wait(std::chrono::milliseconds(100)).tokens.empty()) {
  }
  // Stats are published after the step that produced the token.
  for (int i = 0; i < 500 && engine->stats().n_used_blocks == 0; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  EXPECT_GT(engine->stats().n_used_blocks, 0);
  stream->cancel();
  const Result r = collect(*stream);
  EXPECT_EQ(r.finish.reason, StopReason::kCancelled);
  wait_idle(*engine);
  EXPECT_EQ(engine->stats().n_used_blocks, 0);
  // The whole pool is available again: a request needing all of it is admitted and finishes.
  const Result big = run_one(*engine, greedy(prompt_of(40, 6), 16 * 16 - 40));
  EXPECT_EQ(big.finish.reason, StopReason::kLength);
}

TEST_F(EngineLoopTest, PromptLogprobRequestsComputeTheWholePrompt) {
  auto engine = make(true);
  run_one(*engine, greedy(prompt_of(40, 7), 2));
  EngineRequest r = greedy(prompt_of(40, 7), 0);
  r.prompt_logprobs = true;
  r.top_logprobs = 0;
  const Result got = run_one(*engine, std::move(r));
  EXPECT_EQ(got.finish.n_cached_tokens, 0);
}

}  // namespace
}  // namespace junction
