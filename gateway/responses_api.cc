#include "gateway/responses_api.h"

#include <cstdio>
#include <exception>

#include "api/responses_request.h"
#include "api/responses_responder.h"
#include "api/responses_response.h"
#include "gateway/completion_proxy.h"
#include "http/api_error.h"

namespace junction::gateway {

using Json = nlohmann::ordered_json;

namespace {

ResponseRetention retention(const ResponsesConfig& c) {
  return ResponseRetention{c.max_per_key, c.max_bytes_per_key, c.ttl_s * 1000};
}

}  // namespace

void handle_responses(GatewayState& g, const http::HttpRequest& req, http::HttpResponder& res,
                      const ApiKeyRecord& key) {
  const api::ResponsesRequest request = api::parse_responses_request(req.body);
  const ResponsesConfig& kept = g.config().responses;
  Json history = Json::array();
  if (!request.previous_response_id.empty()) {
    // Unknown, forgotten, expired and another key's are one answer: OpenAI's 400, so that a
    // key cannot learn that another key's id exists.
    // Our ids are "resp_" and 24 hex digits: a longer one is unknown without asking the store
    // (and is not echoed back whole).
    const std::string& id = request.previous_response_id;
    const auto stored = id.size() > 64 ? std::nullopt
                                       : g.store().response_messages(
                                             id, key.id, g.clock().unix_ms() - kept.ttl_s * 1000);
    if (!stored)
      throw http::ApiError(400,
                           "Previous response with id '" +
                               (id.size() > 64 ? id.substr(0, 64) + "..." : id) + "' not found.",
                           "invalid_request_error", "previous_response_id",
                           "previous_response_not_found");
    history = Json::parse(*stored, nullptr, /*allow_exceptions=*/false);
    if (!history.is_array())
      throw http::ApiError(500, "The stored conversation could not be read.", "server_error");
  }
  const api::ResponsesChat chat = api::chat_request_from_responses(request, history);
  http::HttpRequest inner = req;
  inner.path = "/v1/chat/completions";
  inner.body = chat.chat.dump(-1, ' ', false, Json::error_handler_t::replace);
  // Runs before the client gets the finished response (api/responses_responder.h), so a
  // continuation sent at once, to this replica or another on the same database, finds it.
  api::ResponsesResponder responses(res, request.body, [&](const Json& response) {
    if (!request.store || kept.max_per_key == 0) return;
    Json conversation = chat.conversation;
    conversation.push_back(api::assistant_message_from_output(response["output"]));
    StoredResponse r;
    r.id = response["id"].get<std::string>();
    r.key_id = key.id;
    r.messages = conversation.dump(-1, ' ', false, Json::error_handler_t::replace);
    r.created_ms = g.clock().unix_ms();
    if (static_cast<int64_t>(r.messages.size()) > kept.max_bytes) return;
    try {
      g.store().put_response(r, retention(kept));
    } catch (const std::exception& e) {
      // The answer is paid and whole: it goes out; only its continuation is lost.
      std::fprintf(stderr,
                   "junction gateway: %s: keeping the response for previous_response_id "
                   "failed: %s\n",
                   r.id.c_str(), e.what());
    }
  });
  handle_completion(g, inner, responses, key, /*chat=*/true);
}

}  // namespace junction::gateway
