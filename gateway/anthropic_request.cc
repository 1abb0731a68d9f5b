#include "gateway/anthropic_request.h"

#include <algorithm>
#include <cmath>
#include <string_view>
#include <vector>

#include "core/json_depth.h"
#include "gateway/anthropic_response.h"
#include "http/api_error.h"

namespace junction::gateway {
namespace {

using Json = nlohmann::json;
using http::ApiError;
using http::invalid_param;

// An OpenAI image_url ("data:image/png;base64,...." or an http(s) URL) as an Anthropic image
// source: {"type":"base64","media_type","data"} or {"type":"url","url"}.
Json image_block(const Json& part, const std::string& param) {
  const Json& image = part.contains("image_url") ? part["image_url"] : Json();
  const Json& url_json = image.is_object() && image.contains("url") ? image["url"] : image;
  if (!url_json.is_string()) throw invalid_param(param, param + ".image_url.url must be a string");
  const std::string& url = url_json.get_ref<const std::string&>();
  if (url.rfind("data:", 0) == 0) {
    const size_t semi = url.find(';'), comma = url.find(',');
    if (semi == std::string::npos || comma == std::string::npos || semi > comma ||
        url.compare(semi, comma - semi, ";base64") != 0)
      throw invalid_param(param, param + ": only base64 data URLs are supported for images");
    return {{"type", "image"},
            {"source",
             {{"type", "base64"},
              {"media_type", url.substr(5, semi - 5)},
              {"data", url.substr(comma + 1)}}}};
  }
  return {{"type", "image"}, {"source", {{"type", "url"}, {"url", url}}}};
}

// OpenAI message content (a string, an array of parts, or null) as Anthropic content blocks.
// Empty text is left out: the Messages API refuses empty text blocks. Audio and file parts are
// ignored, as in Anthropic's own compatibility layer.
Json content_blocks(const Json& content, const std::string& param) {
  Json blocks = Json::array();
  if (content.is_null()) return blocks;
  if (content.is_string()) {
    if (!content.get_ref<const std::string&>().empty())
      blocks.push_back({{"type", "text"}, {"text", content}});
    return blocks;
  }
  if (!content.is_array())
    throw invalid_param(param, param + " must be a string, an array of parts or null");
  for (size_t i = 0; i < content.size(); ++i) {
    const Json& part = content[i];
    const std::string at = param + "[" + std::to_string(i) + "]";
    if (!part.is_object() || !part.contains("type") || !part["type"].is_string())
      throw invalid_param(at, at + " must be an object with a type");
    const std::string& type = part["type"].get_ref<const std::string&>();
    if (type == "text") {
      if (!part.contains("text") || !part["text"].is_string())
        throw invalid_param(at, at + ".text must be a string");
      if (!part["text"].get_ref<const std::string&>().empty())
        blocks.push_back({{"type", "text"}, {"text", part["text"]}});
    } else if (type == "image_url") {
      blocks.push_back(image_block(part, at));
    }
  }
  return blocks;
}

// The text of a system/developer message, whose content may be a string or text parts.
std::string plain_text(const Json& content, const std::string& param) {
  std::string text;
  for (const Json& block : content_blocks(content, param)) {
    if (block["type"] != "text")
      throw invalid_param(param, param + ": system messages can only hold text");
    if (!text.empty()) text += '\n';
    text += block["text"].get<std::string>();
  }
  return text;
}

Json tool_use_blocks(const Json& tool_calls, const std::string& param) {
  Json blocks = Json::array();
  if (!tool_calls.is_array()) throw invalid_param(param, param + " must be an array");
  for (size_t i = 0; i < tool_calls.size(); ++i) {
    const Json& call = tool_calls[i];
    const std::string at = param + "[" + std::to_string(i) + "]";
    if (!call.is_object() || !call.contains("id") || !call["id"].is_string() ||
        !call.contains("function") || !call["function"].is_object() ||
        !call["function"].contains("name") || !call["function"]["name"].is_string())
      throw invalid_param(at, at + " needs an id and function.name");
    Json input = Json::object();
    const Json& function = call["function"];
    if (function.contains("arguments") && function["arguments"].is_string() &&
        !function["arguments"].get_ref<const std::string&>().empty()) {
      input = parse_json(function["arguments"].get_ref<const std::string&>());
      if (input.is_discarded() || !input.is_object())
        throw invalid_param(at + ".function.arguments",
                            at + ".function.arguments must be a JSON object in a string");
    }
    blocks.push_back(
        {{"type", "tool_use"}, {"id", call["id"]}, {"name", function["name"]}, {"input", input}});
  }
  return blocks;
}

// OpenRouter-style reasoning_details of an assistant message -> the thinking and
// redacted_thinking blocks they came from. Entries sharing an `index` are pieces of one block
// (as a client may have accumulated them from a stream): texts concatenated, the last signature
// kept. Thinking without a signature is left out (the Messages API refuses it), and so are
// entries another provider made (a `format` other than Anthropic's): a conversation that failed
// over between providers stays valid.
Json thinking_blocks(const Json& details, const std::string& param) {
  if (!details.is_array()) throw invalid_param(param, param + " must be an array");
  struct Block {
    std::string type, text, signature, data;
  };
  std::vector<std::pair<int64_t, Block>> blocks;  // in order of first appearance
  for (size_t i = 0; i < details.size(); ++i) {
    const Json& d = details[i];
    const std::string at = param + "[" + std::to_string(i) + "]";
    if (!d.is_object() || !d.contains("type") || !d["type"].is_string())
      throw invalid_param(at, at + " must be an object with a type");
    if (d.contains("format") && !d["format"].is_null() && d["format"] != kAnthropicReasoningFormat)
      continue;
    const std::string& type = d["type"].get_ref<const std::string&>();
    if (type != "reasoning.text" && type != "reasoning.encrypted") continue;  // summaries
    const int64_t index = d.contains("index") && d["index"].is_number_integer()
                              ? d["index"].get<int64_t>()
                              : -1 - static_cast<int64_t>(i);  // no index: a block of its own
    auto it =
        std::find_if(blocks.begin(), blocks.end(), [&](const auto& b) { return b.first == index; });
    if (it == blocks.end()) {
      blocks.push_back({index, Block{type, "", "", ""}});
      it = std::prev(blocks.end());
    }
    Block& b = it->second;
    for (const auto& [key, field] : {std::pair<const char*, std::string*>{"text", &b.text},
                                     {"signature", &b.signature},
                                     {"data", &b.data}}) {
      if (!d.contains(key) || d[key].is_null()) continue;
      if (!d[key].is_string())
        throw invalid_param(at + "." + key, at + "." + key + " must be a string");
      if (field == &b.text)
        *field += d[key].get_ref<const std::string&>();
      else if (!d[key].get_ref<const std::string&>().empty())
        *field = d[key].get<std::string>();
    }
  }
  Json out = Json::array();
  for (const auto& [index, b] : blocks) {
    if (b.type == "reasoning.encrypted" && !b.data.empty())
      out.push_back({{"type", "redacted_thinking"}, {"data", b.data}});
    else if (b.type == "reasoning.text" && !b.signature.empty())
      out.push_back({{"type", "thinking"}, {"thinking", b.text}, {"signature", b.signature}});
  }
  return out;
}

Json tool_result_block(const Json& message, const std::string& param) {
  if (!message.contains("tool_call_id") || !message["tool_call_id"].is_string())
    throw invalid_param(param + ".tool_call_id", param + ".tool_call_id must be a string");
  Json block = {{"type", "tool_result"}, {"tool_use_id", message["tool_call_id"]}};
  const Json content = message.contains("content") ? message["content"] : Json();
  if (content.is_string())
    block["content"] = content;
  else if (!content.is_null())
    block["content"] = content_blocks(content, param + ".content");
  return block;
}

// Appends blocks as a turn of `role`, merged into the previous turn when it has the same role.
void append_turn(Json& messages, const std::string& role, Json blocks) {
  if (!messages.empty() && messages.back()["role"] == role) {
    for (auto& b : blocks) messages.back()["content"].push_back(std::move(b));
    return;
  }
  messages.push_back({{"role", role}, {"content", std::move(blocks)}});
}

Json translate_tools(const Json& tools) {
  if (!tools.is_array()) throw invalid_param("tools", "tools must be an array");
  Json out = Json::array();
  for (size_t i = 0; i < tools.size(); ++i) {
    const Json& t = tools[i];
    const std::string at = "tools[" + std::to_string(i) + "]";
    if (!t.is_object() || !(t.contains("type") && t["type"] == "function") ||
        !t.contains("function") || !t["function"].is_object() || !t["function"].contains("name") ||
        !t["function"]["name"].is_string())
      throw invalid_param(at, at + " must be {type: \"function\", function: {name, ...}}");
    const Json& f = t["function"];
    Json tool = {{"name", f["name"]}};
    if (f.contains("description") && f["description"].is_string())
      tool["description"] = f["description"];
    tool["input_schema"] = f.contains("parameters") && f["parameters"].is_object()
                               ? f["parameters"]
                               : Json{{"type", "object"}, {"properties", Json::object()}};
    out.push_back(std::move(tool));
  }
  return out;
}

Json translate_tool_choice(const Json& choice) {
  if (choice.is_string()) {
    const std::string& c = choice.get_ref<const std::string&>();
    if (c == "auto") return {{"type", "auto"}};
    if (c == "none") return {{"type", "none"}};
    if (c == "required") return {{"type", "any"}};
  } else if (choice.is_object() && choice.contains("type") && choice["type"] == "function" &&
             choice.contains("function") && choice["function"].is_object() &&
             choice["function"].contains("name") && choice["function"]["name"].is_string()) {
    return {{"type", "tool"}, {"name", choice["function"]["name"]}};
  }
  throw invalid_param("tool_choice",
                      "tool_choice must be \"auto\", \"none\", \"required\" or {type: "
                      "\"function\", function: {name}}");
}

// OpenRouter's effort ratios for Anthropic thinking budgets.
double effort_ratio(const Json& effort, const std::string& param) {
  if (effort == "high") return 0.8;
  if (effort == "medium") return 0.5;
  if (effort == "low") return 0.2;
  throw invalid_param(param, param + " must be \"low\", \"medium\" or \"high\"");
}

int64_t effort_budget(double ratio, int64_t max_tokens) {
  const auto scaled = static_cast<int64_t>(std::floor(static_cast<double>(max_tokens) * ratio));
  return std::max<int64_t>(std::min<int64_t>(scaled, 32000), 1024);
}

// `thinking` as sent upstream, or null when the request asks for no reasoning.
Json thinking_config(const Json& body, int64_t max_tokens) {
  if (body.contains("thinking") && !body["thinking"].is_null()) {
    if (!body["thinking"].is_object())
      throw invalid_param("thinking", "thinking must be an object");
    return body["thinking"];
  }
  int64_t budget = -1;
  if (body.contains("reasoning") && !body["reasoning"].is_null()) {
    const Json& r = body["reasoning"];
    if (!r.is_object()) throw invalid_param("reasoning", "reasoning must be an object");
    if (r.contains("max_tokens") && !r["max_tokens"].is_null()) {
      if (!r["max_tokens"].is_number_integer() || r["max_tokens"].get<int64_t>() < 0)
        throw invalid_param("reasoning.max_tokens",
                            "reasoning.max_tokens must be a non-negative integer");
      budget = std::max<int64_t>(r["max_tokens"].get<int64_t>(), 1024);
    } else if (r.contains("effort") && !r["effort"].is_null()) {
      budget = effort_budget(effort_ratio(r["effort"], "reasoning.effort"), max_tokens);
    } else if (r.contains("enabled") && r["enabled"] == true) {
      budget = effort_budget(0.5, max_tokens);
    }
  } else if (body.contains("reasoning_effort") && !body["reasoning_effort"].is_null()) {
    budget = effort_budget(effort_ratio(body["reasoning_effort"], "reasoning_effort"), max_tokens);
  }
  if (budget < 0) return Json();
  if (budget >= max_tokens)
    throw invalid_param("max_tokens", "The reasoning budget (" + std::to_string(budget) +
                                          " tokens) must be below max_tokens (" +
                                          std::to_string(max_tokens) +
                                          "): Anthropic counts thinking against max_tokens");
  return {{"type", "enabled"}, {"budget_tokens", budget}};
}

int64_t read_max_tokens(const Json& body, int64_t fallback) {
  for (const char* key : {"max_completion_tokens", "max_tokens"}) {
    if (!body.contains(key) || body[key].is_null()) continue;
    if (!body[key].is_number_integer() || body[key].get<int64_t>() < 1)
      throw invalid_param(key, std::string(key) + " must be a positive integer");
    return body[key].get<int64_t>();
  }
  return fallback;
}

// Refuses what cannot be translated before anything is: a body that is no object, no messages,
// and what would change the answer's shape.
void check_translatable(const Json& body) {
  if (!body.is_object()) throw ApiError(400, "The request body must be a JSON object");
  if (!body.contains("messages") || !body["messages"].is_array())
    throw invalid_param("messages", "messages must be an array");
  if (body.contains("n") && !body["n"].is_null() && body["n"] != 1)
    throw invalid_param("n", "Anthropic models answer one choice per request: n must be 1");
  if (body.contains("logprobs") && body["logprobs"] == true)
    throw invalid_param("logprobs", "Anthropic models do not return logprobs");
}

// OpenAI messages as Anthropic's `system` text and turns.
struct Conversation {
  std::string system;
  Json messages = Json::array();
};

// An assistant message's blocks: thinking first, as the Messages API returned them, then its
// content, then its tool calls.
Json assistant_blocks(const Json& m, const Json& content, const std::string& at) {
  Json blocks = m.contains("reasoning_details") && !m["reasoning_details"].is_null()
                    ? thinking_blocks(m["reasoning_details"], at + ".reasoning_details")
                    : Json::array();
  for (auto& b : content_blocks(content, at + ".content")) blocks.push_back(std::move(b));
  if (m.contains("tool_calls") && !m["tool_calls"].is_null())
    for (auto& b : tool_use_blocks(m["tool_calls"], at + ".tool_calls"))
      blocks.push_back(std::move(b));
  return blocks;
}

// Adds message `m` (at: its parameter name) to the conversation, by role.
void add_message(Conversation& c, const Json& m, const std::string& at) {
  if (!m.is_object() || !m.contains("role") || !m["role"].is_string())
    throw invalid_param(at, at + " must be an object with a role");
  const std::string& role = m["role"].get_ref<const std::string&>();
  const Json content = m.contains("content") ? m["content"] : Json();
  if (role == "system" || role == "developer") {
    const std::string text = plain_text(content, at + ".content");
    if (!c.system.empty() && !text.empty()) c.system += '\n';
    c.system += text;
  } else if (role == "user") {
    append_turn(c.messages, "user", content_blocks(content, at + ".content"));
  } else if (role == "assistant") {
    append_turn(c.messages, "assistant", assistant_blocks(m, content, at));
  } else if (role == "tool") {
    append_turn(c.messages, "user", Json::array({tool_result_block(m, at)}));
  } else {
    throw invalid_param(at + ".role", at + ".role '" + role +
                                          "' is not supported for Anthropic models (system, "
                                          "developer, user, assistant, tool)");
  }
}

Conversation translate_messages(const Json& in) {
  Conversation c;
  for (size_t i = 0; i < in.size(); ++i)
    add_message(c, in[i], "messages[" + std::to_string(i) + "]");
  // In a user turn the tool results must come before any text (a documented 400 otherwise).
  for (Json& turn : c.messages) {
    if (turn["role"] != "user") continue;
    std::stable_partition(turn["content"].begin(), turn["content"].end(),
                          [](const Json& b) { return b["type"] == "tool_result"; });
  }
  return c;
}

// temperature (capped at 1), top_p, top_k, stop and user, where the request has them.
void add_sampling(const Json& body, Json& out) {
  if (body.contains("temperature") && body["temperature"].is_number())
    out["temperature"] = std::min(body["temperature"].get<double>(), 1.0);
  if (body.contains("top_p") && body["top_p"].is_number()) out["top_p"] = body["top_p"];
  if (body.contains("top_k") && body["top_k"].is_number_integer()) out["top_k"] = body["top_k"];
  if (body.contains("stop") && !body["stop"].is_null()) {
    const Json& stop = body["stop"];
    if (stop.is_string()) {
      out["stop_sequences"] = Json::array({stop});
    } else if (stop.is_array() &&
               std::all_of(stop.begin(), stop.end(), [](const Json& s) { return s.is_string(); })) {
      out["stop_sequences"] = stop;
    } else {
      throw invalid_param("stop", "stop must be a string or an array of strings");
    }
  }
  if (body.contains("user") && body["user"].is_string())
    out["metadata"] = {{"user_id", body["user"]}};
}

// tools and tool_choice, when the request has any tools.
void add_tools(const Json& body, Json& out) {
  const bool has_tools =
      body.contains("tools") && body["tools"].is_array() && !body["tools"].empty();
  if (!has_tools) return;
  out["tools"] = translate_tools(body["tools"]);
  Json choice = body.contains("tool_choice") && !body["tool_choice"].is_null()
                    ? translate_tool_choice(body["tool_choice"])
                    : Json{{"type", "auto"}};
  if (body.contains("parallel_tool_calls") && body["parallel_tool_calls"] == false &&
      choice["type"] != "none")
    choice["disable_parallel_tool_use"] = true;
  out["tool_choice"] = std::move(choice);
}

}  // namespace

Json anthropic_request(const Json& body, const AnthropicRequestOptions& options) {
  check_translatable(body);
  Conversation conversation = translate_messages(body["messages"]);

  Json out = {{"model", options.model}};
  const int64_t max_tokens = read_max_tokens(body, options.default_max_tokens);
  if (max_tokens < 1) throw invalid_param("max_tokens", "max_tokens is required");
  out["max_tokens"] = max_tokens;
  if (!conversation.system.empty()) out["system"] = conversation.system;
  out["messages"] = std::move(conversation.messages);
  if (options.stream) out["stream"] = true;
  add_sampling(body, out);
  add_tools(body, out);

  Json thinking = thinking_config(body, max_tokens);
  if (!thinking.is_null()) out["thinking"] = std::move(thinking);
  return out;
}

}  // namespace junction::gateway
