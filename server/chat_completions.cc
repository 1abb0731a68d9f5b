// POST /v1/chat/completions: messages -> chat template -> tokens -> n engine sequences ->
// reasoning / tool-call parsing -> a chat.completion (or a stream of chunks).
#include <algorithm>
#include <chrono>
#include <memory>

#include "chat/output_parser.h"
#include "engine/json_constraint.h"
#include "http/api_error.h"
#include "server/choice_run.h"
#include "server/generation_setup.h"
#include "server/handlers.h"
#include "server/openai_request.h"
#include "server/openai_response.h"

namespace junction::server {

namespace {

using Clock = std::chrono::steady_clock;

struct ChatChoice {
  std::unique_ptr<ChoiceRun> run;
  std::unique_ptr<chat::ChatOutputParser> parser;
  chat::ParsedMessage message;  // accumulated
  std::vector<TokenEvent> tokens;
  bool final_sent = false;
  Clock::time_point last_token;
};

Json tool_call_json(const chat::ToolCallDelta& d, bool with_index) {
  Json j = {{"id", d.call.id},
            {"type", "function"},
            {"function", {{"name", d.call.name}, {"arguments", d.call.arguments}}}};
  if (with_index) j["index"] = d.index;
  return j;
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

std::string finish_reason_of(const ChatChoice& c) {
  std::string r = c.run->finish_reason();
  if (r == "stop" && !c.message.tool_calls.empty()) return "tool_calls";
  return r;
}

}  // namespace

void handle_chat_completions(const ServingContext& c, const http::HttpRequest& http,
                             http::HttpResponder& out) {
  const auto t0 = Clock::now();
  ChatRequest req = parse_chat_request(http.body);
  check_model(c, req.options.model);
  if (!c.tokenizer || !c.chat_template)
    throw http::ApiError(
        400, "This model has no tokenizer or chat template; use /v1/completions with token ids.",
        "invalid_request_error", "messages", "no_chat_template");
  const bool use_tools = !req.tools.is_null() && req.tool_choice != "none";
  std::string prompt_text;
  try {
    prompt_text = c.chat_template->render(req.messages, use_tools ? req.tools : Json(),
                                          req.add_generation_prompt, req.chat_template_kwargs);
  } catch (const std::exception& e) {
    throw http::ApiError(
        400, std::string("The chat template could not render these messages: ") + e.what(),
        "invalid_request_error", "messages", "template_error");
  }
  std::vector<int32_t> prompt = c.tokenizer->encode(prompt_text, false);
  std::string trimmed = prompt_text;
  trimmed.erase(trimmed.find_last_not_of(" \t\r\n") + 1);
  const bool json_output = req.response_format != ResponseFormat::kText;
  const bool starts_in_reasoning = !json_output && trimmed.ends_with("<think>");

  std::shared_ptr<const JsonSchema> schema;
  if (json_output) {
    if (!c.token_texts)
      throw http::ApiError(400, "response_format needs a tokenizer.", "invalid_request_error",
                           "response_format");
    try {
      schema = req.response_format == ResponseFormat::kJsonSchema
                   ? compile_json_schema(req.json_schema)
                   : any_json_object_schema();
    } catch (const std::exception& e) {
      throw http::invalid_param("response_format.json_schema.schema",
                                std::string("Unsupported JSON schema: ") + e.what());
    }
  }

  const bool force_tool_call =
      use_tools && !json_output && (req.tool_choice == "required" || req.tool_choice == "function");
  std::shared_ptr<const JsonSchema> tool_schema;
  std::string tool_prefix;
  if (force_tool_call) {
    if (!c.token_texts || !c.chat_template->hermes_tool_calls())
      throw http::invalid_param(
          "tool_choice",
          "tool_choice 'required' or a named function is enforced only for models "
          "whose chat template writes <tool_call> tool calls; use 'auto'.");
    tool_schema = forced_tool_call_schema(
        req.tools, req.tool_choice == "function" ? req.tool_choice_name : "");
    // A prompt that opens <think> gets it closed first, so the parser sees the call as output.
    tool_prefix = std::string(starts_in_reasoning ? "</think>\n\n" : "") + "<tool_call>\n";
  }

  const int n = req.options.n;
  std::vector<ChatChoice> choices(n);
  chat::ChatParserOptions parser_options;
  parser_options.reasoning.starts_in_reasoning = starts_in_reasoning;
  parser_options.reasoning.enabled = !json_output;
  parser_options.tools.hermes = parser_options.tools.deepseek = use_tools && !json_output;
  const int64_t n_prompt = static_cast<int64_t>(prompt.size());
  for (int i = 0; i < n; ++i) {
    EngineRequest er = make_engine_request(c, req.options, prompt, i);
    er.top_logprobs = req.logprobs ? req.top_logprobs : -1;
    if (schema) er.constraint = make_json_constraint(c.token_texts, schema, er.eos_ids);
    if (tool_schema)
      er.constraint = make_json_constraint(c.token_texts, tool_schema, er.eos_ids, tool_prefix,
                                           "\n</tool_call>");
    choices[i].run = std::make_unique<ChoiceRun>(
        c, req.options.stop, req.options.skip_special_tokens, starts_in_reasoning);
    choices[i].parser = std::make_unique<chat::ChatOutputParser>(parser_options);
    try {
      choices[i].run->submit(std::move(er));
    } catch (...) {
      for (int k = 0; k < i; ++k) choices[k].run->cancel();
      throw;
    }
  }

  const std::string id = random_id("chatcmpl-");
  const int64_t created = std::chrono::duration_cast<std::chrono::seconds>(
                              std::chrono::system_clock::now().time_since_epoch())
                              .count();
  const bool stream = req.options.stream;
  auto chunk = [&](Json choices_json) {
    Json j = {{"id", id},
              {"object", "chat.completion.chunk"},
              {"created", created},
              {"model", c.model_name},
              {"system_fingerprint", "junction"},
              {"choices", std::move(choices_json)}};
    if (req.options.include_usage) j["usage"] = nullptr;
    return j;
  };
  if (stream) {
    if (!out.start_stream(200, "text/event-stream")) {
      for (auto& ch : choices) ch.run->cancel();
      return;
    }
    Json first = Json::array();
    for (int i = 0; i < n; ++i)
      first.push_back({{"index", i},
                       {"delta", {{"role", "assistant"}, {"content", ""}}},
                       {"logprobs", nullptr},
                       {"finish_reason", nullptr}});
    if (!out.write(sse_event(chunk(first)))) {
      for (auto& ch : choices) ch.run->cancel();
      return;
    }
  }

  LatencyRecorder latency(c.metrics, t0);
  auto unfinished = [&] {
    int k = 0;
    for (auto& ch : choices) k += !ch.run->finished();
    return k;
  };
  while (int left = unfinished()) {
    for (int i = 0; i < n; ++i) {
      ChatChoice& ch = choices[i];
      if (ch.run->finished()) continue;
      ChoiceRun::Progress p = ch.run->poll(std::chrono::milliseconds(left == 1 ? 50 : 2));
      const auto now = Clock::now();
      latency.tokens_arrived(ch.last_token, p.tokens.size(), now);
      chat::ChatDelta delta = ch.parser->feed(p.text);
      if (ch.run->finished()) {
        chat::ChatDelta tail = ch.parser->finish();
        delta.reasoning_content += tail.reasoning_content;
        delta.content += tail.content;
        for (auto& t : tail.tool_calls) delta.tool_calls.push_back(std::move(t));
      }
      chat::apply_delta(ch.message, delta);
      if (!stream) {
        for (auto& t : p.tokens) ch.tokens.push_back(std::move(t));
        continue;
      }
      if (!delta.empty() || (req.logprobs && !p.tokens.empty())) {
        Json d = Json::object();
        if (!delta.reasoning_content.empty()) d["reasoning_content"] = delta.reasoning_content;
        if (!delta.content.empty()) d["content"] = delta.content;
        if (!delta.tool_calls.empty()) {
          Json calls = Json::array();
          for (const auto& t : delta.tool_calls) calls.push_back(tool_call_json(t, true));
          d["tool_calls"] = calls;
        }
        Json lp = req.logprobs && !p.tokens.empty()
                      ? Json{{"content", chat_logprobs(c, p.tokens, req.top_logprobs)}}
                      : Json();
        if (!out.write(sse_event(chunk(Json::array(
                {{{"index", i}, {"delta", d}, {"logprobs", lp}, {"finish_reason", nullptr}}})))))
          break;
      }
      if (ch.run->finished()) {
        out.write(sse_event(chunk(Json::array({{{"index", i},
                                                {"delta", Json::object()},
                                                {"logprobs", nullptr},
                                                {"finish_reason", finish_reason_of(ch)}}}))));
      }
    }
    if (out.peer_closed()) {
      for (auto& ch : choices) ch.run->cancel();
      c.metrics->request_finished("abort", n_prompt, 0,
                                  std::chrono::duration<double>(Clock::now() - t0).count());
      return;
    }
  }

  int64_t n_completion = 0, n_reasoning = 0, n_cached = 0;
  for (auto& ch : choices) {
    n_completion += ch.run->n_generated();
    n_reasoning += ch.run->n_reasoning_tokens();
    n_cached = std::max(n_cached, ch.run->finish_info().n_cached_tokens);
    if (ch.run->finish_reason() == "error") {
      const std::string message = "The engine failed: " + ch.run->finish_info().error;
      if (!stream) throw http::ApiError(500, message, "server_error");
      out.write(sse_event(Json{{"error",
                                {{"message", message},
                                 {"type", "server_error"},
                                 {"param", nullptr},
                                 {"code", nullptr}}}}));
      out.end();
      return;
    }
  }
  const Json usage = usage_json(n_prompt, n_completion, n_cached, n_reasoning);
  c.metrics->request_finished(finish_reason_of(choices[0]), n_prompt, n_completion,
                              std::chrono::duration<double>(Clock::now() - t0).count());
  if (stream) {
    if (req.options.include_usage) {
      Json j = chunk(Json::array());
      j["usage"] = usage;
      out.write(sse_event(j));
    }
    out.write(kSseDone);
    out.end();
    return;
  }
  Json choices_json = Json::array();
  for (int i = 0; i < n; ++i) {
    ChatChoice& ch = choices[i];
    Json message = {{"role", "assistant"}};
    message["content"] = ch.message.content.empty() && !ch.message.tool_calls.empty()
                             ? Json()
                             : Json(ch.message.content);
    if (!ch.message.reasoning_content.empty())
      message["reasoning_content"] = ch.message.reasoning_content;
    if (!ch.message.tool_calls.empty()) {
      Json calls = Json::array();
      for (size_t k = 0; k < ch.message.tool_calls.size(); ++k)
        calls.push_back(tool_call_json({static_cast<int>(k), ch.message.tool_calls[k]}, false));
      message["tool_calls"] = calls;
    }
    Json lp =
        req.logprobs ? Json{{"content", chat_logprobs(c, ch.tokens, req.top_logprobs)}} : Json();
    choices_json.push_back({{"index", i},
                            {"message", message},
                            {"logprobs", lp},
                            {"finish_reason", finish_reason_of(ch)}});
  }
  out.send(200, "application/json",
           dump({{"id", id},
                 {"object", "chat.completion"},
                 {"created", created},
                 {"model", c.model_name},
                 {"system_fingerprint", "junction"},
                 {"choices", choices_json},
                 {"usage", usage}}));
}

}  // namespace junction::server
