// One streamed request to an OpenAI-compatible endpoint, timed: sends /v1/completions or
// /v1/chat/completions with "stream": true and stream_options.include_usage, stamps each SSE
// line that carries text as it arrives, and reads the token counts from the final usage chunk
// (falling back to the number of text chunks when the server sends no usage).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "compare/bench_stats.h"
#include "http/http_client.h"

namespace junction::compare {

struct BenchEndpoint {
  std::string base_url;             // http://host:port, any trailing "/v1" or "/" removed
  std::string model;                // sent as "model"
  std::string api = "completions";  // or "chat"
  std::string api_key;              // Bearer token; empty: none
  bool ignore_eos = true;           // vLLM's extension: outputs run to max_tokens
};

// "http://h:8080/v1/" -> "http://h:8080".
std::string strip_base_url(std::string url);

// The JSON body of one benchmark request.
std::string bench_request_body(const BenchEndpoint& e, const std::string& prompt,
                               int64_t max_tokens);

// Sends one request on `client` and records it; failures (network, HTTP status, an error event,
// no text at all) come back as ok = false with the reason, never as exceptions.
RequestRecord send_bench_request(http::HttpClient& client, const BenchEndpoint& e,
                                 const std::string& prompt, int64_t max_tokens);

}  // namespace junction::compare
