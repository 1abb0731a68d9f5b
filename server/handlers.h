// The OpenAI, Anthropic Messages and vLLM endpoints, one function per route. Each parses its
// request (throwing ApiError on bad input), talks to the engine only through a ChoiceLoop, and
// answers through the HttpResponder. routes.cc maps paths to them and turns ApiError into error
// responses.
#pragma once

#include "http/http_server.h"
#include "server/serving_context.h"

namespace junction::server {

void handle_chat_completions(const ServingContext& context, const http::HttpRequest& request,
                             http::HttpResponder& out);
void handle_completions(const ServingContext& context, const http::HttpRequest& request,
                        http::HttpResponder& out);
// The Anthropic Messages API over the chat path (anthropic_messages.cc).
void handle_messages(const ServingContext& context, const http::HttpRequest& request,
                     http::HttpResponder& out);
void handle_count_tokens(const ServingContext& context, const http::HttpRequest& request,
                         http::HttpResponder& out);
// OpenAI's Responses API over the chat path (responses.cc).
void handle_responses(const ServingContext& context, const http::HttpRequest& request,
                      http::HttpResponder& out);
void handle_tokenize(const ServingContext& context, const http::HttpRequest& request,
                     http::HttpResponder& out);
void handle_detokenize(const ServingContext& context, const http::HttpRequest& request,
                       http::HttpResponder& out);

// Shared by the handlers: 404 model_not_found unless `model` is the served name.
void check_model(const ServingContext& context, const std::string& model);

}  // namespace junction::server
