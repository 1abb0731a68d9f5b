// An error answered to a client in OpenAI's shape: {"error": {"message", "type", "param",
// "code"}} with an HTTP status. Thrown anywhere in request handling; the router catches it.
#pragma once

#include <stdexcept>
#include <string>

namespace junction::http {

class ApiError : public std::runtime_error {
 public:
  ApiError(int status, std::string message, std::string type = "invalid_request_error",
           std::string param = "", std::string code = "")
      : std::runtime_error(message),
        status(status),
        type(std::move(type)),
        param(std::move(param)),
        code(std::move(code)) {}

  int status;
  std::string type;   // invalid_request_error, authentication_error, server_error, ...
  std::string param;  // the offending request field; empty: null
  std::string code;   // machine-readable; empty: null
  // When set, the body answered instead of OpenAI's shape: for an API with an error shape of its
  // own (Anthropic's Messages) refused where only this error travels (a request's head).
  std::string body;

  std::string to_json() const;
};

// 400 naming the field.
inline ApiError invalid_param(const std::string& param, const std::string& message,
                              const std::string& code = "invalid_value") {
  return ApiError(400, message, "invalid_request_error", param, code);
}

}  // namespace junction::http
