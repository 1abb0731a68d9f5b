#include "engine/engine_loop.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "core/error.h"

namespace junction {

struct EngineLoop::Active {
  uint64_t id = 0;
  EngineRequest request;
  std::shared_ptr<RequestStream> stream;
  std::unique_ptr<KvCache> cache;
  std::unique_ptr<Sampler> sampler;
  std::vector<int32_t> tokens;  // prompt, then every sampled token
  int64_t n_prompt = 0;
  int64_t n_computed = 0;  // tokens whose KV is in the cache
  int64_t n_generated = 0;
  int64_t n_cached = 0;  // prompt tokens reused from the prefix cache
  std::vector<TokenEvent> prompt_logprobs;
  bool done = false;
};

struct EngineLoop::CachedPrefix {
  std::vector<int32_t> tokens;  // the tokens whose KV the cache holds, positions 0..n-1
  std::unique_ptr<KvCache> cache;
  int64_t n_blocks = 0;
  uint64_t last_use = 0;
};

EngineLoop::EngineLoop(const Model& model, kernels::Backend& backend, EngineOptions options)
    : model_(model),
      backend_(backend),
      options_(options),
      vocab_(model.config().vocab_size),
      scheduler_(options.scheduler) {
  stats_.n_total_blocks = options_.scheduler.n_blocks;
  thread_ = std::thread([this] { run(); });
}

EngineLoop::~EngineLoop() {
  stop();
}

EngineLoop::Submit EngineLoop::submit(EngineRequest request,
                                      std::shared_ptr<RequestStream> stream) {
  const int64_t n_total = static_cast<int64_t>(request.prompt.size()) + request.max_tokens;
  if (request.prompt.empty() || scheduler_.blocks_for(n_total) > options_.scheduler.n_blocks)
    return Submit::kTooLarge;
  std::lock_guard lock(mutex_);
  if (!accepting_ || stop_) return Submit::kStopped;
  if (n_pending_.load() >= options_.scheduler.max_waiting) return Submit::kQueueFull;
  n_pending_.fetch_add(1);
  n_live_.fetch_add(1);
  inbox_.emplace_back(std::move(request), std::move(stream));
  wake_.notify_one();
  return Submit::kAccepted;
}

void EngineLoop::stop_accepting() {
  std::lock_guard lock(mutex_);
  accepting_ = false;
}

bool EngineLoop::idle() const {
  std::lock_guard lock(mutex_);
  return inbox_.empty() && n_live_.load() == 0;
}

void EngineLoop::stop() {
  {
    std::lock_guard lock(mutex_);
    accepting_ = false;
    stop_ = true;
    wake_.notify_one();
  }
  if (thread_.joinable()) thread_.join();
}

EngineStats EngineLoop::stats() const {
  std::lock_guard lock(mutex_);
  return stats_;
}

void EngineLoop::run() {
  for (;;) {
    std::deque<std::pair<EngineRequest, std::shared_ptr<RequestStream>>> inbox;
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [&] { return stop_ || !inbox_.empty() || !active_.empty(); });
      if (stop_) break;
      inbox.swap(inbox_);
    }
    take_new(inbox);
    drop_cancelled();
    start_admitted();
    step();
    reap_finished();
    publish_stats();
  }
  // Shutting down: whatever is left is cancelled.
  for (auto& a : active_)
    if (!a->done) finish(*a, StopReason::kCancelled);
  {
    std::lock_guard lock(mutex_);
    for (auto& [request, stream] : inbox_) stream->finish({StopReason::kCancelled, 0, 0, {}});
    inbox_.clear();
  }
  active_.clear();
  prefixes_.clear();
}

void EngineLoop::take_new(
    std::deque<std::pair<EngineRequest, std::shared_ptr<RequestStream>>>& inbox) {
  for (auto& [request, stream] : inbox) {
    auto a = std::make_unique<Active>();
    a->id = next_id_++;
    a->n_prompt = static_cast<int64_t>(request.prompt.size());
    a->tokens = request.prompt;
    a->request = std::move(request);
    a->stream = std::move(stream);
    const int64_t n_total = a->n_prompt + a->request.max_tokens;
    const int64_t max_chunk = a->request.prompt_logprobs ? options_.logits_chunk : 0;
    const auto admission = scheduler_.add(a->id, a->n_prompt, n_total, max_chunk);
    if (admission != Scheduler::Admission::kQueued) {
      a->stream->finish({StopReason::kError, a->n_prompt, 0,
                         admission == Scheduler::Admission::kQueueFull
                             ? "the request queue is full"
                             : "the request needs more KV "
                               "cache than the server has"});
      n_pending_.fetch_sub(1);
      n_live_.fetch_sub(1);
      continue;
    }
    active_.push_back(std::move(a));
  }
}

void EngineLoop::drop_cancelled() {
  for (auto& a : active_)
    if (!a->done && a->stream->cancelled()) finish(*a, StopReason::kCancelled);
  reap_finished();
}

static int64_t common_prefix(const std::vector<int32_t>& a, const std::vector<int32_t>& b) {
  const size_t n = std::min(a.size(), b.size());
  size_t i = 0;
  while (i < n && a[i] == b[i]) ++i;
  return static_cast<int64_t>(i);
}

void EngineLoop::start_admitted() {
  while (!prefixes_.empty() && scheduler_.blocks_short_for_next()) evict_lru_prefix();
  for (uint64_t id : scheduler_.admit()) {
    auto it = std::find_if(active_.begin(), active_.end(), [&](auto& a) { return a->id == id; });
    if (it == active_.end()) continue;
    Active& a = **it;
    n_pending_.fetch_sub(1);
    const int64_t n_total = a.n_prompt + a.request.max_tokens;
    a.sampler = std::make_unique<Sampler>(a.request.sampling, a.request.prompt);
    // Prefix cache lookup (not for prompt logprobs: those need every prompt row's logits).
    CachedPrefix* best = nullptr;
    int64_t best_len = 0;
    if (options_.prefix_caching && !a.request.prompt_logprobs) {
      prefix_queried_ += a.n_prompt;
      for (CachedPrefix& p : prefixes_) {
        const int64_t len = std::min(common_prefix(p.tokens, a.request.prompt), a.n_prompt - 1);
        if (len > best_len) best_len = len, best = &p;
      }
    }
    if (best && best->cache->capacity() >= n_total) {
      a.cache = std::move(best->cache);  // adopt: positions past the prefix get overwritten
      scheduler_.release_blocks(best->n_blocks);
      prefixes_.erase(prefixes_.begin() + (best - prefixes_.data()));
    } else {
      a.cache = std::make_unique<KvCache>(model_.config(), n_total);
      if (best) {
        // Copy the shared positions: [n_kv_heads, capacity, head_dim] -> [n, n_kv_heads, head_dim].
        const ModelConfig& c = model_.config();
        const int64_t hd = c.head_dim, nkv = c.num_key_value_heads, cap = best->cache->capacity();
        std::vector<float> k(best_len * nkv * hd), v(best_len * nkv * hd);
        for (int64_t layer = 0; layer < c.num_hidden_layers; ++layer) {
          const float* ks = best->cache->keys(layer);
          const float* vs = best->cache->values(layer);
          for (int64_t t = 0; t < best_len; ++t)
            for (int64_t h = 0; h < nkv; ++h) {
              std::copy_n(ks + (h * cap + t) * hd, hd, k.data() + (t * nkv + h) * hd);
              std::copy_n(vs + (h * cap + t) * hd, hd, v.data() + (t * nkv + h) * hd);
            }
          a.cache->write(layer, 0, best_len, k.data(), v.data());
        }
        best->last_use = ++clock_;
      }
    }
    if (best_len > 0) {
      a.n_cached = best_len;
      a.n_computed = best_len;
      prefix_hits_ += best_len;
      scheduler_.skip_prefix(a.id, best_len);
    }
    if (a.request.max_tokens == 0 && !a.request.prompt_logprobs) finish(a, StopReason::kLength);
  }
  reap_finished();
}

void EngineLoop::step() {
  const std::vector<ScheduledSlice> plan = scheduler_.plan();
  if (plan.empty()) return;
  std::vector<BatchSlice> slices;
  std::vector<Active*> owners;
  int64_t rows = 0;
  for (const ScheduledSlice& s : plan) {
    auto it = std::find_if(active_.begin(), active_.end(), [&](auto& a) { return a->id == s.id; });
    Active& a = **it;
    BatchSlice b;
    b.cache = a.cache.get();
    b.ids = std::span<const int32_t>(a.tokens).subspan(s.pos0, s.n_tokens);
    b.pos0 = s.pos0;
    const bool reaches_end = s.pos0 + s.n_tokens >= a.n_prompt;
    b.n_logits = (s.prefill && a.request.prompt_logprobs) ? s.n_tokens : (reaches_end ? 1 : 0);
    rows += b.n_logits;
    slices.push_back(b);
    owners.push_back(&a);
  }
  logits_.resize(static_cast<size_t>(std::max<int64_t>(rows, 1) * vocab_));
  try {
    model_.forward(backend_, slices, logits_.data(), scratch_);
  } catch (const std::exception& e) {
    for (Active* a : owners) finish(*a, StopReason::kError, e.what());
    return;
  }
  ++n_steps_;
  scheduler_.complete(plan);
  float* row = logits_.data();
  for (size_t i = 0; i < plan.size(); ++i) {
    Active& a = *owners[i];
    const ScheduledSlice& s = plan[i];
    a.n_computed = s.pos0 + s.n_tokens;
    const int64_t first = s.pos0 + s.n_tokens - slices[i].n_logits;  // position of the first row
    for (int64_t r = 0; r < slices[i].n_logits; ++r, row += vocab_) {
      const int64_t pos = first + r;
      if (a.done) continue;
      if (pos + 1 < a.n_prompt) {
        prompt_logprob_row(a, row, a.tokens[pos + 1]);
        continue;
      }
      if (a.request.prompt_logprobs && s.prefill)
        a.stream->push_prompt_logprobs(std::move(a.prompt_logprobs));
      sample_row(a, row);
    }
  }
}

TokenEvent EngineLoop::logprob_event(const float* raw, int32_t token, int top) const {
  float max = -std::numeric_limits<float>::infinity();
  for (int64_t i = 0; i < vocab_; ++i) max = std::max(max, raw[i]);
  double sum = 0;
  for (int64_t i = 0; i < vocab_; ++i) sum += std::exp(static_cast<double>(raw[i] - max));
  const float lse = max + static_cast<float>(std::log(sum));
  TokenEvent e;
  e.token = token;
  e.logprob = raw[token] - lse;
  if (top > 0) {
    std::vector<int32_t> ids(static_cast<size_t>(vocab_));
    for (int64_t i = 0; i < vocab_; ++i) ids[i] = static_cast<int32_t>(i);
    const int k = std::min<int>(top, static_cast<int>(vocab_));
    std::partial_sort(ids.begin(), ids.begin() + k, ids.end(), [&](int32_t x, int32_t y) {
      return raw[x] != raw[y] ? raw[x] > raw[y] : x < y;
    });
    for (int j = 0; j < k; ++j) e.top.push_back({ids[j], raw[ids[j]] - lse});
  }
  return e;
}

void EngineLoop::prompt_logprob_row(Active& a, const float* row, int32_t next_token) {
  a.prompt_logprobs.push_back(logprob_event(row, next_token, std::max(0, a.request.top_logprobs)));
}

void EngineLoop::sample_row(Active& a, float* row) {
  const EngineRequest& r = a.request;
  if (a.n_generated >= r.max_tokens) {  // max_tokens 0 with prompt logprobs
    finish(a, StopReason::kLength);
    return;
  }
  std::span<float> logits(row, static_cast<size_t>(vocab_));
  std::vector<float> raw;
  if (r.top_logprobs >= 0) raw.assign(row, row + vocab_);
  if (r.constraint) r.constraint->mask(logits);
  if (a.n_generated < r.min_tokens)
    for (int32_t id : r.eos_ids)
      if (id >= 0 && id < vocab_) logits[id] = -std::numeric_limits<float>::infinity();
  const int32_t token = a.sampler->sample(logits);
  a.sampler->accept(token);
  if (r.constraint) r.constraint->accept(token);
  TokenEvent event = r.top_logprobs >= 0 ? logprob_event(raw.data(), token, r.top_logprobs)
                                         : TokenEvent{token, 0, {}};
  a.tokens.push_back(token);
  ++a.n_generated;
  a.stream->push(std::move(event));
  const bool eos = std::find(r.eos_ids.begin(), r.eos_ids.end(), token) != r.eos_ids.end();
  if (eos && !r.ignore_eos)
    finish(a, StopReason::kStop);
  else if (a.n_generated >= r.max_tokens)
    finish(a, StopReason::kLength);
}

void EngineLoop::finish(Active& a, StopReason reason, std::string error) {
  if (a.done) return;
  a.done = true;
  const bool was_running = scheduler_.is_running(a.id);
  scheduler_.remove(a.id);
  if (!was_running) n_pending_.fetch_sub(1);
  a.stream->finish({reason, a.n_prompt, a.n_cached, std::move(error)});
  n_live_.fetch_sub(1);
  if (was_running && reason != StopReason::kError) cache_prefix(a);
  a.cache.reset();
}

void EngineLoop::reap_finished() {
  std::erase_if(active_, [](const auto& a) { return a->done; });
}

void EngineLoop::cache_prefix(Active& a) {
  if (!options_.prefix_caching || !a.cache || a.n_computed <= 0) return;
  const int64_t blocks = scheduler_.blocks_for(a.cache->capacity());
  while (!scheduler_.hold_blocks(blocks)) {
    if (prefixes_.empty()) return;
    evict_lru_prefix();
  }
  CachedPrefix p;
  p.tokens.assign(a.tokens.begin(), a.tokens.begin() + a.n_computed);
  p.cache = std::move(a.cache);
  p.n_blocks = blocks;
  p.last_use = ++clock_;
  prefixes_.push_back(std::move(p));
  while (static_cast<int64_t>(prefixes_.size()) > options_.max_cached_prefixes) evict_lru_prefix();
}

void EngineLoop::evict_lru_prefix() {
  auto lru = std::min_element(prefixes_.begin(), prefixes_.end(),
                              [](const auto& x, const auto& y) { return x.last_use < y.last_use; });
  scheduler_.release_blocks(lru->n_blocks);
  prefixes_.erase(lru);
}

void EngineLoop::publish_stats() {
  std::lock_guard lock(mutex_);
  stats_.n_running = scheduler_.n_running();
  stats_.n_waiting = scheduler_.n_waiting() + static_cast<int64_t>(inbox_.size());
  stats_.n_used_blocks = scheduler_.n_used_blocks();
  stats_.n_total_blocks = scheduler_.config().n_blocks;
  stats_.prefix_queried_tokens = prefix_queried_;
  stats_.prefix_hit_tokens = prefix_hits_;
  stats_.n_steps = n_steps_;
}

}  // namespace junction
