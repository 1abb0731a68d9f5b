#include "gateway/messages_api.h"

#include "api/messages_request.h"
#include "api/messages_responder.h"
#include "gateway/completion_proxy.h"
#include "http/api_error.h"

namespace junction::gateway {

void handle_messages(GatewayState& g, const http::HttpRequest& req, http::HttpResponder& res,
                     const ApiKeyRecord& key) {
  http::HttpRequest chat = req;
  chat.path = "/v1/chat/completions";
  chat.body = api::parse_messages_request(req.body, api::MessagesEndpoint::kMessages)
                  .dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
  // What handle_completion throws (refused before anything was written: rights, rate limits,
  // credit) the gateway's handler answers in the Messages shape for this path.
  api::MessagesResponder messages(res);
  handle_completion(g, chat, messages, key, /*chat=*/true);
}

}  // namespace junction::gateway
