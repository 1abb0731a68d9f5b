#include "eval/endpoint_pool.h"

#include "core/error.h"

namespace junction::eval {

EndpointPool::EndpointPool(std::vector<std::unique_ptr<ScoringBackend>> endpoints)
    : endpoints_(std::move(endpoints)),
      in_flight_(endpoints_.size(), 0),
      served_(endpoints_.size(), 0) {
  if (endpoints_.empty()) throw Error("an endpoint pool needs at least one endpoint");
}

std::string EndpointPool::endpoint() const {
  std::string out;
  for (const auto& e : endpoints_) out += (out.empty() ? "" : ",") + e->endpoint();
  return out;
}

std::vector<int32_t> EndpointPool::tokenize(const std::string& text) {
  return endpoints_.front()->tokenize(text);
}

int32_t EndpointPool::prefix_token() {
  return endpoints_.front()->prefix_token();
}

std::vector<TokenScore> EndpointPool::score(std::span<const int32_t> context,
                                            std::span<const int32_t> continuation) {
  return endpoints_.front()->score(context, continuation);
}

size_t EndpointPool::acquire() {
  std::lock_guard<std::mutex> lock(mutex_);
  size_t best = 0;
  for (size_t i = 1; i < endpoints_.size(); ++i)
    if (in_flight_[i] < in_flight_[best]) best = i;
  ++in_flight_[best];
  return best;
}

void EndpointPool::release(size_t i) {
  std::lock_guard<std::mutex> lock(mutex_);
  --in_flight_[i];
  ++served_[i];
}

Generation EndpointPool::complete(const std::string& prompt, const GenerationParams& params) {
  const size_t i = acquire();
  try {
    Generation g = endpoints_[i]->complete(prompt, params);
    release(i);
    return g;
  } catch (...) {
    release(i);
    throw;
  }
}

Generation EndpointPool::chat(const std::vector<ChatMessage>& messages,
                              const GenerationParams& params) {
  const size_t i = acquire();
  try {
    Generation g = endpoints_[i]->chat(messages, params);
    release(i);
    return g;
  } catch (...) {
    release(i);
    throw;
  }
}

std::vector<int64_t> EndpointPool::requests_served() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return served_;
}

}  // namespace junction::eval
