// Everything a request handler needs, built once by `junction serve`: the model's metadata,
// its tokenizer and chat template (either may be absent: then only token-id prompts work), the
// engine loop to submit to, and metrics. Immutable after start-up except the engine, metrics and
// the stored responses, which are thread-safe.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "api/response_store.h"
#include "chat/chat_template.h"
#include "engine/engine_loop.h"
#include "engine/json_constraint.h"
#include "engine/sampler.h"
#include "server/metrics.h"
#include "tokenizer/tokenizer.h"

namespace junction::server {

// Sampling defaults: the model's generation_config, overridden by serve's flags.
struct SamplingDefaults {
  float temperature = 1.0f, top_p = 1.0f, min_p = 0.0f, repetition_penalty = 1.0f;
  int64_t top_k = 0;
};

struct ServingContext {
  std::string model_name;  // what /v1/models lists and requests must name
  std::string api_key;     // empty: no authentication
  std::string
      reports_dir;      // --reports-dir: published at /reports/ (web/report_files.h); empty: none
  int64_t created = 0;  // unix seconds, for /v1/models
  int64_t n_ctx = 0;    // tokens of context per request (prompt + output)
  int64_t vocab_size = 0;  // the model's logits width
  std::vector<int32_t> eos_ids;
  SamplingDefaults defaults;
  const tokenizer::Tokenizer* tokenizer = nullptr;
  const chat::ChatTemplate* chat_template = nullptr;
  std::shared_ptr<const TokenTexts>
      token_texts;  // for constrained decoding; null without tokenizer
  EngineLoop* engine = nullptr;
  Metrics* metrics = nullptr;
  // The Responses API's conversations for previous_response_id (thread-safe, bounded).
  mutable api::ResponseStore responses;
  std::atomic<bool> ready{false};
  std::atomic<bool> draining{false};
};

}  // namespace junction::server
