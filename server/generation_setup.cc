#include "server/generation_setup.h"

#include <algorithm>
#include <random>

#include "http/api_error.h"

namespace junction::server {

EngineRequest make_engine_request(const ServingContext& c, const GenerationOptions& o,
                                  std::vector<int32_t> prompt, int choice, int64_t) {
  if (prompt.empty())
    throw http::invalid_param("prompt",
                              "The prompt is empty after tokenization: give at least one token.",
                              "empty_prompt");
  for (int32_t id : prompt)
    if (id < 0 || id >= c.vocab_size)
      throw http::invalid_param("prompt",
                                "Token id " + std::to_string(id) +
                                    " is outside the model's vocabulary of " +
                                    std::to_string(c.vocab_size) + " tokens.",
                                "invalid_token_id");
  const int64_t n_prompt = static_cast<int64_t>(prompt.size());
  const bool fits = o.max_tokens.value_or(1) == 0 ? n_prompt <= c.n_ctx : n_prompt < c.n_ctx;
  if (!fits)
    throw http::ApiError(400,
                         "This model's maximum context length is " + std::to_string(c.n_ctx) +
                             " tokens. However, your prompt resulted in " +
                             std::to_string(n_prompt) +
                             " tokens. Please reduce the length of the prompt.",
                         "invalid_request_error", "messages", "context_length_exceeded");
  EngineRequest r;
  r.max_tokens = std::min(o.max_tokens.value_or(c.n_ctx - n_prompt), c.n_ctx - n_prompt);
  r.min_tokens = std::min(o.min_tokens, r.max_tokens);
  r.prompt = std::move(prompt);
  const SamplingOverrides& s = o.sampling;
  SamplingParams& p = r.sampling;
  p.temperature = s.temperature.value_or(c.defaults.temperature);
  p.top_p = s.top_p.value_or(c.defaults.top_p);
  p.top_k = s.top_k.value_or(c.defaults.top_k);
  p.min_p = s.min_p.value_or(c.defaults.min_p);
  p.repetition_penalty = s.repetition_penalty.value_or(c.defaults.repetition_penalty);
  p.presence_penalty = s.presence_penalty;
  p.frequency_penalty = s.frequency_penalty;
  for (const auto& [id, bias] : s.logit_bias)
    if (id < c.vocab_size) p.logit_bias.emplace_back(id, bias);
  if (s.seed) {
    p.seed = *s.seed + static_cast<uint64_t>(choice);
  } else {
    std::random_device rd;
    p.seed = (static_cast<uint64_t>(rd()) << 32) | rd();
  }
  r.eos_ids = c.eos_ids;
  for (int32_t id : o.stop_token_ids) r.eos_ids.push_back(id);
  r.ignore_eos = o.ignore_eos;
  return r;
}

}  // namespace junction::server
