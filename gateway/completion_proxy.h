// POST /v1/chat/completions and /v1/completions through the gateway: check the key's model
// rights, rate limits and credit (reserving the worst case), route over deployments with
// retries before the first byte, pass the answer through (whole JSON, or SSE event by event)
// with `id`, `model` and `usage.cost` rewritten, then settle the charge and write the usage
// record. The stream contract is in gateway/README.md.
#pragma once

#include "gateway/gateway_state.h"
#include "gateway/store.h"
#include "http/http_server.h"

namespace junction::gateway {

void handle_completion(GatewayState& g, const http::HttpRequest& req, http::HttpResponder& res,
                       const ApiKeyRecord& key, bool chat);

}  // namespace junction::gateway
