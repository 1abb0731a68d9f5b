// POST /v1/messages and /v1/messages/count_tokens: the Anthropic Messages API over the chat
// path. The body becomes a chat request (api/messages_request.h), which runs through
// handle_chat_completions exactly as a chat request does (same template, engine run and usage),
// with an api::MessagesResponder turning its answer, stream and errors into the Messages shapes.
// count_tokens sets the chat request up the same way and answers the prompt's length, so it
// equals the input_tokens a /v1/messages call with that body is charged.
#include "api/messages_request.h"
#include "api/messages_responder.h"
#include "server/generation_setup.h"
#include "server/handlers.h"
#include "server/openai_request.h"
#include "server/openai_response.h"

namespace junction::server {
namespace {

// Anthropic's `thinking` asks a reasoning model to think or not: with chat templates that is
// enable_thinking (Qwen3's, DeepSeek's and others' name for it). Without `thinking` the
// template's default stands.
void thinking_to_template(Json& chat) {
  auto it = chat.find("thinking");
  if (it == chat.end()) return;
  const bool enable = (*it)["type"] != "disabled";
  chat["chat_template_kwargs"] = {{"enable_thinking", enable}};
  chat.erase("thinking");
}

http::HttpRequest as_chat_request(const http::HttpRequest& http, api::MessagesEndpoint endpoint) {
  Json chat = api::parse_messages_request(http.body, endpoint);
  thinking_to_template(chat);
  http::HttpRequest inner = http;
  inner.path = "/v1/chat/completions";
  inner.body = dump(chat);
  return inner;
}

}  // namespace

void handle_messages(const ServingContext& c, const http::HttpRequest& http,
                     http::HttpResponder& out) {
  const http::HttpRequest chat = as_chat_request(http, api::MessagesEndpoint::kMessages);
  api::MessagesResponder messages(out);
  handle_chat_completions(c, chat, messages);
}

void handle_count_tokens(const ServingContext& c, const http::HttpRequest& http,
                         http::HttpResponder& out) {
  const http::HttpRequest chat = as_chat_request(http, api::MessagesEndpoint::kCountTokens);
  const ChatRequest req = parse_chat_request(chat.body);
  check_model(c, req.options.model);
  const ChatSetup setup = setup_chat(c, req);
  out.send(200, "application/json",
           dump(Json{{"input_tokens", static_cast<int64_t>(setup.prompt.size())}}));
}

}  // namespace junction::server
