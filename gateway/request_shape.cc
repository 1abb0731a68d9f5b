#include "gateway/request_shape.h"

#include <nlohmann/json.hpp>

#include "gateway/json_members.h"
#include "http/api_error.h"

namespace junction::gateway {
namespace {

using Json = nlohmann::json;
using http::invalid_param;

constexpr int64_t kPerMessageTokens = 8;  // role markers and separators a template adds
// What one image may cost as prompt tokens, whatever its URL's length: OpenAI's high-detail
// images come to at most ~1,500 tokens (gpt-4o: 85 + 170 per 512 px tile of a 768 x 2048
// image; ~2,500 for the patch-based mini models), Anthropic's ~1,600, Gemini's 258 per tile.
// A short https URL would otherwise reserve a few dozen.
constexpr int64_t kImageTokens = 4096;

bool is_image_part(const Json& v) {
  if (!v.is_object()) return false;
  const auto type = v.find("type");
  if (type == v.end() || !type->is_string()) return false;
  const std::string& t = type->get_ref<const std::string&>();
  return t == "image_url" || t == "input_image" || t == "image";
}

// Bytes of text (each at most a token) plus a bound for each image part.
int64_t text_bytes(const Json& v) {
  if (v.is_string()) return static_cast<int64_t>(v.get_ref<const std::string&>().size());
  if (v.is_array() || v.is_object()) {
    int64_t n = is_image_part(v) ? kImageTokens : 0;
    for (const auto& item : v) n += text_bytes(item);
    return n;
  }
  return 0;
}

std::vector<std::string> string_list(const Json& v, const std::string& field) {
  if (!v.is_array()) throw invalid_param(field, "'" + field + "' must be a list of strings");
  std::vector<std::string> out;
  for (const auto& s : v) {
    if (!s.is_string()) throw invalid_param(field, "'" + field + "' must be a list of strings");
    out.push_back(s.get<std::string>());
  }
  return out;
}

ProviderPreferences read_provider(const Json& p) {
  if (!p.is_object()) throw invalid_param("provider", "'provider' must be an object");
  ProviderPreferences prefs;
  if (p.contains("order")) prefs.order = string_list(p["order"], "provider.order");
  if (p.contains("only")) prefs.only = string_list(p["only"], "provider.only");
  if (p.contains("ignore")) prefs.ignore = string_list(p["ignore"], "provider.ignore");
  if (p.contains("allow_fallbacks")) {
    if (!p["allow_fallbacks"].is_boolean())
      throw invalid_param("provider.allow_fallbacks", "'allow_fallbacks' must be a boolean");
    prefs.allow_fallbacks = p["allow_fallbacks"].get<bool>();
  }
  if (p.contains("sort")) {
    if (!p["sort"].is_string()) throw invalid_param("provider.sort", "'sort' must be a string");
    prefs.sort = p["sort"].get<std::string>();
    if (prefs.sort != "price" && prefs.sort != "throughput" && prefs.sort != "latency")
      throw invalid_param("provider.sort", "'sort' must be price, throughput or latency");
  }
  if (p.contains("max_price")) {
    const Json& m = p["max_price"];
    if (!m.is_object()) throw invalid_param("provider.max_price", "'max_price' must be an object");
    if (m.contains("prompt") && m["prompt"].is_number())
      prefs.max_prompt_price = m["prompt"].get<double>();
    if (m.contains("completion") && m["completion"].is_number())
      prefs.max_completion_price = m["completion"].get<double>();
  }
  return prefs;
}

// llama.cpp's n_predict allows more than `bound` tokens: above it, negative (unlimited), or not
// an integer it could read otherwise.
bool n_predict_over(const Json& n_predict, int64_t bound) {
  return !n_predict.is_number_integer() || n_predict.get<int64_t>() < 0 ||
         n_predict.get<int64_t>() > bound;
}

}  // namespace

RequestShape read_request_shape(const Json& body, bool chat) {
  if (!body.is_object()) throw http::ApiError(400, "the request body must be a JSON object");
  RequestShape r;
  if (body.contains("model")) {
    if (!body["model"].is_string()) throw invalid_param("model", "'model' must be a string");
    r.model = body["model"].get<std::string>();
  }
  if (body.contains("models")) r.models = string_list(body["models"], "models");
  if (r.model.empty() && r.models.empty())
    throw invalid_param("model", "'model' is required", "missing_required_parameter");
  if (body.contains("provider")) r.provider = read_provider(body["provider"]);
  if (body.contains("quality")) {
    const Json& q = body["quality"];
    if (!q.is_object()) throw invalid_param("quality", "'quality' must be an object");
    if (q.contains("metric")) {
      // Bounded: it is named back in the answer when no model meets the bar.
      if (!q["metric"].is_string() || q["metric"].get<std::string>().empty() ||
          q["metric"].get<std::string>().size() > 256)
        throw invalid_param("quality", "'quality.metric' must be a string of 1 to 256 bytes");
      r.quality_metric = q["metric"].get<std::string>();
    }
    if (q.contains("min_score")) {
      if (!q["min_score"].is_number())
        throw invalid_param("quality", "'quality.min_score' must be a number");
      r.quality_min_score = q["min_score"].get<double>();
    }
  }
  if (body.contains("stream")) {
    if (!body["stream"].is_boolean()) throw invalid_param("stream", "'stream' must be a boolean");
    r.stream = body["stream"].get<bool>();
  }
  if (body.contains("stream_options") && body["stream_options"].is_object()) {
    const Json& so = body["stream_options"];
    r.include_usage = so.contains("include_usage") && so["include_usage"].is_boolean() &&
                      so["include_usage"].get<bool>();
  }
  for (const char* field : {"max_completion_tokens", "max_tokens"}) {
    if (!body.contains(field) || body[field].is_null()) continue;
    if (!body[field].is_number_integer() || body[field].get<int64_t>() < 0)
      throw invalid_param(field, std::string("'") + field + "' must be a non-negative integer");
    r.max_tokens = body[field].get<int64_t>();
    r.max_tokens_field = field;
    break;
  }
  if (body.contains("n")) {
    if (!body["n"].is_number_integer() || body["n"].get<int64_t>() < 1)
      throw invalid_param("n", "'n' must be a positive integer");
    r.n = body["n"].get<int64_t>();
  }
  if (chat) {
    if (!body.contains("messages") || !body["messages"].is_array())
      throw invalid_param("messages", "'messages' must be a list", "missing_required_parameter");
    const Json& messages = body["messages"];
    r.prompt_chars = text_bytes(messages);
    if (body.contains("tools")) r.prompt_chars += static_cast<int64_t>(body["tools"].dump().size());
    r.prompt_tokens_upper_bound =
        r.prompt_chars + kPerMessageTokens * static_cast<int64_t>(messages.size() + 1);
  } else {
    if (!body.contains("prompt"))
      throw invalid_param("prompt", "'prompt' is required", "missing_required_parameter");
    const Json& prompt = body["prompt"];
    // A string, a list of token ids (one prompt), or a list of strings or id lists (one prompt
    // each, n choices each). Token-id prompts: each number is one token.
    const bool one = !prompt.is_array() || prompt.empty() || prompt.front().is_number();
    r.n_prompts = one ? 1 : static_cast<int64_t>(prompt.size());
    int64_t ids = 0;
    if (prompt.is_array())
      for (const auto& p : prompt) {
        if (p.is_number_integer()) ++ids;
        if (p.is_array()) ids += static_cast<int64_t>(p.size());
      }
    r.prompt_chars = text_bytes(prompt);
    r.prompt_tokens_upper_bound = r.prompt_chars + ids + kPerMessageTokens * r.n_prompts;
  }
  return r;
}

std::string upstream_body(const Json& body, const std::string& upstream_model, bool stream,
                          const TokenBound& bound) {
  Json out = body;
  if (bound.max_tokens >= 0) {
    if (bound.add_max_tokens) out["max_tokens"] = bound.max_tokens;
    if (out.contains("n_predict") && n_predict_over(out["n_predict"], bound.max_tokens))
      out["n_predict"] = bound.max_tokens;
  }
  out["model"] = upstream_model;
  out.erase("models");
  out.erase("provider");
  out.erase("route");
  out.erase("transforms");
  out.erase("quality");
  if (stream) {
    // As upstream_body_text: stream_options that is not an object (read_request_shape reads
    // it as no include_usage) is replaced, not indexed into (nlohmann throws on a non-object).
    if (!out.contains("stream_options") || !out["stream_options"].is_object())
      out["stream_options"] = Json::object();
    out["stream_options"]["include_usage"] = true;
  }
  return out.dump();
}

std::optional<std::string> upstream_body_text(std::string_view body_text,
                                              const std::string& upstream_model, bool stream,
                                              const TokenBound& bound) {
  const auto members = top_level_members(body_text);
  if (!members) return std::nullopt;
  const JsonMember* stream_options = nullptr;
  bool lower_n_predict = false;
  for (const JsonMember& m : *members) {
    if (m.key_escaped) return std::nullopt;
    if (m.key == "stream_options") {
      if (stream_options) return std::nullopt;
      stream_options = &m;
    }
    if (m.key == "n_predict" && bound.max_tokens >= 0)
      lower_n_predict |=
          n_predict_over(Json::parse(body_text.substr(m.value_begin, m.value_end - m.value_begin)),
                         bound.max_tokens);
  }
  const std::string model = Json(upstream_model).dump();
  std::vector<MemberEdit> edits = {
      {"model", model},        {"models", std::nullopt},     {"provider", std::nullopt},
      {"route", std::nullopt}, {"transforms", std::nullopt}, {"quality", std::nullopt}};
  const std::string max_tokens = std::to_string(bound.max_tokens);
  if (bound.max_tokens >= 0 && bound.add_max_tokens) edits.emplace_back("max_tokens", max_tokens);
  if (lower_n_predict) edits.emplace_back("n_predict", max_tokens);
  std::string options;
  if (stream) {
    Json o = Json::object();
    if (stream_options) {
      o = Json::parse(body_text.substr(stream_options->value_begin,
                                       stream_options->value_end - stream_options->value_begin));
      if (!o.is_object()) o = Json::object();
    }
    o["include_usage"] = true;
    options = o.dump();
    edits.emplace_back("stream_options", options);
  }
  return edit_members(body_text, *members, edits);
}

}  // namespace junction::gateway
