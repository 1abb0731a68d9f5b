// POST /v1/messages through the gateway: the Anthropic Messages API over the one chat path. The
// body becomes a chat request (api/messages_request.h) that handle_completion serves like any
// other (the key's rights, rate limits, the reservation, routing to any dialect, the settle:
// one money path), with an api::MessagesResponder turning its answer, stream and errors into
// the Messages shapes. POST /v1/messages/count_tokens is passed to the model's first
// deployment's own count_tokens (junction engines and Anthropic serve it): the gateway holds no
// tokenizer.
#pragma once

#include "gateway/gateway_state.h"
#include "gateway/store.h"
#include "http/http_server.h"

namespace junction::gateway {

void handle_messages(GatewayState& g, const http::HttpRequest& req, http::HttpResponder& res,
                     const ApiKeyRecord& key);
void handle_count_tokens(GatewayState& g, const http::HttpRequest& req, http::HttpResponder& res,
                         const ApiKeyRecord& key);

}  // namespace junction::gateway
