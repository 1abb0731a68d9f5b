#include "api/responses_stream.h"

#include "api/json_fields.h"
#include "api/messages_stream.h"

namespace junction::api {

using Json = nlohmann::ordered_json;

ResponsesStream::ResponsesStream(Json request) {
  head_.request = std::move(request);
}

std::string ResponsesStream::event(Json e) {
  e["sequence_number"] = sequence_++;
  const std::string type = e["type"];
  return sse_named_event(type, e);
}

std::string ResponsesStream::start(const Json& chunk) {
  if (started_) return "";
  started_ = true;
  head_.id = response_id(string_or_empty(chunk, "id"));
  head_.model = string_or_empty(chunk, "model");
  if (auto c = chunk.find("created"); c != chunk.end() && c->is_number_integer())
    head_.created_at = c->get<int64_t>();
  const Json r = response_object(head_, "in_progress", Json::array(), nullptr);
  std::string out = event({{"type", "response.created"}, {"response", r}});
  out += event({{"type", "response.in_progress"}, {"response", r}});  // numbered after
  return out;
}

std::string ResponsesStream::close_item() {
  if (item_ == Item::kNone) return "";
  const int64_t index = static_cast<int64_t>(output_.size()) - 1;
  Json& item = output_.back();
  const std::string id = item["id"];
  std::string out;
  if (item_ == Item::kMessage || item_ == Item::kReasoning) {
    const bool message = item_ == Item::kMessage;
    Json part = message ? Json{{"type", "output_text"},
                               {"text", text_},
                               {"annotations", Json::array()},
                               {"logprobs", Json::array()}}
                        : Json{{"type", "reasoning_text"}, {"text", text_}};
    Json done = {{"type", message ? "response.output_text.done" : "response.reasoning_text.done"},
                 {"item_id", id},
                 {"output_index", index},
                 {"content_index", 0},
                 {"text", text_}};
    if (message) done["logprobs"] = Json::array();
    out += event(std::move(done));
    out += event({{"type", "response.content_part.done"},
                  {"item_id", id},
                  {"output_index", index},
                  {"content_index", 0},
                  {"part", part}});
    item["content"] = Json::array({part});
    if (message) item["status"] = "completed";
  } else {
    out += event({{"type", "response.function_call_arguments.done"},
                  {"item_id", id},
                  {"output_index", index},
                  {"arguments", text_}});
    item["arguments"] = text_;
    item["status"] = "completed";
  }
  out += event({{"type", "response.output_item.done"}, {"output_index", index}, {"item", item}});
  item_ = Item::kNone;
  text_.clear();
  return out;
}

std::string ResponsesStream::open(Item kind, Json item) {
  std::string out = close_item();
  item_ = kind;
  output_.push_back(item);
  const int64_t index = static_cast<int64_t>(output_.size()) - 1;
  out += event({{"type", "response.output_item.added"}, {"output_index", index}, {"item", item}});
  if (kind == Item::kMessage)
    out += event({{"type", "response.content_part.added"},
                  {"item_id", item["id"]},
                  {"output_index", index},
                  {"content_index", 0},
                  {"part",
                   {{"type", "output_text"},
                    {"text", ""},
                    {"annotations", Json::array()},
                    {"logprobs", Json::array()}}}});
  if (kind == Item::kReasoning)
    out += event({{"type", "response.content_part.added"},
                  {"item_id", item["id"]},
                  {"output_index", index},
                  {"content_index", 0},
                  {"part", {{"type", "reasoning_text"}, {"text", ""}}}});
  return out;
}

std::string ResponsesStream::on_delta(const Json& d) {
  std::string out;
  const std::string base = head_.id.substr(5);
  const auto index = [&] { return static_cast<int64_t>(output_.size()) - 1; };
  const std::string reasoning = string_or_empty(d, "reasoning_content");
  if (!reasoning.empty()) {
    if (item_ != Item::kReasoning)
      out += open(Item::kReasoning, {{"id", "rs_" + base + "_" + std::to_string(output_.size())},
                                     {"type", "reasoning"},
                                     {"summary", Json::array()},
                                     {"content", Json::array()}});
    text_ += reasoning;
    out += event({{"type", "response.reasoning_text.delta"},
                  {"item_id", output_.back()["id"]},
                  {"output_index", index()},
                  {"content_index", 0},
                  {"delta", reasoning}});
  }
  const std::string text = string_or_empty(d, "content");
  if (!text.empty()) {
    if (item_ != Item::kMessage)
      out += open(Item::kMessage, {{"id", "msg_" + base + "_" + std::to_string(output_.size())},
                                   {"type", "message"},
                                   {"status", "in_progress"},
                                   {"role", "assistant"},
                                   {"content", Json::array()}});
    text_ += text;
    out += event({{"type", "response.output_text.delta"},
                  {"item_id", output_.back()["id"]},
                  {"output_index", index()},
                  {"content_index", 0},
                  {"delta", text},
                  {"logprobs", Json::array()}});
  }
  if (auto calls = d.find("tool_calls"); calls != d.end() && calls->is_array()) {
    for (const Json& call : *calls) {
      if (!call.is_object()) continue;
      const int64_t i = call.contains("index") && call["index"].is_number_integer()
                            ? call["index"].get<int64_t>()
                            : tool_call_ + 1;
      const Json function = call.contains("function") && call["function"].is_object()
                                ? call["function"]
                                : Json::object();
      if (item_ != Item::kFunctionCall || i != tool_call_) {
        tool_call_ = i;
        out += open(Item::kFunctionCall, {{"id", "fc_" + base + "_" + std::to_string(n_calls_++)},
                                          {"type", "function_call"},
                                          {"status", "in_progress"},
                                          {"arguments", ""},
                                          {"call_id", string_or_empty(call, "id")},
                                          {"name", string_or_empty(function, "name")}});
      }
      const std::string arguments = string_or_empty(function, "arguments");
      if (!arguments.empty()) {
        text_ += arguments;
        out += event({{"type", "response.function_call_arguments.delta"},
                      {"item_id", output_.back()["id"]},
                      {"output_index", index()},
                      {"delta", arguments}});
      }
    }
  }
  return out;
}

std::string ResponsesStream::finish() {
  std::string out = start(Json::object());
  out += close_item();
  ended_ = true;
  Json incomplete = incomplete_details(finish_reason_);
  const bool complete = incomplete.is_null();
  final_ = response_object(head_, complete ? "completed" : "incomplete", output_,
                           responses_usage(usage_), std::move(incomplete));
  out += event(
      {{"type", complete ? "response.completed" : "response.incomplete"}, {"response", final_}});
  return out;
}

std::string ResponsesStream::fail(const std::string& message) {
  std::string out = start(Json::object());
  ended_ = true;
  out += event(
      {{"type", "error"}, {"code", "server_error"}, {"message", message}, {"param", nullptr}});
  Json r = response_object(head_, "failed", output_, nullptr);
  r["error"] = {{"code", "server_error"}, {"message", message}};
  out += event({{"type", "response.failed"}, {"response", std::move(r)}});
  return out;
}

std::string ResponsesStream::on_data(std::string_view data) {
  if (ended_) return "";
  if (data == "[DONE]") return finish();
  const Json chunk = Json::parse(data, nullptr, /*allow_exceptions=*/false);
  if (!chunk.is_object()) return fail("The answer stream was malformed.");
  if (auto e = chunk.find("error"); e != chunk.end() && !e->is_null()) {
    const std::string message = e->is_object() ? string_or_empty(*e, "message") : "";
    return fail(message.empty() ? "The generation failed." : message);
  }
  std::string out = start(chunk);
  if (auto u = chunk.find("usage"); u != chunk.end() && u->is_object()) usage_ = *u;
  if (auto choices = chunk.find("choices"); choices != chunk.end() && choices->is_array()) {
    for (const Json& c : *choices) {
      if (!c.is_object()) continue;
      if (auto d = c.find("delta"); d != c.end() && d->is_object()) out += on_delta(*d);
      if (auto f = c.find("finish_reason"); f != c.end() && f->is_string()) {
        finish_reason_ = *f;
        out += close_item();
      }
    }
  }
  return out;
}

}  // namespace junction::api
