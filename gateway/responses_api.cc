#include "gateway/responses_api.h"

#include "api/responses_request.h"
#include "api/responses_responder.h"
#include "api/responses_response.h"
#include "gateway/completion_proxy.h"
#include "http/api_error.h"

namespace junction::gateway {

using Json = nlohmann::ordered_json;

void handle_responses(GatewayState& g, const http::HttpRequest& req, http::HttpResponder& res,
                      const ApiKeyRecord& key) {
  const api::ResponsesRequest request = api::parse_responses_request(req.body);
  Json history = Json::array();
  if (!request.previous_response_id.empty()) {
    auto stored = g.responses().get(request.previous_response_id, key.id);
    if (!stored)
      throw http::ApiError(
          400, "Previous response with id '" + request.previous_response_id + "' not found.",
          "invalid_request_error", "previous_response_id");
    history = std::move(*stored);
  }
  const api::ResponsesChat chat = api::chat_request_from_responses(request, history);
  http::HttpRequest inner = req;
  inner.path = "/v1/chat/completions";
  inner.body = chat.chat.dump(-1, ' ', false, Json::error_handler_t::replace);
  api::ResponsesResponder responses(res, request.body, [&](const Json& response) {
    if (!request.store) return;
    Json conversation = chat.conversation;
    conversation.push_back(api::assistant_message_from_output(response["output"]));
    g.responses().put(response["id"].get<std::string>(), key.id, std::move(conversation));
  });
  handle_completion(g, inner, responses, key, /*chat=*/true);
}

}  // namespace junction::gateway
