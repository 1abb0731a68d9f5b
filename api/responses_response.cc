#include "api/responses_response.h"

#include <algorithm>
#include <stdexcept>

#include "api/json_fields.h"

namespace junction::api {
namespace {

using Json = nlohmann::ordered_json;

Json echo(const Json& request, const char* name, Json fallback) {
  auto it = request.find(name);
  return it == request.end() || it->is_null() ? fallback : *it;
}

std::string suffix(const std::string& id) {
  const size_t dash = id.find('-');
  if (id.rfind("resp_", 0) == 0) return id.substr(5);
  return dash == std::string::npos ? id : id.substr(dash + 1);
}

}  // namespace

std::string response_id(const std::string& chat_id) {
  return "resp_" + suffix(chat_id);
}

Json responses_usage(const Json& usage) {
  const int64_t input = count(usage, "prompt_tokens"), output = count(usage, "completion_tokens");
  int64_t cached = 0, reasoning = 0;
  if (auto d = usage.find("prompt_tokens_details"); d != usage.end() && d->is_object())
    cached = count(*d, "cached_tokens");
  if (auto d = usage.find("completion_tokens_details"); d != usage.end() && d->is_object())
    reasoning = count(*d, "reasoning_tokens");
  return {{"input_tokens", input},
          {"input_tokens_details", {{"cached_tokens", std::clamp<int64_t>(cached, 0, input)}}},
          {"output_tokens", output},
          {"output_tokens_details", {{"reasoning_tokens", reasoning}}},
          {"total_tokens", input + output}};
}

Json incomplete_details(const Json& finish_reason) {
  if (finish_reason == "length") return {{"reason", "max_output_tokens"}};
  if (finish_reason == "content_filter") return {{"reason", "content_filter"}};
  return nullptr;
}

Json response_object(const ResponseHead& head, const std::string& status, Json output, Json usage,
                     Json incomplete) {
  const Json& r = head.request;
  Json text = echo(r, "text", Json::object());
  if (!text.contains("format")) text["format"] = {{"type", "text"}};
  Json reasoning = {{"effort", nullptr}, {"summary", nullptr}};
  if (auto it = r.find("reasoning"); it != r.end() && it->is_object())
    for (auto& [k, v] : it->items()) reasoning[k] = v;
  return {{"id", head.id},
          {"object", "response"},
          {"created_at", head.created_at},
          {"status", status},
          {"error", nullptr},
          {"incomplete_details", std::move(incomplete)},
          {"instructions", echo(r, "instructions", nullptr)},
          {"max_output_tokens", echo(r, "max_output_tokens", nullptr)},
          {"model", head.model},
          {"output", std::move(output)},
          {"parallel_tool_calls", echo(r, "parallel_tool_calls", true)},
          {"previous_response_id", echo(r, "previous_response_id", nullptr)},
          {"reasoning", std::move(reasoning)},
          {"store", echo(r, "store", true)},
          {"temperature", echo(r, "temperature", 1.0)},
          {"text", std::move(text)},
          {"tool_choice", echo(r, "tool_choice", "auto")},
          {"tools", echo(r, "tools", Json::array())},
          {"top_p", echo(r, "top_p", 1.0)},
          {"truncation", "disabled"},
          {"usage", std::move(usage)},
          {"user", echo(r, "user", nullptr)},
          {"metadata", echo(r, "metadata", Json::object())}};
}

Json response_from_chat(const Json& completion, const Json& request) {
  if (!completion.is_object() || !completion.contains("choices") ||
      !completion["choices"].is_array() || completion["choices"].size() != 1 ||
      !completion["choices"][0].is_object() || !completion["choices"][0].contains("message") ||
      !completion["choices"][0]["message"].is_object())
    throw std::runtime_error("the chat answer has no single choice with a message");
  const Json& choice = completion["choices"][0];
  const Json& m = choice["message"];
  const std::string id = suffix(string_or_empty(completion, "id"));
  Json output = Json::array();
  const std::string reasoning = string_or_empty(m, "reasoning_content");
  if (!reasoning.empty())
    output.push_back({{"id", "rs_" + id},
                      {"type", "reasoning"},
                      {"summary", Json::array()},
                      {"content", {{{"type", "reasoning_text"}, {"text", reasoning}}}}});
  const std::string text = string_or_empty(m, "content");
  if (!text.empty())
    output.push_back({{"id", "msg_" + id},
                      {"type", "message"},
                      {"status", "completed"},
                      {"role", "assistant"},
                      {"content",
                       {{{"type", "output_text"},
                         {"text", text},
                         {"annotations", Json::array()},
                         {"logprobs", Json::array()}}}}});
  if (m.contains("tool_calls") && m["tool_calls"].is_array()) {
    size_t n = 0;
    for (const Json& call : m["tool_calls"]) {
      if (!call.is_object() || !call.contains("function") || !call["function"].is_object())
        continue;
      output.push_back({{"id", "fc_" + id + "_" + std::to_string(n++)},
                        {"type", "function_call"},
                        {"status", "completed"},
                        {"arguments", string_or_empty(call["function"], "arguments")},
                        {"call_id", string_or_empty(call, "id")},
                        {"name", string_or_empty(call["function"], "name")}});
    }
  }
  const Json finish = choice.contains("finish_reason") ? choice["finish_reason"] : Json();
  Json incomplete = incomplete_details(finish);
  // Read before `incomplete` is moved into its parameter (argument order is unspecified).
  const std::string status = incomplete.is_null() ? "completed" : "incomplete";
  ResponseHead head{"resp_" + id, count(completion, "created"),
                    string_or_empty(completion, "model"), request};
  Json usage = responses_usage(completion.contains("usage") && completion["usage"].is_object()
                                   ? completion["usage"]
                                   : Json::object());
  return response_object(head, status, std::move(output), std::move(usage), std::move(incomplete));
}

Json assistant_message_from_output(const Json& output) {
  Json m = {{"role", "assistant"}, {"content", nullptr}};
  std::string text, reasoning;
  Json calls = Json::array();
  for (const Json& item : output) {
    const std::string type = string_or_empty(item, "type");
    if (type == "message" && item.contains("content") && item["content"].is_array()) {
      for (const Json& part : item["content"]) text += string_or_empty(part, "text");
    } else if (type == "reasoning" && item.contains("content") && item["content"].is_array()) {
      for (const Json& part : item["content"]) reasoning += string_or_empty(part, "text");
    } else if (type == "function_call") {
      calls.push_back({{"id", string_or_empty(item, "call_id")},
                       {"type", "function"},
                       {"function",
                        {{"name", string_or_empty(item, "name")},
                         {"arguments", string_or_empty(item, "arguments")}}}});
    }
  }
  if (!text.empty() || calls.empty()) m["content"] = text;
  if (!reasoning.empty()) m["reasoning_content"] = reasoning;
  if (!calls.empty()) m["tool_calls"] = std::move(calls);
  return m;
}

}  // namespace junction::api
