// One upstream attempt: the request POSTed to one deployment, its answer judged and, for a
// stream, relayed to the client event by event (rewritten, answer_rewrite.h) until it ends.
// Returns what happened as an AttemptOutcome (attempt_outcome.h) and never throws for what an
// upstream or a client does: network errors, broken answers, refusals, a stream cut short or
// past its bounds, a client that left are all outcomes. It records the attempt in the
// deployment's health and the metrics, and writes nothing that ends the answer: settling and
// the last bytes (the whole body, the usage chunk and [DONE], an error event) are the retry
// loop's (completion_proxy.cc), which settles first.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "gateway/attempt_outcome.h"
#include "gateway/gateway_state.h"
#include "gateway/request_shape.h"
#include "gateway/reservation_size.h"
#include "http/http_server.h"

namespace junction::gateway {

// What every attempt of one request shares.
struct AttemptRequest {
  std::string request_id;  // "gen-..."
  int64_t created_s = 0;   // Unix s
  int64_t t0_ms = 0;       // monotonic ms the request was received
  bool chat = true;
  std::string route;  // x-junction-route; empty: none
  const RequestShape* shape = nullptr;
  const ReservationSize* size = nullptr;
};

// The headers of every completion answer: x-request-id, x-junction-provider ("none" before one
// answered), x-junction-route when `model: "auto"` or a pool chose.
std::vector<std::pair<std::string, std::string>> answer_headers(const std::string& request_id,
                                                                const std::string& provider,
                                                                const std::string& route);

// The upstream path for `d`: Anthropic's Messages API, else chat or text completions.
const char* upstream_path(const Deployment& d, bool chat);

// The body sent to `d`: the client's (`body_text`, parsed as `body`) with the model and the
// reserved bound written in, or its Anthropic Messages translation with max_tokens at most
// what was reserved. Throws http::ApiError(400) for what cannot be translated.
std::string upstream_request_body(const Deployment& d, std::string_view body_text,
                                  const nlohmann::json& body, const RequestShape& shape,
                                  const ReservationSize& size);

// One POST of `body` to `d`; the deployment's health must have been begun (health->begin).
AttemptOutcome run_upstream_attempt(GatewayState& g, http::HttpResponder& res,
                                    const AttemptRequest& request, Deployment& d,
                                    const std::string& body);

}  // namespace junction::gateway
