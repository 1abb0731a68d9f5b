// The harness against lm-evaluation-harness's numbers, computed with transformers on the
// qwen3-e2e fixture model (tests/data/eval/qwen3-e2e-loglikelihood.json, see
// tests/data/eval/SOURCE.md): the tasks build the same context strings from the dataset files,
// and both backends reproduce every context token count, continuation token, loglikelihood
// (1e-3), is_greedy, acc, acc_norm and mc2: the engine in process, and `junction serve` on a
// free loopback port over HTTP (/v1/completions with echo and prompt logprobs), tokenizing
// through the server's /tokenize or the model's tokenizer.json.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "eval/local_engine_backend.h"
#include "eval/openai_completions_backend.h"
#include "eval/tasks/multiple_choice_tasks.h"
#include "tests/support/serve_process.h"

namespace junction::eval {
namespace {

const std::string kData = std::string(JUNCTION_TEST_DATA) + "/eval/datasets";
const std::string kFixture = std::string(JUNCTION_TEST_DATA) + "/eval/qwen3-e2e-loglikelihood.json";
const std::string kModel = std::string(JUNCTION_TEST_DATA) + "/models/qwen3-e2e-bf16";

nlohmann::json load_fixture() {
  std::ifstream in(kFixture);
  return nlohmann::json::parse(in);
}

// The documents in the fixture's order: MMLU (5-shot), ARC-Challenge (3-shot), TruthfulQA mc2,
// HellaSwag (0-shot, text format).
std::vector<MultipleChoiceDoc> fixture_docs() {
  std::vector<MultipleChoiceDoc> docs;
  for (auto task : {load_mmlu(kData, 5), load_arc(kData, true, 3), load_truthfulqa_mc2(kData, 0),
                    load_hellaswag(kData, 0)})
    docs.insert(docs.end(), task.docs.begin(), task.docs.end());
  return docs;
}

TEST(EvalFixture, ContextStringsMatchLmEval) {
  const auto fixture = load_fixture();
  const auto docs = fixture_docs();
  ASSERT_EQ(docs.size(), fixture["items"].size());
  for (size_t i = 0; i < docs.size(); ++i) {
    const auto& item = fixture["items"][i];
    SCOPED_TRACE(item["task"].get<std::string>() + " #" + std::to_string(i));
    EXPECT_EQ(docs[i].context, item["context"].get<std::string>());
    ASSERT_EQ(docs[i].choices.size(), item["continuations"].size());
    for (size_t c = 0; c < docs[i].choices.size(); ++c)
      EXPECT_EQ(continuation(docs[i], c), item["continuations"][c].get<std::string>());
    if (item.contains("labels")) {
      EXPECT_EQ(docs[i].mc2_labels, item["labels"].get<std::vector<int>>());
    } else {
      EXPECT_EQ(docs[i].gold, item["gold"].get<int>());
    }
    if (item.contains("id")) {
      EXPECT_EQ(docs[i].doc_id, item["id"].get<std::string>());
    }
  }
}

// Every number of the fixture from `backend`.
void check_against_fixture(ScoringBackend& backend) {
  const auto fixture = load_fixture();
  const auto docs = fixture_docs();
  ASSERT_EQ(docs.size(), fixture["items"].size());
  for (size_t i = 0; i < docs.size(); ++i) {
    const auto& item = fixture["items"][i];
    SCOPED_TRACE(item["task"].get<std::string>() + " #" + std::to_string(i));
    const MultipleChoiceResult r = score(backend, docs[i]);
    ASSERT_EQ(r.choices.size(), item["loglikelihoods"].size());
    for (size_t c = 0; c < r.choices.size(); ++c) {
      EXPECT_EQ(r.choices[c].context_tokens, item["context_token_count"][c].get<int64_t>());
      EXPECT_EQ(r.choices[c].continuation_tokens,
                item["continuation_tokens"][c].get<std::vector<int32_t>>());
      EXPECT_NEAR(r.choices[c].logprob, item["loglikelihoods"][c].get<double>(), 1e-3);
      EXPECT_EQ(r.choices[c].is_greedy, item["is_greedy"][c].get<bool>());
    }
    if (item.contains("mc2")) {
      ASSERT_TRUE(r.mc2.has_value());
      const double want = item["mc2"].get<double>();
      EXPECT_NEAR(*r.mc2, want, 1e-2 * want + 1e-15);
    } else {
      EXPECT_EQ(*r.acc, item["acc"].get<double>());
      EXPECT_EQ(*r.acc_norm, item["acc_norm"].get<double>());
    }
  }
}

TEST(EvalFixture, LocalEngineBackendReproducesLoglikelihoods) {
  LocalEngineBackend backend(kModel, 2);
  check_against_fixture(backend);
}

// The same numbers through the server, tokenizing with its /tokenize (the path an endpoint
// without a local tokenizer takes; no fixture context is empty, so no EOS prefix is needed).
TEST(EvalFixture, ServerOverHttpReproducesLoglikelihoods) {
  const auto dir = std::filesystem::temp_directory_path() /
                   ("junction_eval_fixture_" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  testing::ServeProcess server(JUNCTION_BINARY, testing::engine_serve_args(kModel),
                               dir / "serve.log");
  ASSERT_GT(server.port(), 0) << "junction serve did not start:\n" << server.log();
  OpenAiCompletionsBackend backend({server.url() + "/v1", "qwen3-e2e-bf16", ""}, nullptr);
  backend.probe_loglikelihood();
  EXPECT_EQ(backend.echo_max_tokens(), 0);  // junction serve scores the prompt alone
  check_against_fixture(backend);
  // With the model's tokenizer.json instead (as --model-path gives it): the same token ids for
  // every context and continuation, so the scores above hold for that path too.
  OpenAiCompletionsBackend server_tokens({server.url(), "qwen3-e2e-bf16", ""}, nullptr);
  OpenAiCompletionsBackend local_tokens(
      {server.url(), "qwen3-e2e-bf16", ""},
      std::make_unique<tokenizer::Tokenizer>(tokenizer::Tokenizer::load(kModel)));
  local_tokens.probe_loglikelihood();
  for (const MultipleChoiceDoc& doc : fixture_docs()) {
    EXPECT_EQ(local_tokens.tokenize(doc.context), server_tokens.tokenize(doc.context));
    for (size_t c = 0; c < doc.choices.size(); ++c) {
      const std::string whole = doc.context + continuation(doc, c);
      EXPECT_EQ(local_tokens.tokenize(whole), server_tokens.tokenize(whole)) << whole;
    }
  }
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace junction::eval
