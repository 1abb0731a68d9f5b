#include "engine/engine_loop.h"

#include <algorithm>
#include <chrono>
#include <limits>

#include "core/error.h"
#include "engine/drafter_model.h"
#include "engine/logprob.h"
#include "engine/speculative.h"

namespace junction {

struct EngineLoop::Active {
  uint64_t id = 0;
  EngineRequest request;
  std::shared_ptr<RequestStream> stream;
  std::unique_ptr<KvCache> cache;
  std::unique_ptr<Sampler> sampler;
  std::vector<int32_t> tokens;  // prompt, then every sampled token
  int64_t n_prompt = 0;
  int64_t n_prefill = 0;   // tokens prefilled on this admission: the prompt, then after a
                           // preemption the prompt and what was generated
  int64_t n_computed = 0;  // tokens whose KV is in the cache
  int64_t n_generated = 0;
  int64_t n_cached = 0;                          // prompt tokens reused from the prefix cache
  int64_t n_published = 0;                       // leading blocks published for reuse
  uint64_t last_hash = BlockManager::kRootHash;  // chained hash of the last published block
  std::vector<TokenEvent> prompt_logprobs;
  bool prompt_logprobs_sent = false;
  std::unique_ptr<SpeculativeSequence> spec;  // null: no speculative decoding
  // Set while a draft is verified: a finish then waits for the round's counts.
  std::optional<FinishInfo>* deferred_finish = nullptr;
  bool done = false;
};

EngineLoop::EngineLoop(const Model& model, kernels::Backend& backend, EngineOptions options)
    : model_(model),
      backend_(backend),
      options_(options),
      vocab_(model.config().vocab_size),
      scheduler_(options.scheduler),
      step_budget_(StepBudgetConfig{.target_s = options.itl_target_s,
                                    .min_chunk = options.scheduler.block_size,
                                    .max_tokens = options.scheduler.step_token_budget}),
      pool_(model.config(), options.scheduler.n_blocks, scheduler_.config().block_size,
            options.kv_type) {
  stats_.n_total_blocks = options_.scheduler.n_blocks;
  if (options_.speculative.draft_model)
    check_draft_vocabulary(model.config(), options_.speculative.draft_model->config());
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
    for (auto& [request, stream] : inbox_) stream->finish({StopReason::kCancelled, 0, 0, {}, 0, 0});
    inbox_.clear();
  }
  active_.clear();
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
                               "cache than the server has",
                         0, 0});
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

EngineLoop::Active* EngineLoop::find(uint64_t id) {
  for (auto& a : active_)
    if (a->id == id) return a.get();
  return nullptr;
}

void EngineLoop::start_admitted() {
  while (const auto id = scheduler_.next_to_admit()) {
    Active* a = find(*id);
    if (!a) {  // cannot happen: every queued id has its Active
      scheduler_.remove(*id);
      continue;
    }
    // Prompt logprobs need every prompt row's logits, so those prompts are computed whole.
    const bool reuse = options_.prefix_caching && !wants_prompt_logprobs(*a);
    // After a preemption the prompt and what was generated so far are prefilled again.
    const int64_t n_prefill = static_cast<int64_t>(a->tokens.size());
    PrefixMatch match;
    if (reuse) match = scheduler_.block_manager().match(a->tokens, n_prefill - 1);
    if (!scheduler_.admit(*id, match)) break;  // FIFO: wait for blocks
    n_pending_.fetch_sub(1);
    const bool readmitted = a->sampler != nullptr;
    if (!readmitted) {
      a->sampler = std::make_unique<Sampler>(a->request.sampling, a->request.prompt);
      a->cache = std::make_unique<KvCache>(pool_);
      if (options_.speculative.enabled())
        a->spec = std::make_unique<SpeculativeSequence>(options_.speculative, backend_,
                                                        a->n_prompt + a->request.max_tokens,
                                                        options_.kv_type, a->request.sampling);
    }
    a->n_prefill = n_prefill;
    a->n_computed = scheduler_.n_reused(*id);
    a->n_published = a->n_computed / scheduler_.config().block_size;
    a->last_hash = a->n_published > 0 ? match.hashes[a->n_published - 1] : BlockManager::kRootHash;
    if (readmitted) continue;
    a->n_cached = a->n_computed;
    if (reuse) {
      prefix_queried_ += a->n_prompt;
      prefix_hits_ += a->n_cached;
    }
    if (a->request.max_tokens == 0 && !a->request.prompt_logprobs) finish(*a, StopReason::kLength);
  }
  reap_finished();
}

void EngineLoop::step() {
  for (uint64_t id : scheduler_.grow()) requeue_preempted(*find(id));
  std::vector<ScheduledSlice> plan = scheduler_.plan(step_budget_.prefill_budget());
  if (plan.empty()) return;
  int64_t n_decode = 0, n_prefill = 0;
  for (const ScheduledSlice& s : plan) (s.prefill ? n_prefill : n_decode) += s.n_tokens;
  std::vector<BatchSlice> slices;
  std::vector<Active*> owners;
  std::vector<int64_t> n_drafts;  // per slice: drafted tokens appended to the decode token
  int64_t rows = 0;
  for (ScheduledSlice& s : plan) {
    auto it = std::find_if(active_.begin(), active_.end(), [&](auto& a) { return a->id == s.id; });
    Active& a = **it;
    const int64_t n_draft = s.prefill || !a.spec ? 0 : propose_draft(a, s.pos0);
    s.n_tokens += n_draft;
    n_drafts.push_back(n_draft);
    a.cache->set_blocks(scheduler_.ensure_blocks(s.id, s.pos0 + s.n_tokens));
    BatchSlice b;
    b.cache = a.cache.get();
    b.ids = std::span<const int32_t>(a.tokens).subspan(s.pos0, s.n_tokens);
    b.pos0 = s.pos0;
    const bool reaches_end = s.pos0 + s.n_tokens >= a.n_prefill;
    b.n_logits = (s.prefill && wants_prompt_logprobs(a)) ? s.n_tokens : (reaches_end ? 1 : 0);
    if (n_draft > 0) b.n_logits = 1 + n_draft;  // the decode token's row and each draft's
    rows += b.n_logits;
    slices.push_back(b);
    owners.push_back(&a);
  }
  logits_.resize(static_cast<size_t>(std::max<int64_t>(rows, 1) * vocab_));
  const auto started = std::chrono::steady_clock::now();
  try {
    model_.forward(backend_, slices, logits_.data(), scratch_);
  } catch (const std::exception& e) {
    for (Active* a : owners) finish(*a, StopReason::kError, e.what());
    return;
  }
  step_budget_.observe(
      n_decode, n_prefill,
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
  ++n_steps_;
  float* row = logits_.data();
  for (size_t i = 0; i < plan.size(); ++i) {
    Active& a = *owners[i];
    ScheduledSlice& s = plan[i];
    if (n_drafts[i] > 0) {
      // The KV of rejected drafts stays in the blocks until later tokens overwrite it.
      s.n_tokens = 1 + verify_draft(a, row, n_drafts[i]);
      row += (1 + n_drafts[i]) * vocab_;
      a.n_computed = s.pos0 + s.n_tokens;
      publish_blocks(a);
      continue;
    }
    a.n_computed = s.pos0 + s.n_tokens;
    publish_blocks(a);
    const int64_t first = s.pos0 + s.n_tokens - slices[i].n_logits;  // position of the first row
    for (int64_t r = 0; r < slices[i].n_logits; ++r, row += vocab_) {
      const int64_t pos = first + r;
      if (a.done) continue;
      if (pos + 1 < a.n_prompt) {
        prompt_logprob_row(a, row, a.tokens[pos + 1]);
        continue;
      }
      if (s.prefill && wants_prompt_logprobs(a)) {
        a.stream->push_prompt_logprobs(std::move(a.prompt_logprobs));
        a.prompt_logprobs_sent = true;
      }
      sample_row(a, row);
    }
  }
  scheduler_.complete(plan);
}

int64_t EngineLoop::propose_draft(Active& a, int64_t pos0) {
  // Drafts never take the sequence past prompt + max_tokens (a round emits at most n_draft + 1
  // tokens), nor past the KV blocks free for them now (grow() gave the decode token its own).
  const int64_t free_positions =
      scheduler_.extend_for_draft(a.id, pos0 + 1 + options_.speculative.length.max_length) -
      (pos0 + 1);
  const int64_t room = std::min(a.request.max_tokens - a.n_generated - 1, free_positions);
  if (room <= 0 || static_cast<int64_t>(a.tokens.size()) != pos0 + 1) return 0;
  const Draft& draft = a.spec->propose(a.tokens, room);
  // Appended so the slice's ids are one span; verify_draft takes them off again.
  a.tokens.insert(a.tokens.end(), draft.tokens.begin(), draft.tokens.end());
  return static_cast<int64_t>(draft.tokens.size());
}

int64_t EngineLoop::verify_draft(Active& a, float* rows, int64_t n_draft) {
  a.tokens.resize(a.tokens.size() - static_cast<size_t>(n_draft));
  const Draft& draft = a.spec->draft();
  std::optional<FinishInfo> finished;
  a.deferred_finish = &finished;
  int64_t n_accepted = 0;
  for (int64_t r = 0; r <= n_draft && !a.done; ++r, rows += vocab_) {
    if (r == n_draft) {  // every draft kept: the last row gives one more token
      sample_row(a, rows);
      break;
    }
    const float* q = draft.q.empty() ? nullptr : draft.q.data() + r * vocab_;
    if (sample_row(a, rows, &draft.tokens[r], q) != draft.tokens[r]) break;
    ++n_accepted;
  }
  a.spec->observe(n_accepted);
  spec_drafted_ += n_draft;
  spec_accepted_ += n_accepted;
  a.deferred_finish = nullptr;
  if (finished) {
    finished->n_draft_tokens = a.spec->n_drafted();
    finished->n_accepted_draft_tokens = a.spec->n_accepted();
    a.stream->finish(std::move(*finished));
  }
  return n_accepted;
}

void EngineLoop::prompt_logprob_row(Active& a, const float* row, int32_t next_token) {
  a.prompt_logprobs.push_back(
      token_logprobs(std::span<const float>(row, static_cast<size_t>(vocab_)), next_token,
                     std::max(0, a.request.top_logprobs)));
}

int32_t EngineLoop::sample_row(Active& a, float* row, const int32_t* draft, const float* q) {
  const EngineRequest& r = a.request;
  if (a.n_generated >= r.max_tokens) {  // max_tokens 0 with prompt logprobs
    finish(a, StopReason::kLength);
    return -1;
  }
  std::span<float> logits(row, static_cast<size_t>(vocab_));
  std::vector<float> raw;
  if (r.top_logprobs >= 0) raw.assign(row, row + vocab_);
  if (r.constraint) r.constraint->mask(logits);
  if (a.n_generated < r.min_tokens)
    for (int32_t id : r.eos_ids)
      if (id >= 0 && id < vocab_) logits[id] = -std::numeric_limits<float>::infinity();
  // A point-mass draft d is kept iff a plain draw t ~ p gives d (engine/speculative.h).
  const int32_t token =
      draft && q ? speculative_choice(a.sampler->distribution(logits),
                                      std::span<const float>(q, static_cast<size_t>(vocab_)),
                                      *draft, a.sampler->uniform(), a.sampler->uniform())
                       .token
                 : a.sampler->sample(logits);
  a.sampler->accept(token);
  if (r.constraint) r.constraint->accept(token);
  TokenEvent event =
      r.top_logprobs >= 0 ? token_logprobs(raw, token, r.top_logprobs) : TokenEvent{token, 0, {}};
  a.tokens.push_back(token);
  ++a.n_generated;
  a.stream->push(std::move(event));
  const bool eos = std::find(r.eos_ids.begin(), r.eos_ids.end(), token) != r.eos_ids.end();
  if (eos && !r.ignore_eos)
    finish(a, StopReason::kStop);
  else if (a.n_generated >= r.max_tokens)
    finish(a, StopReason::kLength);
  return token;
}

bool EngineLoop::wants_prompt_logprobs(const Active& a) {
  return a.request.prompt_logprobs && !a.prompt_logprobs_sent;
}

void EngineLoop::requeue_preempted(Active& a) {
  // Its blocks are gone; everything else (tokens, sampler, constraint, stream) is kept, and the
  // KV is recomputed on re-admission. Prompt logprob rows not yet sent are computed again.
  a.n_computed = a.n_prefill = 0;
  a.prompt_logprobs.clear();
  n_pending_.fetch_add(1);
}

void EngineLoop::finish(Active& a, StopReason reason, std::string error) {
  if (a.done) return;
  a.done = true;
  const bool was_running = scheduler_.is_running(a.id);
  scheduler_.remove(a.id);  // its blocks are free at once; published ones stay cached
  if (!was_running) n_pending_.fetch_sub(1);
  FinishInfo info{reason,
                  a.n_prompt,
                  a.n_cached,
                  std::move(error),
                  a.spec ? a.spec->n_drafted() : 0,
                  a.spec ? a.spec->n_accepted() : 0};
  if (a.deferred_finish)
    *a.deferred_finish = std::move(info);
  else
    a.stream->finish(std::move(info));
  n_live_.fetch_sub(1);
  a.cache.reset();
}

void EngineLoop::reap_finished() {
  std::erase_if(active_, [](const auto& a) { return a->done; });
}

void EngineLoop::publish_blocks(Active& a) {
  if (!options_.prefix_caching) return;
  const int64_t bs = scheduler_.config().block_size;
  const std::span<const int32_t> table = scheduler_.blocks_of(a.id);
  while ((a.n_published + 1) * bs <= a.n_computed &&
         a.n_published < static_cast<int64_t>(table.size())) {
    const auto tokens = std::span<const int32_t>(a.tokens).subspan(a.n_published * bs, bs);
    const uint64_t hash = BlockManager::chain_hash(a.last_hash, tokens);
    scheduler_.block_manager().publish(table[a.n_published], a.last_hash, hash, tokens);
    a.last_hash = hash;
    ++a.n_published;
  }
}

void EngineLoop::publish_stats() {
  std::lock_guard lock(mutex_);
  stats_.n_running = scheduler_.n_running();
  stats_.n_waiting = scheduler_.n_waiting() + static_cast<int64_t>(inbox_.size());
  stats_.n_used_blocks = scheduler_.n_used_blocks();
  stats_.n_cached_blocks = scheduler_.block_manager().n_cached();
  stats_.n_total_blocks = scheduler_.config().n_blocks;
  stats_.prefix_queried_tokens = prefix_queried_;
  stats_.prefix_hit_tokens = prefix_hits_;
  stats_.n_steps = n_steps_;
  stats_.n_preemptions = scheduler_.n_preemptions();
  stats_.spec_draft_tokens = spec_drafted_;
  stats_.spec_accepted_tokens = spec_accepted_;
}

}  // namespace junction
