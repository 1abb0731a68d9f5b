#include "server/openai_request.h"

#include <cmath>
#include <limits>

#include "core/json_depth.h"
#include "http/api_error.h"
#include "http/json_body.h"

namespace junction::server {

using Json = nlohmann::ordered_json;

namespace {

const char* type_name(const Json& v) {
  switch (v.type()) {
    case Json::value_t::null:
      return "null";
    case Json::value_t::boolean:
      return "a boolean";
    case Json::value_t::string:
      return "a string";
    case Json::value_t::array:
      return "an array";
    case Json::value_t::object:
      return "an object";
    case Json::value_t::number_float:
      return "a decimal";
    default:
      return "an integer";
  }
}

http::ApiError wrong_type(const std::string& param, const char* expected, const Json& got) {
  return http::invalid_param(param,
                             "Invalid type for '" + param + "': expected " + expected +
                                 ", but got " + type_name(got) + " instead.",
                             "invalid_type");
}

Json parse_object(std::string_view body) {
  Json j = http::parse_json_body<Json>(body);
  if (!j.is_object())
    throw http::ApiError(400, "The request body must be a JSON object.", "invalid_request_error",
                         "", "invalid_json");
  return j;
}

// Field readers: absent or null -> nullopt; wrong type -> 400.
const Json* field(const Json& obj, const char* name) {
  auto it = obj.find(name);
  if (it == obj.end() || it->is_null()) return nullptr;
  return &*it;
}

std::optional<bool> get_bool(const Json& obj, const char* name) {
  const Json* v = field(obj, name);
  if (!v) return std::nullopt;
  if (!v->is_boolean()) throw wrong_type(name, "a boolean", *v);
  return v->get<bool>();
}

std::optional<double> get_number(const Json& obj, const char* name, double lo, double hi) {
  const Json* v = field(obj, name);
  if (!v) return std::nullopt;
  if (!v->is_number()) throw wrong_type(name, "a number", *v);
  const double x = v->get<double>();
  if (!std::isfinite(x) || x < lo || x > hi)
    throw http::invalid_param(name, "Invalid '" + std::string(name) + "': " + v->dump() +
                                        " is out of range; it must be between " + Json(lo).dump() +
                                        " and " + Json(hi).dump() + ".");
  return x;
}

std::optional<int64_t> get_int(const Json& obj, const char* name, int64_t lo, int64_t hi) {
  const Json* v = field(obj, name);
  if (!v) return std::nullopt;
  if (!v->is_number_integer() &&
      !(v->is_number_float() && std::floor(v->get<double>()) == v->get<double>() &&
        std::abs(v->get<double>()) < 9e15))
    throw wrong_type(name, "an integer", *v);
  const int64_t x =
      v->is_number_unsigned() && v->get<uint64_t>() > static_cast<uint64_t>(INT64_MAX)
          ? INT64_MAX
          : (v->is_number_float() ? static_cast<int64_t>(v->get<double>()) : v->get<int64_t>());
  if (x < lo || x > hi)
    throw http::invalid_param(name, "Invalid '" + std::string(name) + "': " + std::to_string(x) +
                                        " is out of range; it must be between " +
                                        std::to_string(lo) + " and " + std::to_string(hi) + ".");
  return x;
}

std::optional<std::string> get_string(const Json& obj, const char* name) {
  const Json* v = field(obj, name);
  if (!v) return std::nullopt;
  if (!v->is_string()) throw wrong_type(name, "a string", *v);
  return v->get<std::string>();
}

int32_t token_id(const Json& v, const std::string& param) {
  if (!v.is_number_integer()) throw wrong_type(param, "an integer token id", v);
  const int64_t id =
      v.is_number_unsigned() && v.get<uint64_t>() > INT32_MAX ? -1 : v.get<int64_t>();
  if (id < 0 || id > INT32_MAX)
    throw http::invalid_param(param, "Invalid token id " + v.dump() + " in '" + param + "'.");
  return static_cast<int32_t>(id);
}

// "stop": a string or up to 16 of them, none empty.
std::vector<std::string> parse_stop(const Json& stop) {
  std::vector<std::string> out;
  if (stop.is_string()) {
    out.push_back(stop.get<std::string>());
  } else if (stop.is_array()) {
    if (stop.size() > 16)
      throw http::invalid_param("stop", "Invalid 'stop': at most 16 stop sequences.");
    for (const Json& s : stop) {
      if (!s.is_string()) throw wrong_type("stop", "a string or an array of strings", s);
      out.push_back(s.get<std::string>());
    }
  } else {
    throw wrong_type("stop", "a string or an array of strings", stop);
  }
  for (const auto& s : out)
    if (s.empty())
      throw http::invalid_param("stop", "Invalid 'stop': empty stop sequences are not allowed.");
  return out;
}

// "logit_bias": {"<token id>": bias in [-100, 100]}.
std::vector<std::pair<int32_t, float>> parse_logit_bias(const Json& bias) {
  std::vector<std::pair<int32_t, float>> out;
  if (!bias.is_object()) throw wrong_type("logit_bias", "an object", bias);
  for (const auto& [key, value] : bias.items()) {
    int64_t id = -1;
    try {
      size_t used = 0;
      id = std::stoll(key, &used);
      if (used != key.size()) id = -1;
    } catch (const std::exception&) {
    }
    if (id < 0 || id > INT32_MAX)
      throw http::invalid_param("logit_bias",
                                "Invalid key in 'logit_bias': '" + key + "' is not a token id.");
    if (!value.is_number()) throw wrong_type("logit_bias", "a number", value);
    const double b = value.get<double>();
    if (!(b >= -100 && b <= 100))
      throw http::invalid_param(
          "logit_bias", "Invalid value in 'logit_bias': bias must be between -100 and 100.");
    out.emplace_back(static_cast<int32_t>(id), static_cast<float>(b));
  }
  return out;
}

SamplingOverrides parse_sampling(const Json& j) {
  SamplingOverrides s;
  if (auto t = get_number(j, "temperature", 0, 2)) s.temperature = static_cast<float>(*t);
  if (auto p = get_number(j, "top_p", 0, 1)) s.top_p = static_cast<float>(*p);
  if (auto p = get_number(j, "min_p", 0, 1)) s.min_p = static_cast<float>(*p);
  if (auto r = get_number(j, "repetition_penalty", 0, 100)) {
    if (*r <= 0)
      throw http::invalid_param("repetition_penalty",
                                "Invalid 'repetition_penalty': it must be positive.");
    s.repetition_penalty = static_cast<float>(*r);
  }
  if (auto k = get_int(j, "top_k", -1, INT32_MAX)) s.top_k = *k < 0 ? 0 : *k;
  s.presence_penalty = static_cast<float>(get_number(j, "presence_penalty", -2, 2).value_or(0));
  s.frequency_penalty = static_cast<float>(get_number(j, "frequency_penalty", -2, 2).value_or(0));
  if (const Json* seed = field(j, "seed")) {
    if (!seed->is_number_integer()) throw wrong_type("seed", "an integer", *seed);
    s.seed = seed->is_number_unsigned() ? seed->get<uint64_t>()
                                        : static_cast<uint64_t>(seed->get<int64_t>());
  }
  if (const Json* bias = field(j, "logit_bias")) s.logit_bias = parse_logit_bias(*bias);
  return s;
}

GenerationOptions parse_options(const Json& j, bool chat) {
  GenerationOptions o;
  const Json* model = field(j, "model");
  if (!model)
    throw http::invalid_param("model", "you must provide a model parameter",
                              "missing_required_parameter");
  if (!model->is_string()) throw wrong_type("model", "a string", *model);
  o.model = model->get<std::string>();

  o.max_tokens = get_int(j, "max_tokens", 0, INT32_MAX);
  if (auto m = get_int(j, "max_completion_tokens", 0, INT32_MAX)) o.max_tokens = m;
  o.min_tokens = get_int(j, "min_tokens", 0, INT32_MAX).value_or(0);
  if (o.max_tokens && o.min_tokens > *o.max_tokens)
    throw http::invalid_param("min_tokens", "min_tokens must not exceed max_tokens.");
  o.n = static_cast<int>(get_int(j, "n", 1, 128).value_or(1));
  if (const Json* stop = field(j, "stop")) o.stop = parse_stop(*stop);
  if (const Json* ids = field(j, "stop_token_ids")) {
    if (!ids->is_array()) throw wrong_type("stop_token_ids", "an array of token ids", *ids);
    for (const Json& id : *ids) o.stop_token_ids.push_back(token_id(id, "stop_token_ids"));
  }
  o.stream = get_bool(j, "stream").value_or(false);
  if (const Json* so = field(j, "stream_options")) {
    if (!so->is_object()) throw wrong_type("stream_options", "an object", *so);
    o.include_usage = get_bool(*so, "include_usage").value_or(false);
  }
  o.ignore_eos = get_bool(j, "ignore_eos").value_or(false);
  o.skip_special_tokens = get_bool(j, "skip_special_tokens").value_or(true);
  o.user = get_string(j, "user").value_or("");

  o.sampling = parse_sampling(j);
  (void)chat;
  return o;
}

// A message's content: string, null, or an array of {type: "text", text} parts (joined by "\n").
Json normalize_content(const Json& content, size_t index) {
  const std::string param = "messages[" + std::to_string(index) + "].content";
  if (content.is_null() || content.is_string()) return content;
  if (!content.is_array())
    throw wrong_type(param, "a string or an array of content parts", content);
  std::string text;
  bool first = true;
  for (const Json& part : content) {
    if (!part.is_object()) throw wrong_type(param, "a content part object", part);
    const auto type = get_string(part, "type").value_or("");
    if (type == "text") {
      const auto t = get_string(part, "text");
      if (!t)
        throw http::invalid_param(param, "A text content part needs a 'text' string.",
                                  "missing_required_parameter");
      if (!first) text += "\n";
      text += *t;
      first = false;
    } else if (type == "image_url" || type == "input_audio" || type == "file" || type == "image") {
      throw http::invalid_param(
          param,
          "This model accepts text only; content parts of type '" + type + "' are not supported.",
          "unsupported_content");
    } else {
      throw http::invalid_param(param, "Unknown content part type '" + type + "'.");
    }
  }
  return text;
}

Json parse_messages(const Json& j, const char* name) {
  const Json* messages = field(j, name);
  if (!messages)
    throw http::invalid_param(name, "Missing required parameter: 'messages'.",
                              "missing_required_parameter");
  if (!messages->is_array()) throw wrong_type(name, "an array", *messages);
  if (messages->empty())
    throw http::invalid_param(
        name, "Invalid 'messages': empty array. Expected an array with minimum length 1.",
        "empty_array");
  Json out = Json::array();
  for (size_t i = 0; i < messages->size(); ++i) {
    const Json& m = (*messages)[i];
    const std::string param = "messages[" + std::to_string(i) + "]";
    if (!m.is_object()) throw wrong_type(param, "an object", m);
    const Json* role = field(m, "role");
    if (!role)
      throw http::invalid_param(param + ".role",
                                "Missing required parameter: '" + param + ".role'.",
                                "missing_required_parameter");
    if (!role->is_string()) throw wrong_type(param + ".role", "a string", *role);
    std::string r = role->get<std::string>();
    if (r != "system" && r != "user" && r != "assistant" && r != "tool" && r != "developer" &&
        r != "function")
      throw http::invalid_param(
          param + ".role",
          "Invalid value: '" + r +
              "'. Supported values are: 'system', 'assistant', 'user', 'tool', and 'developer'.");
    Json copy = m;
    if (r == "developer") copy["role"] = "system";
    auto content = m.find("content");
    if (content == m.end()) {
      if (r != "assistant")
        throw http::invalid_param(param + ".content",
                                  "Missing required parameter: '" + param + ".content'.",
                                  "missing_required_parameter");
      copy["content"] = nullptr;
    } else {
      copy["content"] = normalize_content(*content, i);
    }
    if (const Json* calls = field(m, "tool_calls")) {
      if (!calls->is_array()) throw wrong_type(param + ".tool_calls", "an array", *calls);
      for (Json& call : copy["tool_calls"]) {
        if (!call.is_object() || !call.contains("function") || !call["function"].is_object())
          throw http::invalid_param(param + ".tool_calls",
                                    "Each tool call needs a 'function' object.");
        Json& fn = call["function"];
        if (!fn.contains("name") || !fn["name"].is_string())
          throw http::invalid_param(param + ".tool_calls", "Each tool call needs a function name.");
        // Templates iterate arguments as a mapping (Qwen3 accepts both); give them one.
        if (fn.contains("arguments") && fn["arguments"].is_string()) {
          Json args = parse_json<Json>(fn["arguments"].get_ref<const std::string&>());
          if (!args.is_discarded() && args.is_object()) fn["arguments"] = args;
        }
      }
    }
    out.push_back(std::move(copy));
  }
  return out;
}

Json parse_kwargs(const Json& j) {
  const Json* k = field(j, "chat_template_kwargs");
  if (!k) return Json::object();
  if (!k->is_object()) throw wrong_type("chat_template_kwargs", "an object", *k);
  return *k;
}

std::vector<int32_t> parse_ids(const Json& a, const std::string& param) {
  std::vector<int32_t> ids;
  ids.reserve(a.size());
  for (const Json& v : a) ids.push_back(token_id(v, param));
  return ids;
}

// "tools": [{type: "function", function: {name, parameters?}}]; empty is none (null).
Json parse_tools(const Json& tools) {
  if (!tools.is_array()) throw wrong_type("tools", "an array", tools);
  for (size_t i = 0; i < tools.size(); ++i) {
    const Json& t = tools[i];
    const std::string param = "tools[" + std::to_string(i) + "]";
    if (!t.is_object()) throw wrong_type(param, "an object", t);
    if (get_string(t, "type").value_or("function") != "function")
      throw http::invalid_param(param + ".type", "Only tools of type 'function' are supported.");
    const Json* fn = field(t, "function");
    if (!fn || !fn->is_object())
      throw http::invalid_param(param + ".function",
                                "Missing required parameter: '" + param + ".function'.",
                                "missing_required_parameter");
    const auto name = get_string(*fn, "name");
    if (!name || name->empty())
      throw http::invalid_param(param + ".function.name",
                                "Missing required parameter: '" + param + ".function.name'.",
                                "missing_required_parameter");
    if (const Json* p = field(*fn, "parameters"); p && !p->is_object())
      throw wrong_type(param + ".function.parameters", "an object", *p);
  }
  return tools.empty() ? Json() : tools;
}

// "tool_choice": none | auto | required | {type: "function", function: {name}}; needs tools.
void parse_tool_choice(const Json& choice, ChatRequest& r) {
  if (choice.is_string()) {
    r.tool_choice = choice.get<std::string>();
    if (r.tool_choice != "none" && r.tool_choice != "auto" && r.tool_choice != "required")
      throw http::invalid_param("tool_choice",
                                "Invalid value: '" + r.tool_choice +
                                    "'. Supported values are: 'none', 'auto', and 'required'.");
  } else if (choice.is_object()) {
    const Json* fn = field(choice, "function");
    const auto name = fn && fn->is_object() ? get_string(*fn, "name") : std::nullopt;
    if (!name)
      throw http::invalid_param("tool_choice", "tool_choice needs function.name.",
                                "missing_required_parameter");
    r.tool_choice = "function";
    r.tool_choice_name = *name;
  } else {
    throw wrong_type("tool_choice", "a string or an object", choice);
  }
  if (r.tool_choice != "none" && r.tool_choice != "auto" && r.tools.is_null())
    throw http::invalid_param("tool_choice",
                              "tool_choice is only allowed when 'tools' are specified.");
}

// "response_format": {type: text | json_object | json_schema, json_schema: {schema}}.
void parse_response_format(const Json& rf, ChatRequest& r) {
  if (!rf.is_object()) throw wrong_type("response_format", "an object", rf);
  const auto type = get_string(rf, "type");
  if (!type)
    throw http::invalid_param("response_format.type",
                              "Missing required parameter: 'response_format.type'.",
                              "missing_required_parameter");
  if (*type == "text") {
    r.response_format = ResponseFormat::kText;
  } else if (*type == "json_object") {
    r.response_format = ResponseFormat::kJsonObject;
  } else if (*type == "json_schema") {
    r.response_format = ResponseFormat::kJsonSchema;
    const Json* js = field(rf, "json_schema");
    if (!js || !js->is_object())
      throw http::invalid_param("response_format.json_schema",
                                "Missing required parameter: 'response_format.json_schema'.",
                                "missing_required_parameter");
    const Json* schema = field(*js, "schema");
    if (schema && !schema->is_object())
      throw wrong_type("response_format.json_schema.schema", "an object", *schema);
    r.json_schema = schema ? *schema : Json::object();
  } else {
    throw http::invalid_param(
        "response_format.type",
        "Invalid value: '" + *type +
            "'. Supported values are: 'json_object', 'json_schema', and 'text'.");
  }
}

}  // namespace

ChatRequest parse_chat_request(std::string_view body) {
  const Json j = parse_object(body);
  ChatRequest r;
  r.messages = parse_messages(j, "messages");
  r.options = parse_options(j, true);
  if (r.options.max_tokens && *r.options.max_tokens < 1)
    throw http::invalid_param(
        "max_tokens", "Invalid 'max_tokens': integer below minimum value. Expected a value >= 1.",
        "integer_below_min_value");
  if (const Json* tools = field(j, "tools")) r.tools = parse_tools(*tools);
  if (const Json* choice = field(j, "tool_choice")) parse_tool_choice(*choice, r);
  if (const Json* rf = field(j, "response_format")) parse_response_format(*rf, r);
  r.logprobs = get_bool(j, "logprobs").value_or(false);
  if (auto t = get_int(j, "top_logprobs", 0, 20)) {
    if (!r.logprobs)
      throw http::invalid_param("top_logprobs", "top_logprobs requires logprobs to be true.");
    r.top_logprobs = static_cast<int>(*t);
  }
  r.chat_template_kwargs = parse_kwargs(j);
  r.add_generation_prompt = get_bool(j, "add_generation_prompt").value_or(true);
  return r;
}

CompletionRequest parse_completion_request(std::string_view body) {
  const Json j = parse_object(body);
  CompletionRequest r;
  const Json* prompt = field(j, "prompt");
  if (!prompt)
    throw http::invalid_param("prompt", "Missing required parameter: 'prompt'.",
                              "missing_required_parameter");
  r.options = parse_options(j, false);
  auto text = [](const std::string& s) { return PromptInput{true, s, {}}; };
  if (prompt->is_string()) {
    r.prompts.push_back(text(prompt->get<std::string>()));
  } else if (prompt->is_array()) {
    if (prompt->empty())
      throw http::invalid_param("prompt", "Invalid 'prompt': empty array.", "empty_array");
    if ((*prompt)[0].is_number()) {
      r.prompts.push_back(PromptInput{false, {}, parse_ids(*prompt, "prompt")});
    } else {
      for (const Json& p : *prompt) {
        if (p.is_string())
          r.prompts.push_back(text(p.get<std::string>()));
        else if (p.is_array() && !p.empty())
          r.prompts.push_back(PromptInput{false, {}, parse_ids(p, "prompt")});
        else
          throw wrong_type("prompt", "a string, an array of token ids, or an array of either", p);
      }
    }
  } else {
    throw wrong_type("prompt", "a string, an array of token ids, or an array of either", *prompt);
  }
  if (r.prompts.size() * static_cast<size_t>(r.options.n) > 256)
    throw http::invalid_param("prompt",
                              "Too many prompts x n in one request (at most 256 choices).");
  r.echo = get_bool(j, "echo").value_or(false);
  if (auto lp = get_int(j, "logprobs", 0, 20)) r.logprobs = static_cast<int>(*lp);
  r.return_tokens_as_token_ids = get_bool(j, "return_tokens_as_token_ids").value_or(false);
  if (auto suffix = get_string(j, "suffix"); suffix && !suffix->empty())
    throw http::invalid_param("suffix", "suffix is not supported by this model.",
                              "unsupported_parameter");
  if (get_int(j, "best_of", 1, 128).value_or(1) != r.options.n && field(j, "best_of"))
    throw http::invalid_param("best_of", "best_of other than n is not supported.",
                              "unsupported_parameter");
  return r;
}

TokenizeRequest parse_tokenize_request(std::string_view body) {
  const Json j = parse_object(body);
  TokenizeRequest r;
  if (field(j, "prompt")) {
    r.prompt = get_string(j, "prompt");
  } else if (field(j, "messages")) {
    r.messages = parse_messages(j, "messages");
  } else {
    throw http::invalid_param("prompt", "Give 'prompt' (a string) or 'messages'.",
                              "missing_required_parameter");
  }
  r.add_special_tokens = get_bool(j, "add_special_tokens").value_or(r.prompt.has_value());
  r.add_generation_prompt = get_bool(j, "add_generation_prompt").value_or(true);
  r.chat_template_kwargs = parse_kwargs(j);
  return r;
}

DetokenizeRequest parse_detokenize_request(std::string_view body) {
  const Json j = parse_object(body);
  const Json* tokens = field(j, "tokens");
  if (!tokens)
    throw http::invalid_param("tokens", "Missing required parameter: 'tokens'.",
                              "missing_required_parameter");
  if (!tokens->is_array()) throw wrong_type("tokens", "an array of token ids", *tokens);
  return DetokenizeRequest{parse_ids(*tokens, "tokens")};
}

}  // namespace junction::server
