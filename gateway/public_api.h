// What a client key may ask besides completions: GET /v1/models (the models this key may use,
// with prices per token and context length, in OpenRouter's shape) and GET /v1/generation?id=
// (one of this key's usage records).
#pragma once

#include "gateway/gateway_state.h"
#include "http/http_server.h"

namespace junction::gateway {

void handle_models(GatewayState& g, const http::HttpRequest& req, http::HttpResponder& res,
                   const ApiKeyRecord& key);
void handle_generation(GatewayState& g, const http::HttpRequest& req, http::HttpResponder& res,
                       const ApiKeyRecord& key);

// Query parameter `name` (URL-decoded) or "".
std::string query_param(const std::string& query, const std::string& name);

// A usage record as JSON (admin usage listing and /v1/generation).
std::string usage_json(const UsageRecord& u);

}  // namespace junction::gateway
