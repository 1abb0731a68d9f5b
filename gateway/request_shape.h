// What the gateway reads from an OpenAI request body before forwarding it (the body itself
// goes upstream almost untouched): the model and `models` fallbacks, OpenRouter's `provider`
// preferences, streaming and include_usage, max_tokens, and an upper bound on the prompt's
// tokens for the credit reservation. The gateway has no tokenizer (it never links the
// engine), so the bound is the prompt's UTF-8 byte count plus a per-message allowance for the
// chat template: no BPE vocabulary makes a token out of less than one byte. Pure.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "gateway/router.h"

namespace junction::gateway {

struct RequestShape {
  std::string model;                // may be empty when `models` is given
  std::vector<std::string> models;  // OpenRouter's fallback list, in order
  ProviderPreferences provider;
  bool stream = false;
  bool include_usage = false;             // stream_options.include_usage
  std::optional<int64_t> max_tokens;      // max_completion_tokens or max_tokens
  std::string max_tokens_field;           // which of the two it came from
  int64_t n = 1;                          // choices per prompt
  int64_t n_prompts = 1;                  // completions: a list of prompts answers n choices each
  int64_t prompt_tokens_upper_bound = 0;  // all prompts together
  int64_t prompt_chars = 0;  // for the fallback estimate when an upstream reports no usage
  // The gateway's extension `quality: {metric, min_score}`: the bar for `model: "auto"`
  // (quality_router.h), each part replacing the config's; never sent upstream.
  std::string quality_metric;
  std::optional<double> quality_min_score;
};

// Throws http::ApiError(400) naming the field for a malformed request.
RequestShape read_request_shape(const nlohmann::json& body, bool chat);

// The reservation's bound on the tokens of each choice, written into the body sent upstream so
// that it cannot generate more than was reserved (reservation.h).
struct TokenBound {
  int64_t max_tokens = -1;  // per choice; < 0: none
  // Add max_tokens: the client sent none and no context_length bounds the upstream.
  bool add_max_tokens = false;
};

// The body sent upstream: `model` replaced, the gateway-only fields removed, and for streams
// stream_options.include_usage forced on so the upstream reports what to charge. With a
// bound: max_tokens added as it says, and an n_predict (llama.cpp's name, which wins there over
// max_tokens) above the bound or negative (unlimited) lowered to it.
std::string upstream_body(const nlohmann::json& body, const std::string& upstream_model,
                          bool stream, const TokenBound& bound = {});
// The same edits made in the client's text (`body_text`, the JSON `body` was parsed from), the
// rest of it passed on byte for byte: cheaper than copying and dumping the tree. nullopt when
// the text has escaped or duplicated keys where an edit applies: then use upstream_body.
std::optional<std::string> upstream_body_text(std::string_view body_text,
                                              const std::string& upstream_model, bool stream,
                                              const TokenBound& bound = {});

}  // namespace junction::gateway
