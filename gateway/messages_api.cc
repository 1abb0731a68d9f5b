#include "gateway/messages_api.h"

#include "api/messages_request.h"
#include "api/messages_responder.h"
#include "gateway/admission.h"
#include "gateway/completion_proxy.h"
#include "http/api_error.h"
#include "http/http_client.h"
#include "http/json_body.h"

namespace junction::gateway {
namespace {

using Json = nlohmann::ordered_json;
using http::ApiError;

}  // namespace

void handle_messages(GatewayState& g, const http::HttpRequest& req, http::HttpResponder& res,
                     const ApiKeyRecord& key) {
  http::HttpRequest chat = req;
  chat.path = "/v1/chat/completions";
  chat.body = api::parse_messages_request(req.body, api::MessagesEndpoint::kMessages)
                  .dump(-1, ' ', false, Json::error_handler_t::replace);
  // What handle_completion throws (refused before anything was written: rights, rate limits,
  // credit) the gateway's handler answers in the Messages shape for this path.
  api::MessagesResponder messages(res);
  handle_completion(g, chat, messages, key, /*chat=*/true);
}

void handle_count_tokens(GatewayState& g, const http::HttpRequest& req, http::HttpResponder& res,
                         const ApiKeyRecord& key) {
  Json body = http::parse_json_body<Json>(req.body);
  const Json chat = api::chat_request_from_messages(body, api::MessagesEndpoint::kCountTokens);
  const std::string name = chat["model"];
  const RoutedModel* model = g.find_model(name);
  if (!model)
    throw ApiError(404, "The model '" + name + "' does not exist", "invalid_request_error", "model",
                   "model_not_found");
  if (!key_may_use(key, *model))
    throw ApiError(403, "This key may not use the model '" + model->name + "'", "permission_error",
                   "model", "model_not_allowed");
  std::string last_error = "no deployment of the model answered";
  int last_status = 503;
  for (const Deployment& d : g.deployments()) {
    if (d.model != model) continue;
    body["model"] = d.upstream_model;
    // Anthropic's base_url is the API root; an OpenAI-style one ends in /v1 (junction engines).
    const std::string path =
        d.provider->kind == "anthropic" ? "/v1/messages/count_tokens" : "/messages/count_tokens";
    try {
      auto [head, text] = g.upstream().post_json(
          *d.provider, path, body.dump(-1, ' ', false, Json::error_handler_t::replace));
      if (head.status / 100 == 2) {
        const Json answer = Json::parse(text, nullptr, /*allow_exceptions=*/false);
        if (answer.is_object() && answer.contains("input_tokens") &&
            answer["input_tokens"].is_number_integer())
          return res.send(200, "application/json",
                          Json{{"input_tokens", answer["input_tokens"]}}.dump());
        last_error = "a deployment's count_tokens answer has no input_tokens";
        last_status = 502;
        continue;
      }
      last_status =
          head.status >= 500 || head.status == 404 || head.status == 405 ? 502 : head.status;
      last_error = "a deployment answered count_tokens with HTTP " + std::to_string(head.status);
      if (last_status != 502) break;  // the request's own fault: another deployment agrees
    } catch (const http::NetworkError& e) {
      last_error = std::string("a deployment could not be reached: ") + e.what();
      last_status = 502;
    }
  }
  throw ApiError(last_status, "count_tokens failed: " + last_error,
                 last_status >= 500 ? "server_error" : "invalid_request_error");
}

}  // namespace junction::gateway
