#include "gateway/answer_rewrite.h"

#include <nlohmann/json.hpp>
#include <vector>

#include "core/json_depth.h"
#include "gateway/anthropic_response.h"
#include "gateway/json_members.h"
#include "http/api_error.h"

namespace junction::gateway {
namespace {

using Json = nlohmann::json;

std::string dump(const Json& j) {
  return j.dump(-1, ' ', false, Json::error_handler_t::replace);
}

// The client's answer from an OpenAI-style upstream answer, edited in its text (id, model,
// provider, usage with the cost) rather than parsed and dumped whole. nullopt when the answer
// is anything but plain (invalid, no choices, no usage object, a rewritten key duplicated or
// escaped): the tree path then judges it.
std::optional<WholeAnswer> rewrite_in_text(std::string_view text, const AnswerIds& ids,
                                           const Price& price, const ReservationSize& size) {
  const auto members = top_level_members(text);
  if (!members) return std::nullopt;
  const JsonMember* usage_member = nullptr;
  int n_choices = 0, n_id = 0, n_model = 0, n_provider = 0, n_usage = 0;
  for (const JsonMember& m : *members) {
    if (m.key_escaped) return std::nullopt;
    n_choices += m.key == "choices";
    n_id += m.key == "id";
    n_model += m.key == "model";
    n_provider += m.key == "provider";
    if (m.key == "usage") {
      ++n_usage;
      usage_member = &m;
    }
  }
  if (n_choices != 1 || n_id > 1 || n_model > 1 || n_provider > 1 || n_usage != 1)
    return std::nullopt;
  Json u = parse_json(
      text.substr(usage_member->value_begin, usage_member->value_end - usage_member->value_begin));
  if (!u.is_object()) return std::nullopt;
  WholeAnswer out;
  out.charge = charge_usage(price, read_usage(u), size);
  u["cost"] = nano_to_usd(out.charge.cost);
  out.text = edit_members(text, *members,
                          {{"id", "\"" + ids.request_id + "\""},
                           {"model", Json(ids.model).dump()},
                           {"provider", Json(ids.provider).dump()},
                           {"usage", dump(u)}});
  return out;
}

// The same through a parsed tree: any answer, Anthropic ones translated.
WholeAnswer rewrite_tree(std::string_view text, bool anthropic, const AnswerIds& ids,
                         const Price& price, const ReservationSize& size, int64_t prompt_chars) {
  WholeAnswer out;
  Json j = parse_json(text);
  if (j.is_discarded()) {
    out.error = "upstream answered with invalid JSON";
    return out;
  }
  if (anthropic) {
    if (!j.is_object() || !j.contains("type") || j["type"] != "message") {
      out.error = "upstream answer is not an Anthropic message";
      return out;
    }
    j = openai_completion_from_anthropic(j, ids.created_s);
  }
  if (!j.is_object() || !j.contains("choices")) {
    out.error = "upstream answer has no choices";
    return out;
  }
  const bool has_usage = j.contains("usage") && j["usage"].is_object();
  out.charge = charge_usage(
      price, has_usage ? read_usage(j["usage"]) : estimated_usage(prompt_chars, 0), size);
  j["id"] = ids.request_id;
  j["model"] = ids.model;
  j["provider"] = ids.provider;
  if (!has_usage) {
    const TokenUsage& u = out.charge.reported;
    j["usage"] = {{"prompt_tokens", u.prompt_tokens},
                  {"completion_tokens", u.completion_tokens},
                  {"total_tokens", u.prompt_tokens + u.completion_tokens}};
  }
  j["usage"]["cost"] = nano_to_usd(out.charge.cost);
  out.text = dump(j);
  return out;
}

Json chunk_base(const AnswerIds& ids) {
  return {{"id", ids.request_id},
          {"object", ids.chat ? "chat.completion.chunk" : "text_completion"},
          {"created", ids.created_s},
          {"model", ids.model}};
}

}  // namespace

Charge charge_usage(const Price& price, const TokenUsage& reported, const ReservationSize& size) {
  Charge c;
  c.reported = reported;
  c.tokens = clamp_usage(reported, size, &c.clamped);
  c.cost = charge_for(price, c.tokens, size, &c.clamped);
  return c;
}

TokenUsage read_usage(const Json& u) {
  TokenUsage t;
  auto get = [](const Json& o, const char* k) -> int64_t {
    return o.is_object() && o.contains(k) && o[k].is_number_integer() ? o[k].get<int64_t>() : 0;
  };
  t.prompt_tokens = get(u, "prompt_tokens");
  t.completion_tokens = get(u, "completion_tokens");
  if (u.contains("completion_tokens_details"))
    t.reasoning_tokens = get(u["completion_tokens_details"], "reasoning_tokens");
  if (u.contains("prompt_tokens_details"))
    t.cached_tokens = get(u["prompt_tokens_details"], "cached_tokens");
  return t;
}

TokenUsage estimated_usage(int64_t prompt_chars, int64_t content_chunks) {
  TokenUsage u;
  u.prompt_tokens = (prompt_chars + 3) / 4;
  u.completion_tokens = content_chunks;
  return u;
}

WholeAnswer rewrite_whole_answer(std::string_view text, bool anthropic, const AnswerIds& ids,
                                 const Price& price, const ReservationSize& size,
                                 int64_t prompt_chars) {
  if (!anthropic)
    if (auto out = rewrite_in_text(text, ids, price, size)) return std::move(*out);
  return rewrite_tree(text, anthropic, ids, price, size, prompt_chars);
}

StreamEvent rewrite_stream_event(std::string_view data, const AnswerIds& ids) {
  StreamEvent ev;
  if (data == "[DONE]") {
    ev.kind = StreamEvent::Kind::kDone;
    return ev;
  }
  Json j = parse_json(data);
  if (j.is_discarded() || !j.is_object()) {
    ev.kind = StreamEvent::Kind::kBroken;
    ev.text = j.is_discarded() ? "upstream sent an event that is not JSON"
                               : "upstream sent an event that is not a JSON object";
    return ev;
  }
  if (j.contains("error")) {
    const Json& e = j["error"];
    ev.kind = StreamEvent::Kind::kBroken;
    ev.text = "upstream error event: " +
              (e.is_object() && e.contains("message") && e["message"].is_string()
                   ? e["message"].get<std::string>()
                   : e.dump());
    return ev;
  }
  if (j.contains("usage") && j["usage"].is_object()) ev.usage = read_usage(j["usage"]);
  j.erase("usage");
  const bool has_choices =
      j.contains("choices") && j["choices"].is_array() && !j["choices"].empty();
  if (!has_choices) return ev;  // the usage chunk: re-sent at the end with the cost
  for (const auto& c : j["choices"]) {
    const Json* delta = c.contains("delta") ? &c["delta"] : nullptr;
    if ((delta && delta->is_object() && !delta->empty() &&
         (delta->contains("content") || delta->contains("reasoning_content") ||
          delta->contains("tool_calls"))) ||
        (c.contains("text") && c["text"].is_string() &&
         !c["text"].get_ref<const std::string&>().empty()))
      ++ev.content_chunks;
  }
  j["id"] = ids.request_id;
  j["model"] = ids.model;
  ev.kind = StreamEvent::Kind::kChunk;
  ev.text = dump(j);
  return ev;
}

std::string stream_usage_chunk(const AnswerIds& ids, const TokenUsage& usage, NanoUsd cost) {
  Json u = chunk_base(ids);
  u["choices"] = Json::array();
  u["usage"] = {{"prompt_tokens", usage.prompt_tokens},
                {"completion_tokens", usage.completion_tokens},
                {"total_tokens", usage.prompt_tokens + usage.completion_tokens},
                {"prompt_tokens_details", {{"cached_tokens", usage.cached_tokens}}},
                {"completion_tokens_details", {{"reasoning_tokens", usage.reasoning_tokens}}},
                {"cost", nano_to_usd(cost)}};
  return u.dump();
}

std::string stream_upstream_error_event(const AnswerIds& ids, const std::string& what) {
  Json e = chunk_base(ids);
  Json choice = {{"index", 0}, {"finish_reason", "error"}};
  if (ids.chat)
    choice["delta"] = Json::object();
  else
    choice["text"] = "";
  e["choices"] = Json::array({choice});
  e["error"] = {
      {"message", "The upstream " + ids.provider + " failed after the response started: " + what},
      {"type", "upstream_error"},
      {"param", nullptr},
      {"code", 502}};
  return dump(e);
}

std::string stream_store_error_event(const AnswerIds& ids, const std::string& message) {
  Json e = chunk_base(ids);
  e["choices"] = Json::array();
  e["error"] = {{"message", message},
                {"type", "server_error"},
                {"param", nullptr},
                {"code", "store_unavailable"}};
  return e.dump();
}

std::string rejection_body(int status, const std::string& upstream_body, bool anthropic,
                           const std::string& provider) {
  if (anthropic) return openai_error_from_anthropic(status, upstream_body);
  if (!Json::accept(upstream_body))
    return http::ApiError(status, "upstream " + provider + ": " + upstream_body).to_json();
  return upstream_body;
}

}  // namespace junction::gateway
