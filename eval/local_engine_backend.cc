#include "eval/local_engine_backend.h"

#include <algorithm>
#include <string_view>

#include "chat/template_source.h"
#include "core/error.h"
#include "core/memory_available.h"
#include "engine/engine_loop.h"
#include "engine/logprob.h"
#include "engine/reasoning_tokens.h"
#include "engine/run_one.h"
#include "engine/sequence.h"
#include "engine/stop_strings.h"
#include "model/kv_cache_type.h"
#include "session/model_context.h"
#include "tokenizer/incremental_detokenizer.h"

namespace junction::eval {
namespace {

constexpr int64_t kChunk = 512;  // tokens per forward call

session::OpenOptions open_options(int n_threads, const std::string& isa) {
  session::OpenOptions o;
  o.n_threads = n_threads;
  o.isa = isa;
  return o;
}

// The prompt ends inside an open reasoning block (R1-style templates add `<think>\n`).
bool opens_reasoning(std::string_view prompt) {
  const size_t end = prompt.find_last_not_of(" \t\r\n");
  return end != std::string_view::npos && prompt.substr(0, end + 1).ends_with("<think>");
}

}  // namespace

LocalEngineBackend::LocalEngineBackend(const std::string& model, int n_threads,
                                       const std::string& isa, int max_sequences)
    : model_name_(model),
      max_sequences_(std::max(1, max_sequences)),
      available_bytes_(mem_available_bytes()),
      model_(session::open_model(model, open_options(n_threads, isa))) {
  if (!model_.tokenizer) throw Error(model_.path + " has no tokenizer: in-process eval needs one");
}

LocalEngineBackend::~LocalEngineBackend() = default;

std::vector<int32_t> LocalEngineBackend::tokenize(const std::string& text) {
  return model_.tokenizer->encode(text, /*add_special_tokens=*/false);
}

int32_t LocalEngineBackend::prefix_token() {
  const tokenizer::Tokenizer& tok = *model_.tokenizer;
  if (tok.eos_id()) return *tok.eos_id();
  if (tok.bos_id()) return *tok.bos_id();
  throw Error(model_.path + " has neither an EOS nor a BOS token to put before an empty context");
}

std::vector<TokenScore> LocalEngineBackend::score(std::span<const int32_t> context,
                                                  std::span<const int32_t> continuation) {
  if (context.empty() || continuation.empty())
    throw Error("scoring needs a context and a continuation");
  const int64_t V = model_.model->config().vocab_size;
  for (const int32_t token : continuation)
    if (token < 0 || token >= V)
      throw Error("token id " + std::to_string(token) + " is outside the vocabulary");
  // The model reads context + continuation without its last token; the logits after the last
  // context token and after each continuation token but the last predict the continuation.
  const auto n_context = static_cast<int64_t>(context.size());
  const auto n_cont = static_cast<int64_t>(continuation.size());
  std::vector<int32_t> scored(context.end() - 1, context.end());  // rows whose logits are kept
  scored.insert(scored.end(), continuation.begin(), continuation.end() - 1);

  std::unique_lock<std::shared_mutex> lock(backend_mutex_);
  engine_.reset();  // no generation runs (the lock says so): the backend is ours
  Sequence sequence(*model_.model, n_context + n_cont - 1);
  if (n_context > 1) sequence.feed(*model_.backend, context.first(context.size() - 1), kChunk);
  std::vector<float> logits;  // [n_cont, V]
  sequence.feed(*model_.backend, scored, kChunk, &logits);
  std::vector<TokenScore> out;
  for (int64_t i = 0; i < n_cont; ++i) {
    const std::span<const float> row(logits.data() + i * V, static_cast<size_t>(V));
    const int32_t token = continuation[static_cast<size_t>(i)];
    out.push_back({row[static_cast<size_t>(token)] - log_sum_exp(row), first_argmax(row) == token});
  }
  return out;
}

EngineLoop& LocalEngineBackend::engine() {
  std::lock_guard<std::mutex> lock(engine_mutex_);
  if (engine_) return *engine_;
  const ContextFit fit =
      session::fit_model_context(model_, max_sequences_, kChunk, kKvCacheF32, available_bytes_);
  EngineOptions o;
  o.scheduler.max_running = max_sequences_;
  o.scheduler.max_waiting = std::max(64, max_sequences_);
  o.scheduler.block_size = 16;
  o.scheduler.n_blocks = std::max<int64_t>(1, (fit.n_pool_tokens + 15) / 16);
  o.scheduler.step_token_budget = kChunk;
  o.prefix_caching = true;  // the k samples of a problem share its prompt
  o.itl_target_s = 0;       // throughput: nobody watches these tokens arrive
  engine_ = std::make_unique<EngineLoop>(*model_.model, *model_.backend, o);
  return *engine_;
}

Generation LocalEngineBackend::generate_from(const std::vector<int32_t>& prompt,
                                             bool starts_in_reasoning,
                                             const GenerationParams& params) {
  EngineRequest request;
  request.prompt = prompt;
  request.max_tokens = params.max_tokens;
  request.sampling.temperature = static_cast<float>(params.temperature);
  request.sampling.top_p = static_cast<float>(params.top_p);
  request.sampling.seed = params.seed.value_or(0);
  request.eos_ids = model_.eos_ids;

  Generation g;
  g.prompt_tokens = static_cast<int64_t>(prompt.size());
  tokenizer::IncrementalDetokenizer detok(*model_.tokenizer, /*skip_special_tokens=*/true);
  StopStrings stops(params.stop);
  bool eos = false;
  ReasoningTokenCounter reasoning(starts_in_reasoning);
  std::shared_lock<std::shared_mutex> lock(backend_mutex_);
  const FinishInfo finish = run_one(engine(), std::move(request), [&](const TokenEvent& e) {
    ++g.completion_tokens;
    eos = std::find(model_.eos_ids.begin(), model_.eos_ids.end(), e.token) != model_.eos_ids.end();
    if (!eos) stops.add(detok.add(e.token));
    reasoning.add_token(stops.text());
    return !stops.matched();
  });
  if (finish.reason != StopReason::kCancelled) stops.add(detok.finish());
  g.text = stops.text();
  g.finish_reason = stops.matched() || finish.reason == StopReason::kStop ? "stop" : "length";
  g.reasoning_tokens = reasoning.count();
  return g;
}

Generation LocalEngineBackend::complete(const std::string& prompt, const GenerationParams& params) {
  return generate_from(tokenize(prompt), opens_reasoning(prompt), params);
}

Generation LocalEngineBackend::chat(const std::vector<ChatMessage>& messages,
                                    const GenerationParams& params) {
  if (!model_.chat_template)
    throw Error(model_.path + " has no chat template: chat tasks cannot run on it");
  nlohmann::ordered_json msgs = nlohmann::ordered_json::array();
  for (const ChatMessage& m : messages) msgs.push_back({{"role", m.role}, {"content", m.content}});
  const std::string text =
      model_.chat_template->render(msgs, nullptr, /*add_generation_prompt=*/true);
  return generate_from(model_.tokenizer->encode(text, false), opens_reasoning(text), params);
}

}  // namespace junction::eval
