// The engine loop on a fixture model: prefix caching and block sharing must not change any
// token or logprob, and finished or cancelled sequences give their KV blocks back.
#include "engine/engine_loop.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>
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

// A constraint whose state is the number of tokens it accepted: token k of the output must be
// congruent to k modulo 5. If a preemption reset or replayed its state, the output would break
// the rule.
class CountingConstraint : public TokenConstraint {
 public:
  void mask(std::span<float> logits) override {
    for (size_t t = 0; t < logits.size(); ++t)
      if (static_cast<int64_t>(t % 5) != n_accepted_ % 5)
        logits[t] = -std::numeric_limits<float>::infinity();
  }
  void accept(int32_t) override { ++n_accepted_; }

 private:
  int64_t n_accepted_ = 0;
};

// Preemption: a pool far smaller than the sum of prompt + max_tokens. The model's vocabulary is
// small (512), so many long sequences stay cheap; its context (131,072) allows long ones.
class EnginePreemptionTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    model_ = Model::load(std::string(JUNCTION_TEST_DATA) + "/models/qwen3-long-yarn-f32").release();
  }
  static void TearDownTestSuite() { delete model_; }

  static std::unique_ptr<EngineLoop> make(kernels::Backend& backend, int64_t n_blocks,
                                          int64_t max_running) {
    EngineOptions o;
    o.scheduler.max_running = max_running;
    o.scheduler.max_waiting = 64;
    o.scheduler.n_blocks = n_blocks;
    o.scheduler.block_size = 16;
    o.scheduler.step_token_budget = 256;
    o.itl_target_s = 0;  // step sizes must not depend on the machine's speed
    return std::make_unique<EngineLoop>(*model_, backend, o);
  }

  static std::vector<int32_t> prompt(int n, int32_t seed) {
    std::vector<int32_t> p;
    for (int i = 0; i < n; ++i) p.push_back((seed * 131 + i * 37) % 500 + 2);
    return p;
  }

  // Request i: greedy with logprobs, or seeded sampling with penalties (sampler state must
  // survive a preemption), one with prompt logprobs, one with a stateful constraint.
  static EngineRequest request(int i, int64_t max_tokens) {
    EngineRequest r;
    r.prompt = prompt(20 + 3 * i, i + 1);
    r.max_tokens = max_tokens;
    r.ignore_eos = true;
    r.eos_ids = {1};
    if (i % 2 == 0) {
      r.sampling.temperature = 0;
      r.top_logprobs = 2;
    } else {
      r.sampling.temperature = 0.9f;
      r.sampling.top_k = 40;
      r.sampling.repetition_penalty = 1.1f;
      r.sampling.seed = 1000 + static_cast<uint64_t>(i);
    }
    if (i == 7) r.prompt_logprobs = true;  // the newest: preempted first
    if (i == 5) r.constraint = std::make_unique<CountingConstraint>();
    return r;
  }

  struct Run {
    std::vector<TokenEvent> prompt_logprobs;
    std::vector<TokenEvent> tokens;
    FinishInfo finish;
  };

  // Submits all, then reads every stream round-robin (a stream is never left unread for long)
  // while sampling how many sequences run at once.
  static std::vector<Run> run_all(EngineLoop& engine, std::vector<EngineRequest> requests,
                                  int64_t* max_running = nullptr) {
    std::vector<std::shared_ptr<RequestStream>> streams;
    for (auto& r : requests) {
      streams.push_back(std::make_shared<RequestStream>());
      EXPECT_EQ(engine.submit(std::move(r), streams.back()), EngineLoop::Submit::kAccepted);
    }
    std::vector<Run> out(streams.size());
    size_t n_done = 0;
    while (n_done < streams.size()) {
      for (size_t i = 0; i < streams.size(); ++i) {
        if (out[i].finish.n_prompt_tokens > 0) continue;
        StreamUpdate u = streams[i]->wait(std::chrono::milliseconds(1));
        for (auto& t : u.prompt_logprobs) out[i].prompt_logprobs.push_back(std::move(t));
        for (auto& t : u.tokens) out[i].tokens.push_back(std::move(t));
        if (u.finish) {
          out[i].finish = *u.finish;
          ++n_done;
        }
      }
      if (max_running) *max_running = std::max(*max_running, engine.stats().n_running);
    }
    return out;
  }

  static void expect_same_events(const std::vector<TokenEvent>& got,
                                 const std::vector<TokenEvent>& want, const std::string& what) {
    ASSERT_EQ(got.size(), want.size()) << what;
    for (size_t i = 0; i < want.size(); ++i) {
      ASSERT_EQ(got[i].token, want[i].token) << what << " token " << i;
      EXPECT_NEAR(got[i].logprob, want[i].logprob, 1e-4) << what << " token " << i;
      ASSERT_EQ(got[i].top.size(), want[i].top.size()) << what << " token " << i;
      // Alternatives within the tolerance of each other may come in either order, and one tied
      // with the last alternative may take its place.
      for (size_t j = 0; j < want[i].top.size(); ++j) {
        EXPECT_NEAR(got[i].top[j].logprob, want[i].top[j].logprob, 1e-4) << what;
        const auto same = std::find_if(want[i].top.begin(), want[i].top.end(), [&](auto& w) {
          return w.token == got[i].top[j].token &&
                 std::abs(w.logprob - got[i].top[j].logprob) <= 1e-4f;
        });
        const bool tied_at_cut =
            std::abs(want[i].top.back().logprob - got[i].top[j].logprob) <= 1e-4f;
        EXPECT_TRUE(same != want[i].top.end() || tied_at_cut)
            << what << " token " << i << " alternative " << j;
      }
    }
  }

  // Runs n requests concurrently in a pool of n_blocks and each alone in a pool that holds it
  // whole; both must give the same tokens. Returns the concurrent engine's stats.
  void expect_concurrent_equals_serial(int n, int64_t max_tokens, int64_t n_blocks,
                                       int64_t* max_running) {
    std::vector<Run> serial;
    const auto t0 = std::chrono::steady_clock::now();
    {
      auto alone = make(*backend_, 4096, 1);
      for (int i = 0; i < n; ++i) {
        std::vector<EngineRequest> one;
        one.push_back(request(i, max_tokens));
        serial.push_back(std::move(run_all(*alone, std::move(one))[0]));
      }
      EXPECT_EQ(alone->stats().n_preemptions, 0);
    }
    const auto t1 = std::chrono::steady_clock::now();
    auto engine = make(*backend_, n_blocks, n);
    std::vector<EngineRequest> requests;
    for (int i = 0; i < n; ++i) requests.push_back(request(i, max_tokens));
    const auto got = run_all(*engine, std::move(requests), max_running);
    serial_s_ = std::chrono::duration<double>(t1 - t0).count();
    concurrent_s_ = std::chrono::duration<double>(std::chrono::steady_clock::now() - t1).count();
    for (int i = 0; i < n; ++i) {
      const std::string what = "request " + std::to_string(i);
      EXPECT_EQ(got[i].finish.reason, StopReason::kLength) << what << ": " << got[i].finish.error;
      expect_same_events(got[i].tokens, serial[i].tokens, what);
      expect_same_events(got[i].prompt_logprobs, serial[i].prompt_logprobs, what + " prompt");
    }
    if (n > 7) {
      EXPECT_EQ(serial[7].prompt_logprobs.size(), 20u + 3 * 7 - 1);
    }
    if (n > 5) {
      for (size_t k = 0; k < got[5].tokens.size(); ++k)
        ASSERT_EQ(got[5].tokens[k].token % 5, static_cast<int32_t>(k % 5)) << "token " << k;
    }
    for (int i = 0; i < 1000 && !(engine->idle() && engine->stats().n_used_blocks == 0); ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    stats_ = engine->stats();
  }

  static inline Model* model_ = nullptr;
  ThreadPool pool_{2};
  std::unique_ptr<kernels::Backend> backend_ = kernels::make_cpu_backend(pool_);
  EngineStats stats_;
  double serial_s_ = 0, concurrent_s_ = 0;
};

TEST_F(EnginePreemptionTest, ManyRequestsInAPoolFarSmallerThanTheirMaxTokensAllFinishAsAlone) {
  // 8 requests of up to 41 + 160 tokens (13 blocks each, 104 together) share 24 blocks: all are
  // admitted at once (their prompts need 2-3 blocks), then the newest are preempted as the
  // oldest grow. Reserving prompt + max_tokens would admit one at a time.
  int64_t max_running = 0;
  expect_concurrent_equals_serial(8, 160, 24, &max_running);
  EXPECT_GT(stats_.n_preemptions, 0);
  EXPECT_GE(max_running, 3);
  std::printf("preemptions %lld, steps %lld, max running %lld\n",
              static_cast<long long>(stats_.n_preemptions), static_cast<long long>(stats_.n_steps),
              static_cast<long long>(max_running));
  EXPECT_EQ(stats_.n_used_blocks, 0);
  EXPECT_EQ(stats_.n_running + stats_.n_waiting, 0);
}

// The must-show, sized by environment (default: 8 requests of max_tokens 32,768 in a
// pool for 2 of them). It takes about 18 minutes on 2 cores, so it runs only when asked. Token-for-
// token equality with serial runs over 32,768 sampled tokens needs batch-invariant kernels
// (tests/golden/batch_invariance_test.cc): before them a batched step's logits differed from a
// lone one's by ~2.4e-6 and 2 of the 8 outputs drifted (a sampled token at 19,368, a near-tie in
// an alternative at 32,738). On 2026-12-07 after them: 8 of 8 equal, 12 preemptions, 8 serial
// runs 462 s, 8 concurrent 596 s (AVX-512 EPYC, 2 threads, beside an ASan build).
//   JUNCTION_LONG_MAX_TOKENS=32768 engine_tests --gtest_also_run_disabled_tests
//   --gtest_filter='*DISABLED_LongRequests*'
TEST_F(EnginePreemptionTest, DISABLED_LongRequestsInAPoolForTwoAllFinishAsAlone) {
  const char* env = std::getenv("JUNCTION_LONG_MAX_TOKENS");
  const int64_t max_tokens = env ? std::atoll(env) : 32768;
  // Two of the longest requests; JUNCTION_LONG_POOL_SEQUENCES=8 gives a pool for all of them,
  // without preemption, to tell batching's rounding from preemption's.
  const char* n_seq = std::getenv("JUNCTION_LONG_POOL_SEQUENCES");
  const int64_t n_blocks = (n_seq ? std::atoll(n_seq) : 2) * ((41 + max_tokens + 15) / 16);
  int64_t max_running = 0;
  expect_concurrent_equals_serial(8, max_tokens, n_blocks, &max_running);
  if (!n_seq) {
    EXPECT_GT(stats_.n_preemptions, 0);
  }
  std::printf(
      "max_tokens %lld, pool %lld blocks: preemptions %lld, steps %lld, max running %lld; "
      "8 serial runs %.1f s, 8 concurrent %.1f s\n",
      static_cast<long long>(max_tokens), static_cast<long long>(n_blocks),
      static_cast<long long>(stats_.n_preemptions), static_cast<long long>(stats_.n_steps),
      static_cast<long long>(max_running), serial_s_, concurrent_s_);
}

}  // namespace
}  // namespace junction
