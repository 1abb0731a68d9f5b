// POST /v1/chat/completions and /v1/completions through the gateway: the retry loop over the
// request path's steps, each returning data: admission (admission.h: shape, rights, model,
// capabilities, the worst case), the reservation (reservation.h), one upstream attempt per
// deployment (upstream_attempt.h) whose outcome decide() (attempt_outcome.h) turns into the
// next step, the answer rewrite (answer_rewrite.h), then the settle before the answer's last
// bytes. The stream contract is in gateway/README.md.
#pragma once

#include "gateway/gateway_state.h"
#include "gateway/store.h"
#include "http/http_server.h"

namespace junction::gateway {

void handle_completion(GatewayState& g, const http::HttpRequest& req, http::HttpResponder& res,
                       const ApiKeyRecord& key, bool chat);

}  // namespace junction::gateway
