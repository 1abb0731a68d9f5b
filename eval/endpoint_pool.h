// One ScoringBackend over several endpoints serving the same model (replicas, or the same model
// at two providers): each generation goes to the endpoint with the fewest requests in flight
// (ties: the first listed), so a slow replica takes fewer. Scoring and tokenization go to the
// first endpoint (loglikelihoods must come from one tokenizer). The runner's --concurrency
// bounds the requests in flight over all of them together.
#pragma once

#include <memory>
#include <mutex>
#include <vector>

#include "eval/scoring_backend.h"

namespace junction::eval {

class EndpointPool : public ScoringBackend {
 public:
  // Throws junction::Error for an empty list.
  explicit EndpointPool(std::vector<std::unique_ptr<ScoringBackend>> endpoints);

  // The endpoints' names joined by ","; one endpoint: its own name.
  std::string endpoint() const override;
  std::vector<int32_t> tokenize(const std::string& text) override;
  int32_t prefix_token() override;
  std::vector<TokenScore> score(std::span<const int32_t> context,
                                std::span<const int32_t> continuation) override;
  Generation complete(const std::string& prompt, const GenerationParams& params) override;
  Generation chat(const std::vector<ChatMessage>& messages,
                  const GenerationParams& params) override;

  // Requests each endpoint has answered (or failed), in list order.
  std::vector<int64_t> requests_served() const;

 private:
  // The least busy endpoint, counted in flight until the returned lease ends.
  size_t acquire();
  void release(size_t i);

  std::vector<std::unique_ptr<ScoringBackend>> endpoints_;
  mutable std::mutex mutex_;
  std::vector<int64_t> in_flight_, served_;
};

}  // namespace junction::eval
