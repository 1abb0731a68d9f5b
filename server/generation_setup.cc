#include "server/generation_setup.h"

#include <algorithm>
#include <random>

#include "http/api_error.h"
#include "server/openai_response.h"

namespace junction::server {

EngineRequest make_engine_request(const ServingContext& c, const GenerationOptions& o,
                                  std::vector<int32_t> prompt, int choice, int64_t) {
  if (prompt.empty())
    throw http::invalid_param("prompt",
                              "The prompt is empty after tokenization: give at least one token.",
                              "empty_prompt");
  for (int32_t id : prompt)
    if (id < 0 || id >= c.vocab_size)
      throw http::invalid_param("prompt",
                                "Token id " + std::to_string(id) +
                                    " is outside the model's vocabulary of " +
                                    std::to_string(c.vocab_size) + " tokens.",
                                "invalid_token_id");
  const int64_t n_prompt = static_cast<int64_t>(prompt.size());
  const bool fits = o.max_tokens.value_or(1) == 0 ? n_prompt <= c.n_ctx : n_prompt < c.n_ctx;
  if (!fits)
    throw http::ApiError(400,
                         "This model's maximum context length is " + std::to_string(c.n_ctx) +
                             " tokens. However, your prompt resulted in " +
                             std::to_string(n_prompt) +
                             " tokens. Please reduce the length of the prompt.",
                         "invalid_request_error", "messages", "context_length_exceeded");
  EngineRequest r;
  r.max_tokens = std::min(o.max_tokens.value_or(c.n_ctx - n_prompt), c.n_ctx - n_prompt);
  r.min_tokens = std::min(o.min_tokens, r.max_tokens);
  r.prompt = std::move(prompt);
  const SamplingOverrides& s = o.sampling;
  SamplingParams& p = r.sampling;
  p.temperature = s.temperature.value_or(c.defaults.temperature);
  p.top_p = s.top_p.value_or(c.defaults.top_p);
  p.top_k = s.top_k.value_or(c.defaults.top_k);
  p.min_p = s.min_p.value_or(c.defaults.min_p);
  p.repetition_penalty = s.repetition_penalty.value_or(c.defaults.repetition_penalty);
  p.presence_penalty = s.presence_penalty;
  p.frequency_penalty = s.frequency_penalty;
  for (const auto& [id, bias] : s.logit_bias)
    if (id < c.vocab_size) p.logit_bias.emplace_back(id, bias);
  if (s.seed) {
    p.seed = *s.seed + static_cast<uint64_t>(choice);
  } else {
    std::random_device rd;
    p.seed = (static_cast<uint64_t>(rd()) << 32) | rd();
  }
  r.eos_ids = c.eos_ids;
  for (int32_t id : o.stop_token_ids) r.eos_ids.push_back(id);
  r.ignore_eos = o.ignore_eos;
  return r;
}

http::ApiError no_chat_template_error(const ServingContext& c) {
  if (!c.tokenizer)
    return http::ApiError(
        400, "This model has no tokenizer or chat template; use /v1/completions with token ids.",
        "invalid_request_error", "messages", "no_chat_template");
  return http::ApiError(400,
                        "This model has no chat template (base models ship none), so chat "
                        "messages cannot be rendered: start the server with --chat-template "
                        "FILE to use them; /v1/completions and /tokenize with a prompt work "
                        "without one.",
                        "invalid_request_error", "messages", "no_chat_template");
}

namespace {

// The chat template's text for the messages (and tools, unless tool_choice is "none").
std::string render_chat_prompt(const ServingContext& c, const ChatRequest& req, bool use_tools) {
  if (!c.tokenizer || !c.chat_template) throw no_chat_template_error(c);
  try {
    return c.chat_template->render(req.messages, use_tools ? req.tools : Json(),
                                   req.add_generation_prompt, req.chat_template_kwargs);
  } catch (const std::exception& e) {
    throw http::ApiError(
        400, std::string("The chat template could not render these messages: ") + e.what(),
        "invalid_request_error", "messages", "template_error");
  }
}

std::shared_ptr<const JsonSchema> response_format_schema(const ServingContext& c,
                                                         const ChatRequest& req) {
  if (!c.token_texts)
    throw http::ApiError(400, "response_format needs a tokenizer.", "invalid_request_error",
                         "response_format");
  try {
    return req.response_format == ResponseFormat::kJsonSchema ? compile_json_schema(req.json_schema)
                                                              : any_json_object_schema();
  } catch (const std::exception& e) {
    throw http::invalid_param("response_format.json_schema.schema",
                              std::string("Unsupported JSON schema: ") + e.what());
  }
}

// tool_choice "required" or a named function: the output is forced to be one tool call, its
// JSON constrained to {"name": <a tool's name>, "arguments": <that function's parameters>}
// (vLLM does the same with guided decoding). Parameters our schema compiler does not support,
// and those of "required" among several functions (no anyOf yet), fall back to "any JSON
// object".
std::shared_ptr<const JsonSchema> forced_tool_call_schema(const Json& tools,
                                                          const std::string& name) {
  Json names = Json::array();
  const Json* parameters = nullptr;
  for (const Json& t : tools) {
    const Json* f = t.is_object() ? (t.contains("function") ? &t["function"] : nullptr) : nullptr;
    if (!f || !f->is_object() || !f->contains("name") || !(*f)["name"].is_string()) continue;
    names.push_back((*f)["name"]);
    if ((*f)["name"] == name && f->contains("parameters")) parameters = &(*f)["parameters"];
    if (name.empty() && f->contains("parameters")) parameters = &(*f)["parameters"];
  }
  // "required" among several functions: the name is one of theirs, the arguments any object.
  if (name.empty() && names.size() > 1) parameters = nullptr;
  if (!name.empty() && std::find(names.begin(), names.end(), Json(name)) == names.end())
    throw http::invalid_param("tool_choice",
                              "tool_choice names '" + name + "', which is not in tools.");
  if (names.empty()) throw http::invalid_param("tools", "tools has no function with a name.");
  auto schema_with = [&](const Json& arguments) {
    Json s = {{"type", "object"},
              {"properties",
               {{"name", name.empty() ? Json{{"enum", names}} : Json{{"const", name}}},
                {"arguments", arguments}}},
              {"required", {"name", "arguments"}}};
    return compile_json_schema(s);
  };
  if (parameters && parameters->is_object()) {
    try {
      return schema_with(*parameters);
    } catch (const std::exception&) {
    }
  }
  return schema_with(Json{{"type", "object"}});
}

}  // namespace

ChatSetup setup_chat(const ServingContext& c, const ChatRequest& req) {
  const bool use_tools = !req.tools.is_null() && req.tool_choice != "none";
  const std::string prompt_text = render_chat_prompt(c, req, use_tools);
  ChatSetup s;
  s.prompt = c.tokenizer->encode(prompt_text, false);
  std::string trimmed = prompt_text;
  trimmed.erase(trimmed.find_last_not_of(" \t\r\n") + 1);
  const bool json_output = req.response_format != ResponseFormat::kText;
  s.starts_in_reasoning = !json_output && trimmed.ends_with("<think>");
  if (json_output) s.schema = response_format_schema(c, req);

  if (use_tools && !json_output &&
      (req.tool_choice == "required" || req.tool_choice == "function")) {
    if (!c.token_texts || !c.chat_template->hermes_tool_calls())
      throw http::invalid_param(
          "tool_choice",
          "tool_choice 'required' or a named function is enforced only for models "
          "whose chat template writes <tool_call> tool calls; use 'auto'.");
    s.tool_schema = forced_tool_call_schema(
        req.tools, req.tool_choice == "function" ? req.tool_choice_name : "");
    // A prompt that opens <think> gets it closed first, so the parser sees the call as output.
    s.tool_prefix = std::string(s.starts_in_reasoning ? "</think>\n\n" : "") + "<tool_call>\n";
  }
  s.parser_options.reasoning.starts_in_reasoning = s.starts_in_reasoning;
  s.parser_options.reasoning.enabled = !json_output;
  s.parser_options.tools.hermes = s.parser_options.tools.deepseek = use_tools && !json_output;
  return s;
}

EngineRequest make_chat_engine_request(const ServingContext& c, const ChatRequest& req,
                                       const ChatSetup& s, int choice) {
  EngineRequest er = make_engine_request(c, req.options, s.prompt, choice);
  er.top_logprobs = req.logprobs ? req.top_logprobs : -1;
  if (s.schema) er.constraint = make_json_constraint(c.token_texts, s.schema, er.eos_ids);
  if (s.tool_schema)
    er.constraint = make_json_constraint(c.token_texts, s.tool_schema, er.eos_ids, s.tool_prefix,
                                         "\n</tool_call>");
  return er;
}

CompletionPrompts tokenize_prompts(const ServingContext& c, const CompletionRequest& req) {
  CompletionPrompts out;
  for (const PromptInput& p : req.prompts) {
    if (p.is_text) {
      if (!c.tokenizer)
        throw http::invalid_param(
            "prompt", "This model has no tokenizer: give the prompt as token ids.", "no_tokenizer");
      out.ids.push_back(c.tokenizer->encode(p.text, true));
      out.texts.push_back(p.text);
      continue;
    }
    out.ids.push_back(p.ids);
    std::string text;
    if (c.tokenizer) {
      for (int32_t id : p.ids)
        if (id < 0 || id >= c.vocab_size)
          throw http::invalid_param(
              "prompt", "Token id " + std::to_string(id) + " is outside the model's vocabulary.",
              "invalid_token_id");
      text = c.tokenizer->decode(p.ids, false);
    } else {
      for (int32_t id : p.ids) text += token_string(c, id, true);
    }
    out.texts.push_back(text);
  }
  return out;
}

EngineRequest make_completion_engine_request(const ServingContext& c, const CompletionRequest& req,
                                             const std::vector<int32_t>& prompt, int choice) {
  EngineRequest er = make_engine_request(c, req.options, prompt, choice);
  er.top_logprobs = req.logprobs ? req.logprobs.value_or(0) : -1;
  er.prompt_logprobs = req.echo && req.logprobs;
  return er;
}

}  // namespace junction::server
