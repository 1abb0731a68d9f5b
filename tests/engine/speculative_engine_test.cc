// Speculative decoding in the engine loop on fixture models: greedy output must equal plain
// decoding token for token (and logprob for logprob) with prompt lookup and with a draft model,
// several sequences batched together; a draft equal to the target is always accepted, a
// different one is mostly rejected and still changes nothing; a draft of another vocabulary is
// refused with a clear error.
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "core/error.h"
#include "core/thread_pool.h"
#include "engine/engine_loop.h"

namespace junction {
namespace {

const std::string kData = std::string(JUNCTION_TEST_DATA) + "/models/";

struct Result {
  std::vector<TokenEvent> tokens;
  FinishInfo finish;
};

// Prompts that repeat themselves, so prompt lookup finds something from the start; the random
// weights' output falls into loops soon after, which prompt lookup also finds.
std::vector<int32_t> prompt_of(int n, int32_t seed) {
  std::vector<int32_t> p;
  for (int i = 0; i < n; ++i) p.push_back((seed * 131 + (i % 7) * 17 + (i / 21)) % 2000 + 5);
  return p;
}

EngineRequest request(std::vector<int32_t> prompt, int64_t max_tokens, float temperature = 0) {
  EngineRequest r;
  r.prompt = std::move(prompt);
  r.max_tokens = max_tokens;
  r.sampling.temperature = temperature;
  r.sampling.seed = 7;
  r.top_logprobs = temperature > 0 ? -1 : 2;
  r.ignore_eos = true;
  return r;
}

class SpeculativeEngineTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    target_ = Model::load(kData + "qwen3-tiny-tied-f32").release();
    other_ = Model::load(kData + "llama-tiny-f16").release();
  }
  static void TearDownTestSuite() {
    delete target_;
    delete other_;
  }

  std::unique_ptr<EngineLoop> make(SpeculativeOptions spec = {}, int64_t n_blocks = 256) {
    EngineOptions o;
    o.scheduler.max_running = 4;
    o.scheduler.n_blocks = n_blocks;
    o.scheduler.block_size = 16;
    o.scheduler.step_token_budget = 64;
    o.speculative = spec;
    return std::make_unique<EngineLoop>(*target_, *backend_, o);
  }

  static std::vector<Result> run_all(EngineLoop& engine, std::vector<EngineRequest> requests) {
    std::vector<std::shared_ptr<RequestStream>> streams;
    for (auto& r : requests) {
      streams.push_back(std::make_shared<RequestStream>());
      EXPECT_EQ(engine.submit(std::move(r), streams.back()), EngineLoop::Submit::kAccepted);
    }
    std::vector<Result> out;
    for (auto& s : streams) {
      Result r;
      for (;;) {
        StreamUpdate u = s->wait(std::chrono::milliseconds(100));
        for (auto& t : u.tokens) r.tokens.push_back(std::move(t));
        if (u.finish) {
          r.finish = *u.finish;
          break;
        }
      }
      out.push_back(std::move(r));
    }
    return out;
  }

  static std::vector<EngineRequest> batch(float temperature = 0) {
    std::vector<EngineRequest> rs;
    rs.push_back(request(prompt_of(40, 1), 60, temperature));
    rs.push_back(request(prompt_of(9, 2), 45, temperature));
    rs.push_back(request(prompt_of(70, 3), 33, temperature));
    EngineRequest stops = request(prompt_of(25, 4), 50, temperature);
    stops.ignore_eos = false;
    stops.eos_ids = {stops.prompt[3]};  // a token the loops are likely to reach
    rs.push_back(std::move(stops));
    return rs;
  }

  static void expect_same(const std::vector<Result>& got, const std::vector<Result>& want) {
    ASSERT_EQ(got.size(), want.size());
    for (size_t s = 0; s < want.size(); ++s) {
      ASSERT_EQ(got[s].tokens.size(), want[s].tokens.size()) << "request " << s;
      EXPECT_EQ(got[s].finish.reason, want[s].finish.reason) << "request " << s;
      for (size_t i = 0; i < want[s].tokens.size(); ++i) {
        EXPECT_EQ(got[s].tokens[i].token, want[s].tokens[i].token) << s << " token " << i;
        EXPECT_NEAR(got[s].tokens[i].logprob, want[s].tokens[i].logprob, 1e-4) << s << " " << i;
      }
    }
  }

  static inline Model* target_ = nullptr;
  static inline Model* other_ = nullptr;
  ThreadPool pool_{2};
  std::unique_ptr<kernels::Backend> backend_ = kernels::make_cpu_backend(pool_);
};

int64_t drafted(const std::vector<Result>& rs) {
  int64_t n = 0;
  for (const auto& r : rs) n += r.finish.n_draft_tokens;
  return n;
}

int64_t accepted(const std::vector<Result>& rs) {
  int64_t n = 0;
  for (const auto& r : rs) n += r.finish.n_accepted_draft_tokens;
  return n;
}

TEST_F(SpeculativeEngineTest, PromptLookupGivesThePlainGreedyTokens) {
  const auto want = run_all(*make(), batch());
  EXPECT_EQ(drafted(want), 0);
  SpeculativeOptions spec;
  spec.ngram = true;
  auto engine = make(spec);
  const auto got = run_all(*engine, batch());
  expect_same(got, want);
  EXPECT_GT(drafted(got), 0);
  EXPECT_GT(accepted(got), 0);
  for (int i = 0; i < 100 && engine->stats().spec_draft_tokens != drafted(got); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  EXPECT_EQ(engine->stats().spec_draft_tokens, drafted(got));
  EXPECT_EQ(engine->stats().spec_accepted_tokens, accepted(got));
}

TEST_F(SpeculativeEngineTest, ADraftEqualToTheTargetIsAlwaysAccepted) {
  const auto want = run_all(*make(), batch());
  SpeculativeOptions spec;
  spec.draft_model = target_;
  const auto got = run_all(*make(spec), batch());
  expect_same(got, want);
  EXPECT_GT(drafted(got), 0);
  EXPECT_EQ(accepted(got), drafted(got));
}

TEST_F(SpeculativeEngineTest, AnotherDraftModelIsRejectedAndChangesNothing) {
  const auto want = run_all(*make(), batch());
  SpeculativeOptions spec;
  spec.draft_model = other_;
  const auto got = run_all(*make(spec), batch());
  expect_same(got, want);
  EXPECT_GT(drafted(got), 0);
  EXPECT_LT(accepted(got), drafted(got) / 2);
}

TEST_F(SpeculativeEngineTest, SampledRequestsRunToTheirLengthAndRepeatWithTheSeed) {
  SpeculativeOptions spec;
  spec.draft_model = other_;
  auto a = run_all(*make(spec), batch(0.8f));
  auto b = run_all(*make(spec), batch(0.8f));
  ASSERT_EQ(a.size(), b.size());
  EXPECT_EQ(a[0].tokens.size(), 60u);
  for (size_t s = 0; s < a.size(); ++s) {
    ASSERT_EQ(a[s].tokens.size(), b[s].tokens.size());
    for (size_t i = 0; i < a[s].tokens.size(); ++i)
      EXPECT_EQ(a[s].tokens[i].token, b[s].tokens[i].token);
  }
  spec.draft_model = target_;  // q == p: every draft kept, sampled too
  auto c = run_all(*make(spec), batch(0.8f));
  EXPECT_GT(drafted(c), 0);
  EXPECT_GT(accepted(c), drafted(c) * 95 / 100);  // up to rounding between the two paths
}

// In a pool too small for the batch (23 blocks of need, 14 blocks), sequences are preempted and
// recomputed while they draft: drafts take only free blocks, and the tokens stay those of plain
// decoding in a pool that holds everyone.
TEST_F(SpeculativeEngineTest, DraftingInAPoolThatPreemptsGivesThePlainGreedyTokens) {
  const auto want = run_all(*make(), batch());
  SpeculativeOptions spec;
  spec.ngram = true;
  auto engine = make(spec, 14);
  const auto got = run_all(*engine, batch());
  expect_same(got, want);
  EXPECT_GT(accepted(got), 0);
  for (int i = 0; i < 100 && engine->stats().spec_draft_tokens != drafted(got); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  EXPECT_GT(engine->stats().n_preemptions, 0);
}

TEST_F(SpeculativeEngineTest, ADraftOfAnotherVocabularyIsRefused) {
  const std::unique_ptr<Model> wide = Model::load(kData + "qwen3-qbase-f32");  // 4096 tokens
  SpeculativeOptions spec;
  spec.draft_model = wide.get();
  try {
    make(spec);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("vocabulary has 4096 tokens but the target's has 2048"),
              std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace junction
