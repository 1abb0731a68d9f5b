#include "gateway/capabilities.h"

#include <nlohmann/json.hpp>

namespace junction::gateway {
namespace {

bool non_empty_list(const nlohmann::json& body, const char* key) {
  const auto it = body.find(key);
  return it != body.end() && it->is_array() && !it->empty();
}

bool is_image_part(const nlohmann::json& part) {
  if (!part.is_object()) return false;
  const auto type = part.find("type");
  return type != part.end() && type->is_string() &&
         (*type == "image_url" || *type == "input_image");
}

}  // namespace

RequestNeeds request_needs(const nlohmann::json& body) {
  RequestNeeds needs;
  if (!body.is_object()) return needs;
  needs.tools = non_empty_list(body, "tools") || non_empty_list(body, "functions");
  const auto format = body.find("response_format");
  if (format != body.end() && format->is_object()) {
    const auto type = format->find("type");
    needs.json_schema = type != format->end() && type->is_string() && *type == "json_schema";
  }
  const auto messages = body.find("messages");
  if (messages != body.end() && messages->is_array()) {
    for (const auto& m : *messages) {
      if (!m.is_object()) continue;
      const auto content = m.find("content");
      if (content == m.end() || !content->is_array()) continue;
      for (const auto& part : *content)
        if (is_image_part(part)) needs.vision = true;
    }
  }
  return needs;
}

std::string missing_capability(const Capabilities& caps, const RequestNeeds& needs) {
  if (!caps.known) return "";
  if (needs.tools && !caps.tools) return "tools";
  if (needs.json_schema && !caps.json_schema) return "response_format";
  if (needs.vision && !caps.vision) return "messages";
  return "";
}

std::string capability_name(const std::string& field) {
  if (field == "tools") return "tool calling";
  if (field == "response_format") return "structured outputs (response_format json_schema)";
  if (field == "messages") return "image input";
  return field;
}

}  // namespace junction::gateway
