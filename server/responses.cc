// POST /v1/responses: OpenAI's Responses API over the chat path. The body becomes a chat
// request (api/responses_request.h) after the conversation previous_response_id names (kept in
// the ServingContext's ResponseStore), runs through handle_chat_completions as a chat request
// does, and an api::ResponsesResponder renders the answer or stream as a response; a stored
// response (`store`, true by default) keeps its conversation for the next.
#include "api/responses_request.h"
#include "api/responses_responder.h"
#include "api/responses_response.h"
#include "http/api_error.h"
#include "server/handlers.h"
#include "server/openai_response.h"

namespace junction::server {

void handle_responses(const ServingContext& c, const http::HttpRequest& http,
                      http::HttpResponder& out) {
  const api::ResponsesRequest req = api::parse_responses_request(http.body);
  Json history = Json::array();
  if (!req.previous_response_id.empty()) {
    auto stored = c.responses.get(req.previous_response_id, "");
    if (!stored)
      throw http::ApiError(
          400, "Previous response with id '" + req.previous_response_id + "' not found.",
          "invalid_request_error", "previous_response_id", "previous_response_not_found");
    history = std::move(*stored);
  }
  api::ResponsesChat chat = api::chat_request_from_responses(req, history);
  http::HttpRequest inner = http;
  inner.path = "/v1/chat/completions";
  inner.body = dump(chat.chat);
  api::ResponsesResponder responses(out, req.body, [&](const Json& response) {
    if (!req.store) return;
    Json conversation = chat.conversation;
    conversation.push_back(api::assistant_message_from_output(response["output"]));
    c.responses.put(response["id"].get<std::string>(), "", std::move(conversation));
  });
  handle_chat_completions(c, inner, responses);
}

}  // namespace junction::server
