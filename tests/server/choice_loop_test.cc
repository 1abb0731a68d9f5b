// The loop both OpenAI endpoints run their choices through, on the fixture model with no
// tokenizer (so only tokens arrive, no text): every choice runs to its end and the totals add
// up, a client that goes away cancels every choice and counts an abort, a rejected submit
// cancels the choices before it, and a stream ends with its usage chunk and [DONE].
#include "server/choice_run.h"

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <thread>

#include "core/thread_pool.h"
#include "http/api_error.h"
#include "http/sse.h"

namespace junction::server {
namespace {

const std::string kModel = std::string(JUNCTION_TEST_DATA) + "/models/qwen3-e2e-bf16";

struct FakeResponder : http::HttpResponder {
  std::vector<std::string> writes;
  bool closed = false, ended = false;
  void send(int, std::string_view, std::string,
            const std::vector<std::pair<std::string, std::string>>&) override {}
  bool start_stream(int, std::string_view,
                    const std::vector<std::pair<std::string, std::string>>&) override {
    return !closed;
  }
  bool write(std::string_view data) override {
    writes.emplace_back(data);
    return !closed;
  }
  void end() override { ended = true; }
  bool peer_closed() override { return closed; }
};

EngineRequest request(int64_t max_tokens) {
  EngineRequest r;
  r.prompt = {100, 200, 300, 400};
  r.max_tokens = max_tokens;
  r.sampling.temperature = 0;
  r.ignore_eos = true;
  return r;
}

class ChoiceLoopTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { model_ = Model::load(kModel).release(); }
  static void TearDownTestSuite() { delete model_; }

  void SetUp() override {
    EngineOptions o;
    o.scheduler.max_running = 4;
    o.scheduler.n_blocks = 8;  // 128 tokens: a request of more is rejected at submit
    o.scheduler.block_size = 16;
    o.scheduler.step_token_budget = 64;
    engine_ = std::make_unique<EngineLoop>(*model_, *backend_, o);
    context_.n_ctx = 128;
    context_.vocab_size = model_->config().vocab_size;
    context_.engine = engine_.get();
    context_.metrics = &metrics_;
  }

  void wait_idle() {
    for (int i = 0; i < 1000 && !(engine_->idle() && engine_->stats().n_used_blocks == 0); ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }

  static inline Model* model_ = nullptr;
  ThreadPool pool_{2};
  std::unique_ptr<kernels::Backend> backend_ = kernels::make_cpu_backend(pool_);
  std::unique_ptr<EngineLoop> engine_;
  Metrics metrics_{"m"};
  ServingContext context_;
  GenerationOptions options_;
  FakeResponder out_;
};

TEST_F(ChoiceLoopTest, EveryChoiceRunsToItsEndAndTheTotalsAddUp) {
  ChoiceLoop loop(context_, options_, std::chrono::steady_clock::now());
  loop.submit(request(3), false);
  loop.submit(request(5), false);
  std::vector<size_t> tokens(2);
  const bool finished = loop.run(out_, 8, [&](size_t i, ChoiceRun::Progress& p) {
    tokens[i] += p.tokens.size();
    return true;
  });
  EXPECT_TRUE(finished);
  EXPECT_EQ(tokens, (std::vector<size_t>{3, 5}));
  EXPECT_EQ(loop[0].finish_reason(), "length");
  EXPECT_EQ(loop[1].finish_reason(), "length");
  EXPECT_EQ(loop.n_generated(), 8);
  EXPECT_FALSE(loop.engine_failed(out_, true));
  EXPECT_TRUE(out_.writes.empty());
}

TEST_F(ChoiceLoopTest, AClientThatGoesAwayCancelsEveryChoiceAndCountsAnAbort) {
  ChoiceLoop loop(context_, options_, std::chrono::steady_clock::now());
  loop.submit(request(100), false);
  loop.submit(request(100), false);
  const bool finished = loop.run(out_, 8, [&](size_t, ChoiceRun::Progress& p) {
    if (!p.tokens.empty()) out_.closed = true;
    return true;
  });
  EXPECT_FALSE(finished);
  wait_idle();
  EXPECT_TRUE(engine_->idle());
  EXPECT_NE(metrics_.render(engine_->stats()).find("finished_reason=\"abort\"} 1"),
            std::string::npos);
}

TEST_F(ChoiceLoopTest, ARejectedSubmitCancelsTheChoicesBeforeIt) {
  ChoiceLoop loop(context_, options_, std::chrono::steady_clock::now());
  loop.submit(request(100), false);
  try {
    loop.submit(request(1000), false);
    ADD_FAILURE() << "a request larger than the KV cache was accepted";
  } catch (const http::ApiError& e) {
    EXPECT_EQ(e.status, 400);
    EXPECT_EQ(e.code, "context_length_exceeded");
  }
  ASSERT_EQ(loop.size(), 1u);
  loop.run(out_, 4, [](size_t, ChoiceRun::Progress&) { return true; });
  EXPECT_EQ(loop[0].finish_reason(), "cancelled");
  EXPECT_LT(loop.n_generated(), 100);
}

TEST_F(ChoiceLoopTest, ChoicesBeyondThePoolArePreemptedAndStillGiveTheirWholeAnswer) {
  // 4 greedy choices of 4 + 100 tokens (7 blocks each) share 8 blocks: admitted together, the
  // newest are preempted and recomputed. Same prompt, greedy: every answer equals a lone one.
  std::vector<int32_t> alone;
  {
    ChoiceLoop loop(context_, options_, std::chrono::steady_clock::now());
    loop.submit(request(100), false);
    loop.run(out_, 4, [&](size_t, ChoiceRun::Progress& p) {
      for (const auto& t : p.tokens) alone.push_back(t.token);
      return true;
    });
  }
  ASSERT_EQ(alone.size(), 100u);
  ChoiceLoop loop(context_, options_, std::chrono::steady_clock::now());
  for (int i = 0; i < 4; ++i) loop.submit(request(100), false);
  std::vector<std::vector<int32_t>> got(4);
  EXPECT_TRUE(loop.run(out_, 4, [&](size_t i, ChoiceRun::Progress& p) {
    for (const auto& t : p.tokens) got[i].push_back(t.token);
    return true;
  }));
  for (size_t i = 0; i < 4; ++i) {
    EXPECT_EQ(loop[i].finish_reason(), "length") << i;
    EXPECT_EQ(got[i], alone) << i;
  }
  EXPECT_GT(engine_->stats().n_preemptions, 0);
  const std::string text = metrics_.render(engine_->stats());
  EXPECT_NE(text.find("vllm:num_preemptions_total{model_name=\"m\"} " +
                      std::to_string(engine_->stats().n_preemptions)),
            std::string::npos);
}

TEST_F(ChoiceLoopTest, AStreamEndsWithItsUsageChunkThenDone) {
  ChoiceLoop::end_stream(out_, Json{{"usage", 1}});
  ChoiceLoop::end_stream(out_, std::nullopt);
  EXPECT_EQ(out_.writes,
            (std::vector<std::string>{"data: {\"usage\":1}\n\n", std::string(http::kSseDone),
                                      std::string(http::kSseDone)}));
  EXPECT_TRUE(out_.ended);
}

}  // namespace
}  // namespace junction::server

namespace junction::server {
namespace {

// Speculative decoding's counts reach the response's usage (OpenAI's accepted / rejected
// prediction tokens) and /metrics (vLLM's spec_decode counters), and agree with each other.
TEST_F(ChoiceLoopTest, DraftCountsShowInUsageAndMetrics) {
  EngineOptions o;
  o.scheduler.max_running = 4;
  o.scheduler.n_blocks = 16;
  o.scheduler.block_size = 16;
  o.speculative.ngram = true;
  engine_ = std::make_unique<EngineLoop>(*model_, *backend_, o);
  context_.engine = engine_.get();
  ChoiceLoop loop(context_, options_, std::chrono::steady_clock::now());
  EngineRequest r = request(40);
  r.prompt = {100, 200, 300, 400, 100, 200, 300, 400, 100, 200};  // prompt lookup finds 300 ...
  loop.submit(std::move(r), false);
  ASSERT_TRUE(loop.run(out_, 10, [](size_t, ChoiceRun::Progress&) { return true; }));
  const PredictionTokens p = loop.prediction_tokens();
  EXPECT_GT(p.accepted + p.rejected, 0);
  const Json usage = usage_json(10, loop.n_generated(), 0, std::nullopt, p);
  EXPECT_EQ(usage["completion_tokens_details"]["accepted_prediction_tokens"], p.accepted);
  EXPECT_EQ(usage["completion_tokens_details"]["rejected_prediction_tokens"], p.rejected);
  wait_idle();
  const std::string text = metrics_.render(engine_->stats());
  EXPECT_NE(text.find("vllm:spec_decode_num_draft_tokens_total{model_name=\"m\"} " +
                      std::to_string(p.accepted + p.rejected) + "\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("vllm:spec_decode_num_accepted_tokens_total{model_name=\"m\"} " +
                      std::to_string(p.accepted) + "\n"),
            std::string::npos);
}

}  // namespace
}  // namespace junction::server
