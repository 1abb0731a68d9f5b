// POST /v1/responses through the gateway: OpenAI's Responses API over the one chat path. The
// body becomes a chat request (api/responses_request.h) after the conversation
// previous_response_id names (kept in the store, Store::put_response, so every replica on the
// database and a restarted gateway find it; readable only by the key that made it, bounded by
// config.responses), is served by handle_completion like any chat request (rights, rate limits, the
// reservation, routing to any dialect, the settle: one money path), and an
// api::ResponsesResponder renders its answer or stream as a response.
#pragma once

#include "gateway/gateway_state.h"
#include "gateway/store.h"
#include "http/http_server.h"

namespace junction::gateway {

void handle_responses(GatewayState& g, const http::HttpRequest& req, http::HttpResponder& res,
                      const ApiKeyRecord& key);

}  // namespace junction::gateway
