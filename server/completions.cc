// POST /v1/completions: prompts (text or token ids, one or many) x n engine sequences -> a
// text_completion (or a stream of them). Echo and logprobs include the prompt's own logprobs,
// which is what loglikelihood scoring (lm-evaluation-harness) asks for with max_tokens 0.
#include <chrono>
#include <memory>

#include "http/api_error.h"
#include "server/choice_run.h"
#include "server/generation_setup.h"
#include "server/handlers.h"
#include "server/openai_request.h"
#include "server/openai_response.h"

namespace junction::server {

namespace {

using Clock = std::chrono::steady_clock;

struct CompletionChoice {
  size_t prompt_index = 0;
  std::unique_ptr<ChoiceRun> run;
  std::string text;
  std::vector<TokenEvent> tokens;
  Clock::time_point last_token;
  bool echo_sent = false;  // streaming: the prompt text (and its logprobs) went out
};

}  // namespace

void handle_completions(const ServingContext& c, const http::HttpRequest& http,
                        http::HttpResponder& out) {
  const auto t0 = Clock::now();
  CompletionRequest req = parse_completion_request(http.body);
  check_model(c, req.options.model);
  if (!req.options.max_tokens) req.options.max_tokens = 16;  // OpenAI's default for completions
  const bool as_ids = req.return_tokens_as_token_ids || !c.tokenizer;
  const int top = req.logprobs.value_or(0);

  std::vector<std::vector<int32_t>> prompts;
  std::vector<std::string> prompt_texts;
  for (const PromptInput& p : req.prompts) {
    if (p.is_text) {
      if (!c.tokenizer)
        throw http::invalid_param(
            "prompt", "This model has no tokenizer: give the prompt as token ids.", "no_tokenizer");
      prompts.push_back(c.tokenizer->encode(p.text, true));
      prompt_texts.push_back(p.text);
    } else {
      prompts.push_back(p.ids);
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
      prompt_texts.push_back(text);
    }
  }

  const int n = req.options.n;
  std::vector<CompletionChoice> choices;
  int64_t n_prompt_total = 0;
  for (size_t pi = 0; pi < prompts.size(); ++pi) {
    n_prompt_total += static_cast<int64_t>(prompts[pi].size());
    for (int j = 0; j < n; ++j) {
      EngineRequest er = make_engine_request(c, req.options, prompts[pi], j);
      er.top_logprobs = req.logprobs ? top : -1;
      er.prompt_logprobs = req.echo && req.logprobs;
      CompletionChoice ch;
      ch.prompt_index = pi;
      ch.run =
          std::make_unique<ChoiceRun>(c, req.options.stop, req.options.skip_special_tokens, false);
      try {
        ch.run->submit(std::move(er));
      } catch (...) {
        for (auto& done : choices) done.run->cancel();
        throw;
      }
      choices.push_back(std::move(ch));
    }
  }

  const std::string id = random_id("cmpl-");
  const int64_t created = std::chrono::duration_cast<std::chrono::seconds>(
                              std::chrono::system_clock::now().time_since_epoch())
                              .count();
  const bool stream = req.options.stream;
  auto chunk = [&](Json choices_json) {
    Json j = {{"id", id},
              {"object", "text_completion"},
              {"created", created},
              {"model", c.model_name},
              {"system_fingerprint", "junction"},
              {"choices", std::move(choices_json)}};
    if (stream && req.options.include_usage) j["usage"] = nullptr;
    return j;
  };
  auto generated_text = [&](const CompletionChoice& ch, const std::string& text) {
    if (c.tokenizer) return text;
    std::string ids;
    for (const auto& t : ch.tokens) ids += token_string(c, t.token, true);
    return ids;
  };
  // The echoed prompt is a choice's first chunk; with logprobs it waits for the prompt's
  // logprobs, which the engine sends before the first generated token.
  auto send_echo = [&](size_t i) {
    CompletionChoice& ch = choices[i];
    ch.echo_sent = true;
    Json lp;
    if (req.logprobs) {
      const std::vector<int32_t>& prompt = prompts[ch.prompt_index];
      const auto& plp = ch.run->prompt_logprobs();
      CompletionLogprobs l;
      for (size_t k = 0; k < prompt.size(); ++k)
        l.add(c, k == 0 || k - 1 >= plp.size() ? nullptr : &plp[k - 1], prompt[k], top, as_ids);
      lp = l.to_json();
    }
    return out.write(sse_event(chunk(Json::array({{{"index", i},
                                                   {"text", prompt_texts[ch.prompt_index]},
                                                   {"logprobs", lp},
                                                   {"finish_reason", nullptr}}}))));
  };
  if (stream) {
    if (!out.start_stream(200, "text/event-stream")) {
      for (auto& ch : choices) ch.run->cancel();
      return;
    }
    if (req.echo && !req.logprobs)
      for (size_t i = 0; i < choices.size(); ++i) send_echo(i);
  }

  LatencyRecorder latency(c.metrics, t0);
  auto unfinished = [&] {
    int k = 0;
    for (auto& ch : choices) k += !ch.run->finished();
    return k;
  };
  while (int left = unfinished()) {
    for (size_t i = 0; i < choices.size(); ++i) {
      CompletionChoice& ch = choices[i];
      if (ch.run->finished()) continue;
      ChoiceRun::Progress p = ch.run->poll(std::chrono::milliseconds(left == 1 ? 50 : 2));
      const auto now = Clock::now();
      latency.tokens_arrived(ch.last_token, p.tokens.size(), now);
      const size_t first_new = ch.tokens.size();
      for (auto& t : p.tokens) ch.tokens.push_back(std::move(t));
      ch.text += p.text;
      if (!stream) continue;
      if (req.echo && !ch.echo_sent &&
          (!ch.run->prompt_logprobs().empty() || !p.tokens.empty() || ch.run->finished()))
        send_echo(i);
      std::string piece = c.tokenizer ? p.text : std::string();
      if (!c.tokenizer)
        for (size_t k = first_new; k < ch.tokens.size(); ++k)
          piece += token_string(c, ch.tokens[k].token, true);
      if (!piece.empty() || (req.logprobs && first_new < ch.tokens.size())) {
        Json lp;
        if (req.logprobs) {
          CompletionLogprobs l;
          for (size_t k = first_new; k < ch.tokens.size(); ++k)
            l.add(c, &ch.tokens[k], ch.tokens[k].token, top, as_ids);
          lp = l.to_json();
        }
        if (!out.write(sse_event(chunk(Json::array(
                {{{"index", i}, {"text", piece}, {"logprobs", lp}, {"finish_reason", nullptr}}})))))
          break;
      }
      if (ch.run->finished())
        out.write(sse_event(chunk(Json::array({{{"index", i},
                                                {"text", ""},
                                                {"logprobs", nullptr},
                                                {"finish_reason", ch.run->finish_reason()}}}))));
    }
    if (out.peer_closed()) {
      for (auto& ch : choices) ch.run->cancel();
      c.metrics->request_finished("abort", n_prompt_total, 0,
                                  std::chrono::duration<double>(Clock::now() - t0).count());
      return;
    }
  }

  int64_t n_completion = 0, n_cached = 0;
  for (auto& ch : choices) {
    n_completion += ch.run->n_generated();
    n_cached += ch.run->finish_info().n_cached_tokens;
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
  const Json usage = usage_json(n_prompt_total, n_completion, n_cached, std::nullopt);
  c.metrics->request_finished(choices[0].run->finish_reason(), n_prompt_total, n_completion,
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
  for (size_t i = 0; i < choices.size(); ++i) {
    CompletionChoice& ch = choices[i];
    const std::vector<int32_t>& prompt = prompts[ch.prompt_index];
    std::string text = generated_text(ch, ch.text);
    Json lp;
    if (req.logprobs) {
      CompletionLogprobs l;
      if (req.echo) {
        const auto& plp = ch.run->prompt_logprobs();
        for (size_t k = 0; k < prompt.size(); ++k)
          l.add(c, k == 0 || k - 1 >= plp.size() ? nullptr : &plp[k - 1], prompt[k], top, as_ids);
      }
      for (const TokenEvent& t : ch.tokens) l.add(c, &t, t.token, top, as_ids);
      lp = l.to_json();
    }
    if (req.echo) text = prompt_texts[ch.prompt_index] + text;
    choices_json.push_back({{"index", i},
                            {"text", text},
                            {"logprobs", lp},
                            {"finish_reason", ch.run->finish_reason()}});
  }
  out.send(200, "application/json",
           dump({{"id", id},
                 {"object", "text_completion"},
                 {"created", created},
                 {"model", c.model_name},
                 {"system_fingerprint", "junction"},
                 {"choices", choices_json},
                 {"usage", usage}}));
}

}  // namespace junction::server
