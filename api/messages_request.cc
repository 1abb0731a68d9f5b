#include "api/messages_request.h"

#include <string>

#include "api/json_fields.h"
#include "http/api_error.h"
#include "http/json_body.h"

namespace junction::api {
namespace {

using Json = nlohmann::ordered_json;
using http::invalid_param;

std::string string_field(const Json& j, const char* name, const std::string& param,
                         bool required = true) {
  const Json* f = field(j, name);
  if (!f) {
    if (required) throw invalid_param(param, param + ": Field required");
    return "";
  }
  if (!f->is_string()) throw invalid_param(param, param + ": Input should be a valid string");
  return f->get<std::string>();
}

// A block's `text` (text blocks only: the system prompt, a tool result's content).
std::string text_of_blocks(const Json& content, const std::string& param) {
  if (content.is_string()) return content.get<std::string>();
  if (!content.is_array())
    throw invalid_param(param, param + ": Input should be a valid string or list of blocks");
  std::string text;
  for (size_t i = 0; i < content.size(); ++i) {
    const Json& b = content[i];
    const std::string p = param + "." + std::to_string(i);
    if (!b.is_object()) throw invalid_param(p, p + ": Input should be an object");
    const std::string type = string_field(b, "type", p + ".type");
    if (type != "text")
      throw invalid_param(p + ".type",
                          p + ".type: only text blocks are supported here, not '" + type + "'");
    if (!text.empty()) text += "\n";
    text += string_field(b, "text", p + ".text");
  }
  return text;
}

Json image_part(const Json& block, const std::string& p) {
  const Json* source = field(block, "source");
  if (!source || !source->is_object())
    throw invalid_param(p + ".source", p + ".source: Field required");
  const std::string type = string_field(*source, "type", p + ".source.type");
  std::string url;
  if (type == "base64")
    url = "data:" + string_field(*source, "media_type", p + ".source.media_type") + ";base64," +
          string_field(*source, "data", p + ".source.data");
  else if (type == "url")
    url = string_field(*source, "url", p + ".source.url");
  else
    throw invalid_param(
        p + ".source.type",
        p + ".source.type: image sources are 'base64' or 'url', not '" + type + "'");
  return {{"type", "image_url"}, {"image_url", {{"url", url}}}};
}

// Text parts only: a string (the form every chat template reads); with an image, parts.
Json user_content(Json parts) {
  bool only_text = true;
  for (const Json& part : parts) only_text = only_text && part["type"] == "text";
  if (!only_text) return parts;
  std::string text;
  for (size_t i = 0; i < parts.size(); ++i)
    text += (i ? "\n" : "") + parts[i]["text"].get<std::string>();
  return text;
}

// One user turn -> its tool messages, then one user message with the rest (when there is any).
void add_user_turn(const Json& content, const std::string& p, Json& out) {
  if (content.is_string()) {
    out.push_back({{"role", "user"}, {"content", content}});
    return;
  }
  Json parts = Json::array();
  for (size_t i = 0; i < content.size(); ++i) {
    const Json& b = content[i];
    const std::string bp = p + "." + std::to_string(i);
    if (!b.is_object()) throw invalid_param(bp, bp + ": Input should be an object");
    const std::string type = string_field(b, "type", bp + ".type");
    if (type == "text") {
      parts.push_back({{"type", "text"}, {"text", string_field(b, "text", bp + ".text")}});
    } else if (type == "image") {
      parts.push_back(image_part(b, bp));
    } else if (type == "tool_result") {
      const std::string id = string_field(b, "tool_use_id", bp + ".tool_use_id");
      const Json* c = field(b, "content");
      std::string text = c ? text_of_blocks(*c, bp + ".content") : "";
      const Json* is_error = field(b, "is_error");
      if (is_error && !is_error->is_boolean())
        throw invalid_param(bp + ".is_error", bp + ".is_error: Input should be a valid boolean");
      // The chat API has no error flag on a tool message: the text says so, as Anthropic's own
      // OpenAI compatibility layer leaves it to the content.
      if (is_error && is_error->get<bool>()) text = "Error: " + text;
      out.push_back({{"role", "tool"}, {"tool_call_id", id}, {"content", text}});
    } else {
      throw invalid_param(bp + ".type", bp + ".type: '" + type +
                                            "' blocks are not supported in a user turn (text, "
                                            "image and tool_result are)");
    }
  }
  if (!parts.empty())
    out.push_back({{"role", "user"}, {"content", user_content(std::move(parts))}});
}

void add_assistant_turn(const Json& content, const std::string& p, Json& out) {
  Json m = {{"role", "assistant"}};
  if (content.is_string()) {
    m["content"] = content;
    out.push_back(std::move(m));
    return;
  }
  std::string text, reasoning;
  Json tool_calls = Json::array(), details = Json::array();
  for (size_t i = 0; i < content.size(); ++i) {
    const Json& b = content[i];
    const std::string bp = p + "." + std::to_string(i);
    if (!b.is_object()) throw invalid_param(bp, bp + ": Input should be an object");
    const std::string type = string_field(b, "type", bp + ".type");
    if (type == "text") {
      text += string_field(b, "text", bp + ".text");
    } else if (type == "tool_use") {
      const Json* input = field(b, "input");
      if (!input || !input->is_object())
        throw invalid_param(bp + ".input", bp + ".input: Input should be an object");
      tool_calls.push_back(
          {{"id", string_field(b, "id", bp + ".id")},
           {"type", "function"},
           {"function",
            {{"name", string_field(b, "name", bp + ".name")},
             {"arguments", input->dump(-1, ' ', false, Json::error_handler_t::replace)}}}});
    } else if (type == "thinking") {
      const std::string t = string_field(b, "thinking", bp + ".thinking");
      reasoning += t;
      Json d = {{"type", "reasoning.text"}, {"text", t}};
      const std::string signature = string_field(b, "signature", bp + ".signature", false);
      if (!signature.empty()) d["signature"] = signature;
      d["format"] = "anthropic-claude-v1";
      d["index"] = details.size();
      details.push_back(std::move(d));
    } else if (type == "redacted_thinking") {
      details.push_back({{"type", "reasoning.encrypted"},
                         {"data", string_field(b, "data", bp + ".data")},
                         {"format", "anthropic-claude-v1"},
                         {"index", details.size()}});
    } else {
      throw invalid_param(bp + ".type", bp + ".type: '" + type +
                                            "' blocks are not supported in an assistant turn "
                                            "(text, tool_use, thinking and redacted_thinking are)");
    }
  }
  m["content"] = tool_calls.empty() || !text.empty() ? Json(text) : Json(nullptr);
  if (!reasoning.empty()) m["reasoning_content"] = reasoning;
  if (!details.empty()) m["reasoning_details"] = std::move(details);
  if (!tool_calls.empty()) m["tool_calls"] = std::move(tool_calls);
  out.push_back(std::move(m));
}

Json chat_messages(const Json& body) {
  Json out = Json::array();
  if (const Json* system = field(body, "system")) {
    const std::string text = text_of_blocks(*system, "system");
    if (!text.empty()) out.push_back({{"role", "system"}, {"content", text}});
  }
  const Json* messages = field(body, "messages");
  if (!messages) throw invalid_param("messages", "messages: Field required");
  if (!messages->is_array())
    throw invalid_param("messages", "messages: Input should be a valid list");
  if (messages->empty())
    throw invalid_param("messages", "messages: at least one message is required");
  for (size_t i = 0; i < messages->size(); ++i) {
    const Json& m = (*messages)[i];
    const std::string p = "messages." + std::to_string(i);
    if (!m.is_object()) throw invalid_param(p, p + ": Input should be an object");
    const std::string role = string_field(m, "role", p + ".role");
    const Json* content = field(m, "content");
    if (!content) throw invalid_param(p + ".content", p + ".content: Field required");
    if (!content->is_string() && !content->is_array())
      throw invalid_param(p + ".content",
                          p + ".content: Input should be a valid string or list of blocks");
    if (role == "user")
      add_user_turn(*content, p + ".content", out);
    else if (role == "assistant")
      add_assistant_turn(*content, p + ".content", out);
    else
      throw invalid_param(p + ".role",
                          p + ".role: Input should be 'user' or 'assistant', not '" + role + "'");
  }
  return out;
}

Json chat_tools(const Json& tools) {
  if (!tools.is_array()) throw invalid_param("tools", "tools: Input should be a valid list");
  Json out = Json::array();
  for (size_t i = 0; i < tools.size(); ++i) {
    const Json& t = tools[i];
    const std::string p = "tools." + std::to_string(i);
    if (!t.is_object()) throw invalid_param(p, p + ": Input should be an object");
    const std::string type = string_field(t, "type", p + ".type", false);
    if (!type.empty() && type != "custom")
      throw invalid_param(p + ".type", p + ".type: server tools ('" + type +
                                           "') are not supported; define a client tool with "
                                           "name and input_schema");
    const Json* schema = field(t, "input_schema");
    if (!schema || !schema->is_object())
      throw invalid_param(p + ".input_schema", p + ".input_schema: Input should be an object");
    Json function = {{"name", string_field(t, "name", p + ".name")}};
    const std::string description = string_field(t, "description", p + ".description", false);
    if (!description.empty()) function["description"] = description;
    function["parameters"] = *schema;
    out.push_back({{"type", "function"}, {"function", std::move(function)}});
  }
  return out;
}

void add_tool_choice(const Json& choice, Json& out) {
  if (!choice.is_object())
    throw invalid_param("tool_choice", "tool_choice: Input should be an object");
  const std::string type = string_field(choice, "type", "tool_choice.type");
  if (type == "auto")
    out["tool_choice"] = "auto";
  else if (type == "any")
    out["tool_choice"] = "required";
  else if (type == "none")
    out["tool_choice"] = "none";
  else if (type == "tool")
    out["tool_choice"] = {
        {"type", "function"},
        {"function", {{"name", string_field(choice, "name", "tool_choice.name")}}}};
  else
    throw invalid_param("tool_choice.type",
                        "tool_choice.type: Input should be 'auto', 'any', "
                        "'tool' or 'none', not '" +
                            type + "'");
  if (const Json* d = field(choice, "disable_parallel_tool_use")) {
    if (!d->is_boolean())
      throw invalid_param("tool_choice.disable_parallel_tool_use",
                          "tool_choice.disable_parallel_tool_use: Input should be a valid boolean");
    if (d->get<bool>()) out["parallel_tool_calls"] = false;
  }
}

void copy_number(const Json& body, const char* name, Json& out) {
  if (const Json* f = field(body, name)) {
    if (!f->is_number())
      throw invalid_param(name, std::string(name) + ": Input should be a valid number");
    out[name] = *f;
  }
}

}  // namespace

Json chat_request_from_messages(const Json& body, MessagesEndpoint endpoint) {
  if (!body.is_object()) throw http::ApiError(400, "The request body must be a JSON object.");
  Json out = Json::object();
  out["model"] = string_field(body, "model", "model");
  out["messages"] = chat_messages(body);
  if (endpoint == MessagesEndpoint::kMessages) {
    const Json* max_tokens = field(body, "max_tokens");
    if (!max_tokens) throw invalid_param("max_tokens", "max_tokens: Field required");
    if (!max_tokens->is_number_integer() || max_tokens->get<int64_t>() < 1)
      throw invalid_param("max_tokens", "max_tokens: Input should be an integer of at least 1");
    out["max_tokens"] = *max_tokens;
    if (const Json* stream = field(body, "stream")) {
      if (!stream->is_boolean())
        throw invalid_param("stream", "stream: Input should be a valid boolean");
      if (stream->get<bool>()) {
        out["stream"] = true;
        out["stream_options"] = {{"include_usage", true}};
      }
    }
    copy_number(body, "temperature", out);
    copy_number(body, "top_p", out);
    if (const Json* top_k = field(body, "top_k")) {
      if (!top_k->is_number_integer())
        throw invalid_param("top_k", "top_k: Input should be a valid integer");
      out["top_k"] = *top_k;
    }
    if (const Json* stop = field(body, "stop_sequences")) {
      if (!stop->is_array())
        throw invalid_param("stop_sequences", "stop_sequences: Input should be a valid list");
      for (const Json& s : *stop)
        if (!s.is_string())
          throw invalid_param("stop_sequences", "stop_sequences: every entry must be a string");
      if (!stop->empty()) out["stop"] = *stop;
    }
    if (const Json* metadata = field(body, "metadata")) {
      if (!metadata->is_object())
        throw invalid_param("metadata", "metadata: Input should be an object");
      const std::string user = string_field(*metadata, "user_id", "metadata.user_id", false);
      if (!user.empty()) out["user"] = user;
    }
  }
  if (const Json* tools = field(body, "tools")) {
    Json t = chat_tools(*tools);
    if (!t.empty()) out["tools"] = std::move(t);
  }
  if (const Json* choice = field(body, "tool_choice")) add_tool_choice(*choice, out);
  if (const Json* thinking = field(body, "thinking")) {
    if (!thinking->is_object())
      throw invalid_param("thinking", "thinking: Input should be an object");
    const std::string type = string_field(*thinking, "type", "thinking.type");
    if (type != "enabled" && type != "disabled" && type != "adaptive")
      throw invalid_param("thinking.type",
                          "thinking.type: Input should be 'enabled', 'disabled' or 'adaptive'");
    out["thinking"] = *thinking;
  }
  return out;
}

Json parse_messages_request(std::string_view body, MessagesEndpoint endpoint) {
  return chat_request_from_messages(http::parse_json_body<Json>(body), endpoint);
}

}  // namespace junction::api
