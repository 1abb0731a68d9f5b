// Errors in the Anthropic Messages API's shape: {"type": "error", "error": {"type", "message"}},
// the error type named for the HTTP status as Anthropic's documentation lists them (400
// invalid_request_error, 401 authentication_error, 402 billing_error, 403 permission_error, 404
// not_found_error, 413 request_too_large, 429 rate_limit_error, 500 api_error, 529
// overloaded_error; our 503 is an overload too). Pure.
#pragma once

#include <string>
#include <string_view>

#include "http/api_error.h"

namespace junction::api {

// Anthropic's error type for an HTTP status.
std::string messages_error_type(int status);
// The Messages error body for a message and status.
std::string messages_error_json(int status, std::string_view message);
std::string messages_error_json(const http::ApiError& error);
// An OpenAI-shaped error body ({"error": {"message", ...}}, as ApiError and upstreams write it)
// in the Messages shape; a body that is not one keeps its text as the message.
std::string messages_error_from_openai(int status, std::string_view body);

}  // namespace junction::api
