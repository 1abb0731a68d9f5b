#include "eval/local_engine_backend.h"

#include <algorithm>
#include <cmath>
#include <filesystem>

#include "chat/template_source.h"
#include "core/error.h"
#include "engine/sequence.h"
#include "model/kv_cache.h"
#include "tokenizer/incremental_detokenizer.h"

namespace junction::eval {
namespace {

constexpr int64_t kChunk = 512;  // tokens per forward call

}  // namespace

LocalEngineBackend::LocalEngineBackend(const std::string& model_path, int n_threads)
    : model_path_(model_path) {
  model_ = Model::load(model_path);
  tokenizer_ = std::make_unique<tokenizer::Tokenizer>(tokenizer::Tokenizer::load(model_path));
  pool_ = std::make_unique<ThreadPool>(std::max(1, n_threads));
  backend_ = kernels::make_cpu_backend(*pool_);
  model_->prepare_weights(*backend_);
  if (std::filesystem::is_directory(model_path)) {
    try {
      chat::TemplateSource source = chat::find_chat_template(model_path);
      if (source.bos_token.empty() && tokenizer_->bos_id())
        source.bos_token = std::string(tokenizer_->id_to_token(*tokenizer_->bos_id()));
      if (source.eos_token.empty() && tokenizer_->eos_id())
        source.eos_token = std::string(tokenizer_->id_to_token(*tokenizer_->eos_id()));
      chat_template_ =
          std::make_unique<chat::ChatTemplate>(source.text, source.bos_token, source.eos_token);
    } catch (const Error&) {
      chat_template_.reset();  // chat() explains when it is needed
    }
  }
}

LocalEngineBackend::~LocalEngineBackend() = default;

std::vector<int32_t> LocalEngineBackend::tokenize(const std::string& text) {
  return tokenizer_->encode(text, /*add_special_tokens=*/false);
}

int32_t LocalEngineBackend::prefix_token() {
  if (tokenizer_->eos_id()) return *tokenizer_->eos_id();
  if (tokenizer_->bos_id()) return *tokenizer_->bos_id();
  throw Error(model_path_ + " has neither an EOS nor a BOS token to put before an empty context");
}

std::vector<TokenScore> LocalEngineBackend::score(std::span<const int32_t> context,
                                                  std::span<const int32_t> continuation) {
  if (context.empty() || continuation.empty())
    throw Error("scoring needs a context and a continuation");
  // The model reads context + continuation without its last token; the logits at the last
  // continuation.size() positions predict the continuation's tokens.
  std::vector<int32_t> input(context.begin(), context.end());
  input.insert(input.end(), continuation.begin(), continuation.end() - 1);
  const auto n = static_cast<int64_t>(input.size());
  const auto n_cont = static_cast<int64_t>(continuation.size());
  const int64_t V = model_->config().vocab_size;

  std::lock_guard<std::mutex> lock(mutex_);
  KvCache cache(model_->config(), n);
  ForwardScratch scratch;
  std::vector<float> logits;  // [n_cont, V] rows in order
  logits.reserve(static_cast<size_t>(n_cont * V));
  std::vector<float> chunk_logits;
  const int64_t first_wanted = n - n_cont;  // position whose logits predict continuation[0]
  for (int64_t begin = 0; begin < n; begin += kChunk) {
    const int64_t count = std::min(kChunk, n - begin);
    const int64_t wanted = std::max<int64_t>(0, begin + count - std::max(begin, first_wanted));
    chunk_logits.resize(static_cast<size_t>(std::max<int64_t>(wanted, 1) * V));
    const std::span<const int32_t> ids(input.data() + begin, static_cast<size_t>(count));
    model_->forward(*backend_, cache, ids, begin, wanted, chunk_logits.data(), scratch);
    logits.insert(logits.end(), chunk_logits.begin(), chunk_logits.begin() + wanted * V);
  }

  std::vector<TokenScore> out;
  for (int64_t i = 0; i < n_cont; ++i) {
    const float* row = logits.data() + i * V;
    const int32_t token = continuation[static_cast<size_t>(i)];
    if (token < 0 || token >= V)
      throw Error("token id " + std::to_string(token) + " is outside the vocabulary");
    // log_softmax in double: logprob = x_t - max - log(sum exp(x - max)).
    const float* best = std::max_element(row, row + V);  // first maximum, as torch.argmax
    double sum = 0;
    for (int64_t v = 0; v < V; ++v) sum += std::exp(static_cast<double>(row[v]) - *best);
    out.push_back({static_cast<double>(row[token]) - *best - std::log(sum), best - row == token});
  }
  return out;
}

Generation LocalEngineBackend::generate_from(const std::vector<int32_t>& prompt,
                                             const GenerationParams& params) {
  std::lock_guard<std::mutex> lock(mutex_);
  Sequence sequence(*model_, static_cast<int64_t>(prompt.size()) + params.max_tokens);
  GenerationRequest request;
  request.prompt = prompt;
  request.max_tokens = params.max_tokens;
  request.sampling.temperature = static_cast<float>(params.temperature);
  request.sampling.seed = params.seed.value_or(0);
  if (tokenizer_->eos_id()) request.stop_ids.push_back(*tokenizer_->eos_id());
  for (const int64_t id : model_->generation_config().eos_token_ids)
    request.stop_ids.push_back(static_cast<int32_t>(id));

  Generation g;
  g.prompt_tokens = static_cast<int64_t>(prompt.size());
  g.finish_reason = "length";
  tokenizer::IncrementalDetokenizer detok(*tokenizer_, /*skip_special_tokens=*/true);
  const FinishReason reason = generate(*model_, *backend_, sequence, request, [&](int32_t token) {
    ++g.completion_tokens;
    if (std::find(request.stop_ids.begin(), request.stop_ids.end(), token) !=
        request.stop_ids.end()) {
      g.finish_reason = "stop";
      return true;
    }
    g.text += detok.add(token);
    for (const std::string& stop : params.stop) {
      const size_t at = g.text.find(stop);
      if (at != std::string::npos) {
        g.text.resize(at);
        g.finish_reason = "stop";
        return false;
      }
    }
    return true;
  });
  if (reason != FinishReason::kCancelled) g.text += detok.finish();
  return g;
}

Generation LocalEngineBackend::complete(const std::string& prompt, const GenerationParams& params) {
  return generate_from(tokenize(prompt), params);
}

Generation LocalEngineBackend::chat(const std::vector<ChatMessage>& messages,
                                    const GenerationParams& params) {
  if (!chat_template_)
    throw Error(model_path_ + " has no chat template: chat tasks cannot run on it");
  nlohmann::ordered_json msgs = nlohmann::ordered_json::array();
  for (const ChatMessage& m : messages) msgs.push_back({{"role", m.role}, {"content", m.content}});
  const std::string text = chat_template_->render(msgs, nullptr, /*add_generation_prompt=*/true);
  return generate_from(tokenizer_->encode(text, false), params);
}

}  // namespace junction::eval
