#include "compare/sse_event.h"

#include <nlohmann/json.hpp>

#include "core/json_depth.h"

namespace junction::compare {
namespace {

using Json = nlohmann::json;

bool non_empty_string(const Json& j, const char* key) {
  const auto it = j.find(key);
  return it != j.end() && it->is_string() && !it->get_ref<const std::string&>().empty();
}

}  // namespace

SseEvent parse_sse_line(std::string_view line) {
  SseEvent e;
  if (!line.starts_with("data:")) return e;
  std::string_view payload = line.substr(5);
  while (!payload.empty() && payload.front() == ' ') payload.remove_prefix(1);
  if (payload == "[DONE]") {
    e.kind = SseEvent::Kind::kDone;
    return e;
  }
  const Json j = parse_json<Json>(payload);
  if (!j.is_object()) return e;
  if (const auto err = j.find("error"); err != j.end()) {
    e.kind = SseEvent::Kind::kError;
    if (err->is_object() && err->contains("message") && (*err)["message"].is_string())
      e.error = (*err)["message"].get<std::string>();
    else
      e.error = err->dump();
    return e;
  }
  e.kind = SseEvent::Kind::kData;
  if (const auto choices = j.find("choices"); choices != j.end() && choices->is_array())
    for (const Json& c : *choices) {
      if (!c.is_object()) continue;
      if (non_empty_string(c, "text")) e.has_text = true;
      if (const auto d = c.find("delta"); d != c.end() && d->is_object())
        if (non_empty_string(*d, "content") || non_empty_string(*d, "reasoning_content") ||
            non_empty_string(*d, "reasoning"))
          e.has_text = true;
    }
  if (const auto u = j.find("usage"); u != j.end() && u->is_object()) {
    if (const auto p = u->find("prompt_tokens"); p != u->end() && p->is_number_integer())
      e.prompt_tokens = p->get<int64_t>();
    if (const auto c = u->find("completion_tokens"); c != u->end() && c->is_number_integer())
      e.completion_tokens = c->get<int64_t>();
  }
  return e;
}

}  // namespace junction::compare
