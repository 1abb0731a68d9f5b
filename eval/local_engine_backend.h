// ScoringBackend over the engine in this process: a Model, its Tokenizer and the CPU backend.
// For tests (the fixture numbers without a server) and `junction eval --model-path`. Calls are
// serialized by a mutex (the thread pool already spreads one forward pass over every core).
// Each scored request runs the whole context + continuation through a fresh KV cache: simple
// and exact; a shared-prefix cache would save the repeated context work.
#pragma once

#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "chat/chat_template.h"
#include "core/thread_pool.h"
#include "eval/scoring_backend.h"
#include "kernels/ops.h"
#include "model/model.h"
#include "tokenizer/tokenizer.h"

namespace junction::eval {

class LocalEngineBackend : public ScoringBackend {
 public:
  // `model_path`: a Hugging Face folder (or GGUF file with its tokenizer metadata).
  LocalEngineBackend(const std::string& model_path, int n_threads);
  ~LocalEngineBackend() override;

  std::string endpoint() const override { return "local:" + model_path_; }
  std::vector<int32_t> tokenize(const std::string& text) override;
  int32_t prefix_token() override;
  std::vector<TokenScore> score(std::span<const int32_t> context,
                                std::span<const int32_t> continuation) override;
  Generation complete(const std::string& prompt, const GenerationParams& params) override;
  Generation chat(const std::vector<ChatMessage>& messages,
                  const GenerationParams& params) override;

  const tokenizer::Tokenizer& tokenizer() const { return *tokenizer_; }

 private:
  Generation generate_from(const std::vector<int32_t>& prompt, const GenerationParams& params);

  std::string model_path_;
  std::unique_ptr<Model> model_;
  std::unique_ptr<tokenizer::Tokenizer> tokenizer_;
  std::unique_ptr<ThreadPool> pool_;
  std::unique_ptr<kernels::Backend> backend_;
  std::unique_ptr<chat::ChatTemplate> chat_template_;  // null when the model has none
  std::mutex mutex_;                                   // one forward pass at a time
};

}  // namespace junction::eval
