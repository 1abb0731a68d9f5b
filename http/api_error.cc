#include "http/api_error.h"

#include <nlohmann/json.hpp>

namespace junction::http {

std::string ApiError::to_json() const {
  if (!body.empty()) return body;
  nlohmann::ordered_json error = {
      {"message", what()},
      {"type", type},
      {"param", param.empty() ? nlohmann::ordered_json() : nlohmann::ordered_json(param)},
      {"code", code.empty() ? nlohmann::ordered_json() : nlohmann::ordered_json(code)}};
  return nlohmann::ordered_json{{"error", error}}.dump(-1, ' ', false,
                                                       nlohmann::json::error_handler_t::replace);
}

}  // namespace junction::http
