// ScoringBackend over the engine in this process: a model opened like every command opens one
// (session/open_model.h: HF folder, GGUF file or pulled name). For tests (the fixture numbers
// without a server) and `junction eval --model-path`. Generation goes through one engine loop,
// as the server's does: concurrent calls (the runner's --concurrency) are batched into the same
// forward passes, and the k samples of one problem share its prompt's KV blocks through the
// prefix cache, which is what makes sampled math tasks (k = 16 per problem) affordable on a CPU.
// Scoring runs the whole context + continuation through a fresh KV cache (Sequence::feed):
// simple and exact; it needs the backend to itself, so it waits for running generations and
// stops the loop (the backend is the engine thread's while a loop runs).
#pragma once

#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>

#include "engine/engine_loop.h"
#include "eval/scoring_backend.h"
#include "session/open_model.h"

namespace junction::eval {

class LocalEngineBackend : public ScoringBackend {
 public:
  // `model`: a Hugging Face folder, GGUF file or pulled model name. n_threads 0: every core.
  // max_sequences: generations batched together (the runner's concurrency).
  LocalEngineBackend(const std::string& model, int n_threads, const std::string& isa = "",
                     int max_sequences = 1);
  ~LocalEngineBackend() override;

  std::string endpoint() const override { return "local:" + model_name_; }
  std::vector<int32_t> tokenize(const std::string& text) override;
  int32_t prefix_token() override;
  std::vector<TokenScore> score(std::span<const int32_t> context,
                                std::span<const int32_t> continuation) override;
  Generation complete(const std::string& prompt, const GenerationParams& params) override;
  Generation chat(const std::vector<ChatMessage>& messages,
                  const GenerationParams& params) override;

  const tokenizer::Tokenizer& tokenizer() const { return *model_.tokenizer; }
  // The end-of-sequence ids generation stops on.
  const std::vector<int32_t>& eos_ids() const { return model_.eos_ids; }

 private:
  Generation generate_from(const std::vector<int32_t>& prompt, bool starts_in_reasoning,
                           const GenerationParams& params);

  // The loop, started by the first generation after a start or a scoring call.
  EngineLoop& engine();

  std::string model_name_;  // as given
  int max_sequences_;
  std::optional<uint64_t> available_bytes_;  // memory before the weights loaded
  session::OpenModel model_;
  // Generations hold it shared, scoring exclusively: the backend serves one of them at a time.
  std::shared_mutex backend_mutex_;
  std::mutex engine_mutex_;  // guards engine_ among generations
  std::unique_ptr<EngineLoop> engine_;
};

}  // namespace junction::eval
