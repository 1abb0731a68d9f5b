#include "server/routes.h"

#include <cstdio>

#include "api/messages_error.h"
#include "http/api_error.h"
#include "server/generation_setup.h"
#include "server/handlers.h"
#include "server/openai_request.h"
#include "server/openai_response.h"
#include "web/report_files.h"
#include "web/web_ui.h"

namespace junction::server {

void check_model(const ServingContext& c, const std::string& model) {
  if (model != c.model_name)
    throw http::ApiError(
        404, "The model '" + model + "' does not exist or you do not have access to it.",
        "invalid_request_error", "model", "model_not_found");
}

void require_tokenizer(const ServingContext& c) {
  if (!c.tokenizer)
    throw http::ApiError(400, "This model has no tokenizer.", "invalid_request_error", "",
                         "no_tokenizer");
}

void handle_tokenize(const ServingContext& c, const http::HttpRequest& http,
                     http::HttpResponder& out) {
  TokenizeRequest req = parse_tokenize_request(http.body);
  require_tokenizer(c);
  std::vector<int32_t> ids;
  if (req.prompt) {
    ids = c.tokenizer->encode(*req.prompt, req.add_special_tokens);
  } else {
    if (!c.chat_template) throw no_chat_template_error(c);
    std::string text;
    try {
      text = c.chat_template->render(req.messages, Json(), req.add_generation_prompt,
                                     req.chat_template_kwargs);
    } catch (const std::exception& e) {
      throw http::ApiError(
          400, std::string("The chat template could not render these messages: ") + e.what(),
          "invalid_request_error", "messages");
    }
    ids = c.tokenizer->encode(text, req.add_special_tokens);
  }
  out.send(200, "application/json", dump(tokenize_json(ids, c.n_ctx)));
}

void handle_detokenize(const ServingContext& c, const http::HttpRequest& http,
                       http::HttpResponder& out) {
  DetokenizeRequest req = parse_detokenize_request(http.body);
  require_tokenizer(c);
  for (int32_t id : req.tokens)
    if (id >= c.vocab_size && id >= static_cast<int32_t>(c.tokenizer->vocab_size()))
      throw http::invalid_param("tokens",
                                "Token id " + std::to_string(id) + " is outside the vocabulary.",
                                "invalid_token_id");
  out.send(200, "application/json", dump(detokenize_json(c.tokenizer->decode(req.tokens, false))));
}

namespace {

bool equal_constant_time(const std::string& have, const std::string& want) {
  if (have.size() != want.size()) return false;
  unsigned diff = 0;  // constant time in the key's length
  for (size_t i = 0; i < want.size(); ++i) diff |= static_cast<unsigned char>(have[i] ^ want[i]);
  return diff == 0;
}

// "Authorization: Bearer KEY", or Anthropic's "x-api-key: KEY" (what its SDKs send).
bool authorized(const ServingContext& c, const http::HttpRequest& http) {
  if (c.api_key.empty()) return true;
  return equal_constant_time(http.header("authorization"), "Bearer " + c.api_key) ||
         equal_constant_time(http.header("x-api-key"), c.api_key);
}

// The Messages routes answer errors in Anthropic's shape, the others in OpenAI's.
bool messages_route(const http::HttpRequest& http) {
  return http.path == "/v1/messages" || http.path == "/v1/messages/count_tokens";
}

void send_error(const ServingContext& c, const http::HttpRequest& http, http::HttpResponder& out,
                const http::ApiError& e) {
  std::vector<std::pair<std::string, std::string>> headers;
  if (e.status == 429) headers.emplace_back("Retry-After", "1");
  if (c.metrics) c.metrics->request_rejected(e.status);
  out.send(e.status, "application/json",
           messages_route(http) ? api::messages_error_json(e) : e.to_json(), headers);
}

}  // namespace

http::HttpHandler make_router(const ServingContext& c) {
  return [&c](const http::HttpRequest& http, http::HttpResponder& out) {
    try {
      const std::string& p = http.path;
      const bool get = http.method == "GET" || http.method == "HEAD";
      const bool post = http.method == "POST";
      // The page and the reports need no key (see web/web_ui.h, web/report_files.h).
      if (web::serve_web_ui(http, out) || web::serve_reports(c.reports_dir, http, out)) return;
      if (p == "/health") {
        if (!c.ready)
          throw http::ApiError(503, "The model is loading.", "server_error", "", "loading");
        if (c.draining)
          throw http::ApiError(503, "The server is shutting down.", "server_error", "",
                               "shutting_down");
        out.send(200, "application/json", "{}");
        return;
      }
      // Everything past /health needs the key when one is set, /metrics included: it names the
      // model and tells a stranger the server's load and traffic.
      if (!authorized(c, http))
        throw http::ApiError(401, "Incorrect API key provided.", "authentication_error", "",
                             "invalid_api_key");
      if (p == "/metrics" && get) {
        out.send(200, "text/plain; version=0.0.4", c.metrics->render(c.engine->stats()));
        return;
      }
      if (!c.ready)
        throw http::ApiError(503, "The model is loading.", "server_error", "", "loading");
      if ((p == "/v1/models" || p == "/models") && get)
        return out.send(200, "application/json", dump(models_list_json(c)));
      if (p.starts_with("/v1/models/") && get) {
        check_model(c, p.substr(11));
        return out.send(200, "application/json", dump(model_json(c)));
      }
      const bool known = p == "/v1/chat/completions" || p == "/v1/completions" ||
                         messages_route(http) || p == "/v1/responses" || p == "/tokenize" ||
                         p == "/detokenize";
      if (known && !post)
        throw http::ApiError(405,
                             "Method " + http.method + " is not allowed on " + p + "; use POST.",
                             "invalid_request_error");
      if (!known)
        throw http::ApiError(404, "Unknown request URL: " + http.method + " " + p + ".",
                             "invalid_request_error", "", "unknown_url");
      const std::string type = http.header("content-type");
      if (!type.empty() && type.find("json") == std::string::npos)
        throw http::ApiError(415, "Content-Type must be application/json.",
                             "invalid_request_error");
      if (p == "/v1/chat/completions") return handle_chat_completions(c, http, out);
      if (p == "/v1/completions") return handle_completions(c, http, out);
      if (p == "/v1/messages") return handle_messages(c, http, out);
      if (p == "/v1/responses") return handle_responses(c, http, out);
      if (p == "/v1/messages/count_tokens") return handle_count_tokens(c, http, out);
      if (p == "/tokenize") return handle_tokenize(c, http, out);
      return handle_detokenize(c, http, out);
    } catch (const http::ApiError& e) {
      send_error(c, http, out, e);
    } catch (const std::exception& e) {
      std::fprintf(stderr, "junction serve: internal error on %s: %s\n", http.path.c_str(),
                   e.what());
      send_error(c, http, out, http::ApiError(500, "Internal server error.", "server_error"));
    }
  };
}

}  // namespace junction::server
