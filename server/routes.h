// Maps method + path to a handler, checks the API key, and turns every ApiError (and any
// unexpected exception) into an OpenAI-style error response, 429s with Retry-After.
#pragma once

#include "http/http_server.h"
#include "server/serving_context.h"

namespace junction::server {

// The HttpHandler of `junction serve`; `context` must outlive the returned function.
http::HttpHandler make_router(const ServingContext& context);

}  // namespace junction::server
