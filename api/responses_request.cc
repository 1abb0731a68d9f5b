#include "api/responses_request.h"

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
    if (required) throw invalid_param(param, "Missing required parameter: '" + param + "'.");
    return "";
  }
  if (!f->is_string())
    throw invalid_param(param, "Invalid type for '" + param + "': expected a string.");
  return f->get<std::string>();
}

// A message item's content -> chat content: a string, or parts when an image is among them.
Json message_content(const Json& content, const std::string& p) {
  if (content.is_string()) return content;
  if (!content.is_array())
    throw invalid_param(p, "Invalid type for '" + p + "': expected a string or an array.");
  Json parts = Json::array();
  bool only_text = true;
  std::string text;
  for (size_t i = 0; i < content.size(); ++i) {
    const Json& c = content[i];
    const std::string cp = p + "[" + std::to_string(i) + "]";
    if (!c.is_object())
      throw invalid_param(cp, "Invalid type for '" + cp + "': expected an object.");
    const std::string type = string_field(c, "type", cp + ".type");
    if (type == "input_text" || type == "output_text" || type == "text") {
      const std::string t = string_field(c, "text", cp + ".text");
      text += t;
      parts.push_back({{"type", "text"}, {"text", t}});
    } else if (type == "refusal") {
      const std::string t = string_field(c, "refusal", cp + ".refusal");
      text += t;
      parts.push_back({{"type", "text"}, {"text", t}});
    } else if (type == "input_image") {
      const std::string url = string_field(c, "image_url", cp + ".image_url");
      only_text = false;
      parts.push_back({{"type", "image_url"}, {"image_url", {{"url", url}}}});
    } else {
      throw invalid_param(cp + ".type", "Unsupported content type '" + type + "' in '" + cp +
                                            "' (input_text, output_text and input_image are).");
    }
  }
  return only_text ? Json(text) : parts;
}

std::string function_output_text(const Json& output, const std::string& p) {
  if (output.is_string()) return output.get<std::string>();
  if (!output.is_array())
    throw invalid_param(p, "Invalid type for '" + p + "': expected a string or an array.");
  std::string text;
  for (const Json& c : output)
    if (c.is_object() && c.contains("text") && c["text"].is_string())
      text += c["text"].get<std::string>();
  return text;
}

// The assistant message items of one turn are merged into (reasoning, text, tool calls).
Json& open_assistant(Json& out, bool& assistant_open) {
  if (!assistant_open) {
    out.push_back({{"role", "assistant"}, {"content", nullptr}});
    assistant_open = true;
  }
  return out.back();
}

void append_text(Json& m, const char* key, const std::string& text) {
  if (!m.contains(key) || !m[key].is_string()) m[key] = "";
  m[key] = m[key].get<std::string>() + text;
}

void add_items(const Json& input, Json& out) {
  if (input.is_string()) {
    out.push_back({{"role", "user"}, {"content", input}});
    return;
  }
  if (!input.is_array())
    throw invalid_param("input", "Invalid type for 'input': expected a string or an array.");
  bool assistant_open = false;
  for (size_t i = 0; i < input.size(); ++i) {
    const Json& item = input[i];
    const std::string p = "input[" + std::to_string(i) + "]";
    if (!item.is_object())
      throw invalid_param(p, "Invalid type for '" + p + "': expected an object.");
    std::string type = string_field(item, "type", p + ".type", false);
    if (type.empty() && item.contains("role")) type = "message";
    if (type == "message") {
      std::string role = string_field(item, "role", p + ".role");
      const Json* content = field(item, "content");
      if (!content)
        throw invalid_param(p + ".content", "Missing required parameter: '" + p + ".content'.");
      Json c = message_content(*content, p + ".content");
      if (role == "assistant") {
        Json& m = open_assistant(out, assistant_open);
        if (!c.is_string())
          throw invalid_param(p + ".content", "An assistant message holds text only.");
        append_text(m, "content", c.get<std::string>());
        continue;
      }
      if (role == "developer") role = "system";
      if (role != "user" && role != "system")
        throw invalid_param(
            p + ".role",
            "Invalid value for '" + p + ".role': expected user, system, developer or assistant.");
      assistant_open = false;
      out.push_back({{"role", role}, {"content", std::move(c)}});
    } else if (type == "function_call") {
      Json& m = open_assistant(out, assistant_open);
      if (!m.contains("tool_calls")) m["tool_calls"] = Json::array();
      m["tool_calls"].push_back(
          {{"id", string_field(item, "call_id", p + ".call_id")},
           {"type", "function"},
           {"function",
            {{"name", string_field(item, "name", p + ".name")},
             {"arguments", string_field(item, "arguments", p + ".arguments")}}}});
    } else if (type == "reasoning") {
      Json& m = open_assistant(out, assistant_open);
      std::string text;
      for (const char* key : {"content", "summary"}) {
        const Json* parts = field(item, key);
        if (!parts || !parts->is_array() || !text.empty()) continue;
        for (const Json& part : *parts)
          if (part.is_object() && part.contains("text") && part["text"].is_string())
            text += part["text"].get<std::string>();
      }
      append_text(m, "reasoning_content", text);
    } else if (type == "function_call_output") {
      assistant_open = false;
      const Json* output = field(item, "output");
      if (!output)
        throw invalid_param(p + ".output", "Missing required parameter: '" + p + ".output'.");
      out.push_back({{"role", "tool"},
                     {"tool_call_id", string_field(item, "call_id", p + ".call_id")},
                     {"content", function_output_text(*output, p + ".output")}});
    } else {
      throw invalid_param(p + ".type", "Unsupported input item type '" + type + "' in '" + p +
                                           "' (message, function_call, function_call_output "
                                           "and reasoning are).");
    }
  }
}

Json chat_tools(const Json& tools) {
  if (!tools.is_array())
    throw invalid_param("tools", "Invalid type for 'tools': expected an array.");
  Json out = Json::array();
  for (size_t i = 0; i < tools.size(); ++i) {
    const Json& t = tools[i];
    const std::string p = "tools[" + std::to_string(i) + "]";
    if (!t.is_object()) throw invalid_param(p, "Invalid type for '" + p + "': expected an object.");
    const std::string type = string_field(t, "type", p + ".type");
    if (type != "function")
      throw invalid_param(p + ".type", "Built-in tools ('" + type +
                                           "') are not supported; define a function tool.");
    Json function = {{"name", string_field(t, "name", p + ".name")}};
    const std::string description = string_field(t, "description", p + ".description", false);
    if (!description.empty()) function["description"] = description;
    if (const Json* parameters = field(t, "parameters")) {
      if (!parameters->is_object())
        throw invalid_param(p + ".parameters",
                            "Invalid type for '" + p + ".parameters': expected an object.");
      function["parameters"] = *parameters;
    }
    if (const Json* strict = field(t, "strict")) function["strict"] = *strict;
    out.push_back({{"type", "function"}, {"function", std::move(function)}});
  }
  return out;
}

Json chat_tool_choice(const Json& choice) {
  if (choice.is_string()) {
    const std::string c = choice.get<std::string>();
    if (c != "auto" && c != "none" && c != "required")
      throw invalid_param("tool_choice",
                          "Invalid value for 'tool_choice': expected auto, none or required.");
    return choice;
  }
  if (!choice.is_object() || string_field(choice, "type", "tool_choice.type") != "function")
    throw invalid_param("tool_choice",
                        "Invalid value for 'tool_choice': only function tools can be chosen.");
  return {{"type", "function"},
          {"function", {{"name", string_field(choice, "name", "tool_choice.name")}}}};
}

Json response_format(const Json& text) {
  if (!text.is_object())
    throw invalid_param("text", "Invalid type for 'text': expected an object.");
  const Json* format = field(text, "format");
  if (!format) return Json();
  if (!format->is_object())
    throw invalid_param("text.format", "Invalid type for 'text.format': expected an object.");
  const std::string type = string_field(*format, "type", "text.format.type");
  if (type == "text") return Json();
  if (type == "json_object") return {{"type", "json_object"}};
  if (type != "json_schema")
    throw invalid_param(
        "text.format.type",
        "Invalid value for 'text.format.type': expected text, json_object or json_schema.");
  const Json* schema = field(*format, "schema");
  if (!schema || !schema->is_object())
    throw invalid_param("text.format.schema", "Missing required parameter: 'text.format.schema'.");
  Json js = {{"name", string_field(*format, "name", "text.format.name")}, {"schema", *schema}};
  if (const Json* strict = field(*format, "strict")) js["strict"] = *strict;
  return {{"type", "json_schema"}, {"json_schema", std::move(js)}};
}

void copy_number(const Json& body, const char* name, Json& out) {
  if (const Json* f = field(body, name)) {
    if (!f->is_number())
      throw invalid_param(name, std::string("Invalid type for '") + name + "': expected a number.");
    out[name] = *f;
  }
}

}  // namespace

ResponsesRequest parse_responses_request(std::string_view text) {
  ResponsesRequest r;
  r.body = http::parse_json_body<Json>(text);
  if (!r.body.is_object()) throw http::ApiError(400, "The request body must be a JSON object.");
  r.previous_response_id =
      string_field(r.body, "previous_response_id", "previous_response_id", false);
  if (const Json* store = field(r.body, "store")) {
    if (!store->is_boolean())
      throw invalid_param("store", "Invalid type for 'store': expected a boolean.");
    r.store = store->get<bool>();
  }
  return r;
}

ResponsesChat chat_request_from_responses(const ResponsesRequest& request, const Json& history) {
  const Json& body = request.body;
  ResponsesChat out;
  out.conversation = history.is_array() ? history : Json::array();
  const Json* input = field(body, "input");
  if (!input) throw invalid_param("input", "Missing required parameter: 'input'.");
  add_items(*input, out.conversation);
  Json& chat = out.chat;
  chat["model"] = string_field(body, "model", "model");
  Json messages = Json::array();
  const std::string instructions = string_field(body, "instructions", "instructions", false);
  if (!instructions.empty()) messages.push_back({{"role", "system"}, {"content", instructions}});
  for (const Json& m : out.conversation) messages.push_back(m);
  if (messages.empty()) throw invalid_param("input", "'input' holds no message.");
  chat["messages"] = std::move(messages);
  if (const Json* max = field(body, "max_output_tokens")) {
    if (!max->is_number_integer() || max->get<int64_t>() < 1)
      throw invalid_param("max_output_tokens",
                          "Invalid 'max_output_tokens': expected an integer of at least 1.");
    chat["max_tokens"] = *max;
  }
  copy_number(body, "temperature", chat);
  copy_number(body, "top_p", chat);
  if (const Json* stream = field(body, "stream")) {
    if (!stream->is_boolean())
      throw invalid_param("stream", "Invalid type for 'stream': expected a boolean.");
    if (stream->get<bool>()) {
      chat["stream"] = true;
      chat["stream_options"] = {{"include_usage", true}};
    }
  }
  if (const Json* tools = field(body, "tools")) {
    Json t = chat_tools(*tools);
    if (!t.empty()) chat["tools"] = std::move(t);
  }
  if (const Json* choice = field(body, "tool_choice"))
    chat["tool_choice"] = chat_tool_choice(*choice);
  if (const Json* parallel = field(body, "parallel_tool_calls")) {
    if (!parallel->is_boolean())
      throw invalid_param("parallel_tool_calls",
                          "Invalid type for 'parallel_tool_calls': expected a boolean.");
    chat["parallel_tool_calls"] = *parallel;
  }
  if (const Json* text = field(body, "text"))
    if (Json format = response_format(*text); !format.is_null())
      chat["response_format"] = std::move(format);
  if (const Json* reasoning = field(body, "reasoning")) {
    if (!reasoning->is_object())
      throw invalid_param("reasoning", "Invalid type for 'reasoning': expected an object.");
    const std::string effort = string_field(*reasoning, "effort", "reasoning.effort", false);
    if (!effort.empty()) chat["reasoning_effort"] = effort;
  }
  const std::string user = string_field(body, "user", "user", false);
  if (!user.empty()) chat["user"] = user;
  return out;
}

}  // namespace junction::api
