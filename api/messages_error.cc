#include "api/messages_error.h"

#include <nlohmann/json.hpp>

namespace junction::api {

std::string messages_error_type(int status) {
  switch (status) {
    case 400:
      return "invalid_request_error";
    case 401:
      return "authentication_error";
    case 402:
      return "billing_error";
    case 403:
      return "permission_error";
    case 404:
      return "not_found_error";
    case 413:
      return "request_too_large";
    case 429:
      return "rate_limit_error";
    case 503:
    case 529:
      return "overloaded_error";
    default:
      return status >= 500 ? "api_error" : "invalid_request_error";
  }
}

std::string messages_error_json(int status, std::string_view message) {
  const nlohmann::ordered_json j = {
      {"type", "error"},
      {"error", {{"type", messages_error_type(status)}, {"message", std::string(message)}}}};
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string messages_error_json(const http::ApiError& error) {
  return messages_error_json(error.status, error.what());
}

std::string messages_error_from_openai(int status, std::string_view body) {
  const nlohmann::json j = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (j.is_object() && j.contains("error") && j["error"].is_object() &&
      j["error"].contains("message") && j["error"]["message"].is_string())
    return messages_error_json(status, j["error"]["message"].get<std::string>());
  return messages_error_json(status, body.substr(0, 1000));
}

}  // namespace junction::api
