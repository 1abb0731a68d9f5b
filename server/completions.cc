// POST /v1/completions: parse the request, tokenize its prompts (text or token ids, one or
// many), run prompts x n choices through the ChoiceLoop, and render a text_completion (or a
// stream of them) with openai_response. Echo and logprobs include the prompt's own logprobs,
// which is what loglikelihood scoring (lm-evaluation-harness) asks for with max_tokens 0.
#include <chrono>
#include <optional>

#include "server/choice_run.h"
#include "server/generation_setup.h"
#include "server/handlers.h"
#include "server/openai_request.h"
#include "server/openai_response.h"

namespace junction::server {

namespace {

struct CompletionChoice {
  size_t prompt_index = 0;
  std::string text;
  std::vector<TokenEvent> tokens;
  bool echo_sent = false;  // streaming: the prompt text (and its logprobs) went out
};

// One request's choices: their text and tokens, and what each poll writes to a stream.
class CompletionResponse {
 public:
  CompletionResponse(const ServingContext& c, const CompletionRequest& req,
                     const CompletionPrompts& prompts, const ChoiceLoop& loop,
                     http::HttpResponder& out)
      : c_(c),
        req_(req),
        prompts_(prompts),
        loop_(loop),
        out_(out),
        head_(response_head("cmpl-", c.model_name, req.options.include_usage)),
        as_ids_(req.return_tokens_as_token_ids || !c.tokenizer),
        top_(req.logprobs.value_or(0)) {}

  void add_choice(size_t prompt_index) {
    choices_.emplace_back();
    choices_.back().prompt_index = prompt_index;
  }

  // The echoed prompt is a choice's first chunk; with logprobs it waits for the prompt's
  // logprobs, which the engine sends before the first generated token.
  bool send_echo(size_t i) {
    CompletionChoice& ch = choices_[i];
    ch.echo_sent = true;
    Json lp;
    if (req_.logprobs) {
      CompletionLogprobs l;
      l.add_prompt(c_, prompts_.ids[ch.prompt_index], loop_[i].prompt_logprobs(), top_, as_ids_);
      lp = l.to_json();
    }
    return out_.write(sse_event(completion_chunk_json(
        head_, completion_choice_json(i, prompts_.texts[ch.prompt_index], lp, nullptr))));
  }

  void send_echoes() {
    for (size_t i = 0; i < choices_.size(); ++i) send_echo(i);
  }

  // Keeps choice i's new text and tokens; streaming, writes them and, once finished, its end.
  bool on_progress(size_t i, ChoiceRun::Progress& p) {
    CompletionChoice& ch = choices_[i];
    const ChoiceRun& run = loop_[i];
    const size_t first_new = ch.tokens.size();
    for (auto& t : p.tokens) ch.tokens.push_back(std::move(t));
    ch.text += p.text;
    if (!req_.options.stream) return true;
    if (req_.echo && !ch.echo_sent &&
        (!run.prompt_logprobs().empty() || !p.tokens.empty() || run.finished()))
      send_echo(i);
    const std::span<const TokenEvent> added(ch.tokens.begin() + first_new, ch.tokens.end());
    const std::string piece = c_.tokenizer ? p.text : id_text(added);
    if (!piece.empty() || (req_.logprobs && !added.empty())) {
      Json lp;
      if (req_.logprobs) {
        CompletionLogprobs l;
        l.add_tokens(c_, added, top_, as_ids_);
        lp = l.to_json();
      }
      if (!out_.write(sse_event(
              completion_chunk_json(head_, completion_choice_json(i, piece, lp, nullptr)))))
        return false;
    }
    if (run.finished())
      out_.write(sse_event(completion_chunk_json(
          head_, completion_choice_json(i, "", nullptr, run.finish_reason()))));
    return true;
  }

  Json completion(Json usage) const {
    Json choices = Json::array();
    for (size_t i = 0; i < choices_.size(); ++i) {
      const CompletionChoice& ch = choices_[i];
      std::string text = c_.tokenizer ? ch.text : id_text(ch.tokens);
      Json lp;
      if (req_.logprobs) {
        CompletionLogprobs l;
        if (req_.echo)
          l.add_prompt(c_, prompts_.ids[ch.prompt_index], loop_[i].prompt_logprobs(), top_,
                       as_ids_);
        l.add_tokens(c_, ch.tokens, top_, as_ids_);
        lp = l.to_json();
      }
      if (req_.echo) text = prompts_.texts[ch.prompt_index] + text;
      choices.push_back(completion_choice_json(i, text, lp, loop_[i].finish_reason()));
    }
    return completion_json(head_, std::move(choices), std::move(usage));
  }

  std::optional<Json> usage_chunk(Json usage) const {
    if (!req_.options.include_usage) return std::nullopt;
    return completion_usage_chunk_json(head_, std::move(usage));
  }

 private:
  // Without a tokenizer a completion's text is its tokens as token_id:N.
  std::string id_text(std::span<const TokenEvent> tokens) const {
    std::string text;
    for (const TokenEvent& t : tokens) text += token_string(c_, t.token, true);
    return text;
  }

  const ServingContext& c_;
  const CompletionRequest& req_;
  const CompletionPrompts& prompts_;
  const ChoiceLoop& loop_;
  http::HttpResponder& out_;
  const ResponseHead head_;
  const bool as_ids_;
  const int top_;
  std::vector<CompletionChoice> choices_;
};

}  // namespace

void handle_completions(const ServingContext& c, const http::HttpRequest& http,
                        http::HttpResponder& out) {
  const auto t0 = std::chrono::steady_clock::now();
  CompletionRequest req = parse_completion_request(http.body);
  check_model(c, req.options.model);
  if (!req.options.max_tokens) req.options.max_tokens = 16;  // OpenAI's default for completions
  const CompletionPrompts prompts = tokenize_prompts(c, req);

  ChoiceLoop loop(c, req.options, t0);
  CompletionResponse response(c, req, prompts, loop, out);
  int64_t n_prompt = 0;
  for (size_t pi = 0; pi < prompts.ids.size(); ++pi) {
    n_prompt += static_cast<int64_t>(prompts.ids[pi].size());
    for (int j = 0; j < req.options.n; ++j) {
      loop.submit(make_completion_engine_request(c, req, prompts.ids[pi], j), false);
      response.add_choice(pi);
    }
  }
  const bool stream = req.options.stream;
  if (stream && !loop.start_stream(out)) return;
  if (stream && req.echo && !req.logprobs) response.send_echoes();
  const bool finished = loop.run(
      out, n_prompt, [&](size_t i, ChoiceRun::Progress& p) { return response.on_progress(i, p); });
  if (!finished || loop.engine_failed(out, stream)) return;

  const Json usage = usage_json(n_prompt, loop.n_generated(), loop.sum_cached_tokens(),
                                std::nullopt, loop.prediction_tokens());
  loop.record_finished(loop[0].finish_reason(), n_prompt);
  if (stream) return ChoiceLoop::end_stream(out, response.usage_chunk(usage));
  out.send(200, "application/json", dump(response.completion(usage)));
}

}  // namespace junction::server
