// POST /v1/chat/completions: parse the request, set it up (chat template -> tokens, the JSON
// constraint, the output parser), run n choices through the ChoiceLoop while the parser turns
// each one's text into reasoning / content / tool-call deltas, and render a chat.completion (or
// a stream of chunks) with openai_response.
#include <chrono>
#include <memory>
#include <optional>

#include "server/choice_run.h"
#include "server/generation_setup.h"
#include "server/handlers.h"
#include "server/openai_request.h"
#include "server/openai_response.h"

namespace junction::server {

namespace {

struct ChatChoice {
  std::unique_ptr<chat::ChatOutputParser> parser;
  chat::ParsedMessage message;     // accumulated
  std::vector<TokenEvent> tokens;  // not streaming: for the logprobs
};

// One request's choices as the parser sees them, and what each poll writes to a stream.
class ChatResponse {
 public:
  ChatResponse(const ServingContext& c, const ChatRequest& req, const ChoiceLoop& loop,
               http::HttpResponder& out)
      : c_(c),
        req_(req),
        loop_(loop),
        out_(out),
        head_(response_head("chatcmpl-", c.model_name, req.options.include_usage)) {}

  void add_choice(const chat::ChatParserOptions& options) {
    choices_.emplace_back();
    choices_.back().parser = std::make_unique<chat::ChatOutputParser>(options);
  }

  bool send_role_chunk() {
    return out_.write(sse_event(chat_role_chunk_json(head_, static_cast<int>(choices_.size()))));
  }

  std::string finish_reason(size_t i) const {
    return chat_finish_reason(loop_[i].finish_reason(), choices_[i].message);
  }

  // Parses choice i's new text; streaming, writes its delta and, once finished, its end.
  bool on_progress(size_t i, ChoiceRun::Progress& p) {
    ChatChoice& ch = choices_[i];
    chat::ChatDelta delta = ch.parser->feed(p.text);
    if (loop_[i].finished()) {
      chat::ChatDelta tail = ch.parser->finish();
      delta.reasoning_content += tail.reasoning_content;
      delta.content += tail.content;
      for (auto& t : tail.tool_calls) delta.tool_calls.push_back(std::move(t));
    }
    chat::apply_delta(ch.message, delta);
    if (!req_.options.stream) {
      for (auto& t : p.tokens) ch.tokens.push_back(std::move(t));
      return true;
    }
    const int index = static_cast<int>(i);
    if (!delta.empty() || (req_.logprobs && !p.tokens.empty())) {
      Json lp = req_.logprobs && !p.tokens.empty()
                    ? Json{{"content", chat_logprobs(c_, p.tokens, req_.top_logprobs)}}
                    : Json();
      if (!out_.write(sse_event(chat_delta_chunk_json(head_, index, delta, lp)))) return false;
    }
    if (loop_[i].finished())
      out_.write(sse_event(chat_finish_chunk_json(head_, index, finish_reason(i))));
    return true;
  }

  Json completion(Json usage) const {
    Json choices = Json::array();
    for (size_t i = 0; i < choices_.size(); ++i) {
      const ChatChoice& ch = choices_[i];
      Json lp = req_.logprobs ? Json{{"content", chat_logprobs(c_, ch.tokens, req_.top_logprobs)}}
                              : Json();
      choices.push_back(
          chat_choice_json(static_cast<int>(i), ch.message, std::move(lp), finish_reason(i)));
    }
    return chat_completion_json(head_, std::move(choices), std::move(usage));
  }

  std::optional<Json> usage_chunk(Json usage) const {
    if (!req_.options.include_usage) return std::nullopt;
    return chat_usage_chunk_json(head_, std::move(usage));
  }

 private:
  const ServingContext& c_;
  const ChatRequest& req_;
  const ChoiceLoop& loop_;
  http::HttpResponder& out_;
  const ResponseHead head_;
  std::vector<ChatChoice> choices_;
};

}  // namespace

void handle_chat_completions(const ServingContext& c, const http::HttpRequest& http,
                             http::HttpResponder& out) {
  const auto t0 = std::chrono::steady_clock::now();
  ChatRequest req = parse_chat_request(http.body);
  check_model(c, req.options.model);
  const ChatSetup setup = setup_chat(c, req);
  const int64_t n_prompt = static_cast<int64_t>(setup.prompt.size());

  ChoiceLoop loop(c, req.options, t0);
  ChatResponse response(c, req, loop, out);
  for (int i = 0; i < req.options.n; ++i) {
    loop.submit(make_chat_engine_request(c, req, setup, i), setup.starts_in_reasoning);
    response.add_choice(setup.parser_options);
  }
  const bool stream = req.options.stream;
  if (stream && !loop.start_stream(out)) return;
  if (stream && !response.send_role_chunk()) return loop.cancel();
  const bool finished = loop.run(
      out, n_prompt, [&](size_t i, ChoiceRun::Progress& p) { return response.on_progress(i, p); });
  if (!finished || loop.engine_failed(out, stream)) return;

  const Json usage = usage_json(n_prompt, loop.n_generated(), loop.max_cached_tokens(),
                                loop.n_reasoning_tokens(), loop.prediction_tokens());
  loop.record_finished(response.finish_reason(0), n_prompt);
  if (stream) return ChoiceLoop::end_stream(out, response.usage_chunk(usage));
  out.send(200, "application/json", dump(response.completion(usage)));
}

}  // namespace junction::server
