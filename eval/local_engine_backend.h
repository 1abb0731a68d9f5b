// ScoringBackend over the engine in this process: a model opened like every command opens one
// (session/open_model.h: HF folder, GGUF file or pulled name). For tests (the fixture numbers
// without a server) and `junction eval --model-path`. Calls are serialized by a mutex (the
// thread pool already spreads one forward pass over every core). Scoring runs the whole context
// + continuation through a fresh KV cache (Sequence::feed): simple and exact; a shared-prefix
// cache would save the repeated context work. Generation goes through the engine loop, as the
// server's does.
#pragma once

#include <mutex>
#include <string>

#include "eval/scoring_backend.h"
#include "session/open_model.h"

namespace junction::eval {

class LocalEngineBackend : public ScoringBackend {
 public:
  // `model`: a Hugging Face folder, GGUF file or pulled model name. n_threads 0: every core.
  LocalEngineBackend(const std::string& model, int n_threads, const std::string& isa = "");
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
  Generation generate_from(const std::vector<int32_t>& prompt, const GenerationParams& params);

  std::string model_name_;  // as given
  session::OpenModel model_;
  std::mutex mutex_;  // one forward pass at a time
};

}  // namespace junction::eval
