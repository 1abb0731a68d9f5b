// What a sampled run will spend, before and while it runs: the token estimate printed before the
// first request (prompts at ~4 characters a token plus the chat template's few, and every
// generation at its --max-gen-tokens: an upper bound, since a reasoning model may use all of
// it), its worst-case cost where the endpoint's prices are known (a gateway's GET /v1/models in
// OpenRouter's shape, or --price-input/--price-output), and the cap --max-cost puts on it: each
// request reserves its worst case before it is sent and settles at its usage after, so the
// money spent never passes the cap however many requests are in flight. Pure: no I/O.
#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

namespace junction::eval {

struct TokenPrice {
  double input_per_mtok = 0;   // USD per million prompt tokens
  double output_per_mtok = 0;  // USD per million completion tokens
};

// USD for the given usage.
double cost_usd(const TokenPrice& price, int64_t prompt_tokens, int64_t completion_tokens);

// A prompt's tokens as estimated without a tokenizer: ceil(chars / 4) + 8 for the template.
int64_t estimate_prompt_tokens(int64_t prompt_chars);
// A bound no tokenizer exceeds (a token covers at least one byte) plus the template's: what a
// request reserves against the cap.
int64_t prompt_tokens_upper_bound(int64_t prompt_chars);

// `model`'s price from a GET /v1/models answer whose entries carry OpenRouter's "pricing"
// ({"prompt": "0.0000006", "completion": ...}, USD per token, text or number); nullopt when the
// model or its pricing is not there or is not a finite price >= 0.
std::optional<TokenPrice> price_from_models_listing(const nlohmann::ordered_json& models,
                                                    const std::string& model);

// The running spend against an optional cap. Thread-safe.
class CostCap {
 public:
  CostCap(std::optional<TokenPrice> price, std::optional<double> max_usd)
      : price_(price), max_usd_(max_usd) {}

  // Reserves the worst case of one request; false (nothing reserved) when that could pass the
  // cap. Always true without a cap or a price.
  bool reserve(int64_t max_prompt_tokens, int64_t max_completion_tokens);
  // Releases a reservation (the same arguments) and adds the request's real cost.
  void settle(int64_t max_prompt_tokens, int64_t max_completion_tokens, int64_t prompt_tokens,
              int64_t completion_tokens);
  double spent_usd() const;
  bool has_price() const { return price_.has_value(); }

 private:
  std::optional<TokenPrice> price_;
  std::optional<double> max_usd_;
  mutable std::mutex mutex_;
  double spent_ = 0, reserved_ = 0;  // USD
};

}  // namespace junction::eval
