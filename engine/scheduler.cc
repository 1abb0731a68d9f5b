#include "engine/scheduler.h"

#include <algorithm>
#include <stdexcept>

namespace junction {

Scheduler::Scheduler(SchedulerConfig config)
    : config_(config), blocks_(config.n_blocks, std::max<int64_t>(1, config.block_size)) {
  config_.block_size = blocks_.block_size();
  config_.max_running = std::max<int64_t>(1, config_.max_running);
  config_.step_token_budget = std::max<int64_t>(1, config_.step_token_budget);
  watermark_ = config_.watermark_blocks >= 0 ? config_.watermark_blocks
                                             : std::max<int64_t>(1, config_.n_blocks / 100);
}

int64_t Scheduler::blocks_for(int64_t tokens) const {
  return (std::max<int64_t>(0, tokens) + config_.block_size - 1) / config_.block_size;
}

Scheduler::Admission Scheduler::add(uint64_t id, int64_t n_prompt, int64_t n_total,
                                    int64_t max_chunk) {
  if (blocks_for(n_total) > config_.n_blocks || n_prompt <= 0 || n_total < n_prompt)
    return Admission::kTooLarge;
  if (n_waiting() >= config_.max_waiting) return Admission::kQueueFull;
  waiting_.push_back(Entry{id, n_prompt, n_total, max_chunk});
  return Admission::kQueued;
}

std::optional<uint64_t> Scheduler::next_to_admit() const {
  if (waiting_.empty() || n_running() >= config_.max_running) return std::nullopt;
  return waiting_.front().id;
}

bool Scheduler::admit(uint64_t id, const PrefixMatch& prefix) {
  if (next_to_admit() != id) return false;
  Entry& head = waiting_.front();
  const int64_t reusable = std::min<int64_t>(static_cast<int64_t>(prefix.blocks.size()),
                                             (head.n_prompt - 1) / config_.block_size);
  const std::span<const int32_t> reused(prefix.blocks.data(), static_cast<size_t>(reusable));
  // Reusing a cached block takes it out of the available ones just as allocating would.
  int64_t revived = 0;
  for (int32_t b : reused) revived += blocks_.ref_count(b) == 0;
  const int64_t need = blocks_for(head.n_prompt) - reusable;
  // With nothing running the whole pool is this sequence's, and its prompt fits (add() checked
  // prompt + max_tokens), so the head of the queue is never stuck behind the watermark.
  const int64_t keep_free = running_.empty() ? 0 : watermark_;
  if (need + revived + keep_free > blocks_.n_available()) return false;
  for (int32_t b : reused) blocks_.acquire(b);
  head.table.assign(reused.begin(), reused.end());
  for (int64_t i = 0; i < need; ++i) {
    const auto block = blocks_.allocate();
    if (!block) throw std::logic_error("free KV blocks were counted but not available");
    head.table.push_back(*block);
  }
  head.n_computed = head.n_reused = reusable * config_.block_size;
  running_.push_back(std::move(head));
  waiting_.pop_front();
  return true;
}

std::vector<uint64_t> Scheduler::admit_all() {
  std::vector<uint64_t> admitted;
  while (const auto id = next_to_admit()) {
    if (!admit(*id)) break;
    admitted.push_back(*id);
  }
  return admitted;
}

std::vector<ScheduledSlice> Scheduler::plan(int64_t prefill_budget_while_decoding) const {
  std::vector<ScheduledSlice> slices;
  int64_t budget = config_.step_token_budget;
  for (const Entry& e : running_) {
    if (e.n_computed < e.n_prompt || budget <= 0) continue;
    slices.push_back({e.id, e.n_computed, 1, false});
    --budget;
  }
  if (!slices.empty())
    budget = std::min(budget, std::max<int64_t>(prefill_budget_while_decoding, 0));
  for (const Entry& e : running_) {
    if (e.n_computed >= e.n_prompt || budget <= 0) continue;
    int64_t n = std::min(e.n_prompt - e.n_computed, budget);
    if (e.max_chunk > 0) n = std::min(n, e.max_chunk);
    slices.push_back({e.id, e.n_computed, n, true});
    budget -= n;
  }
  return slices;
}

std::vector<uint64_t> Scheduler::grow() {
  std::vector<uint64_t> preempted;
  for (size_t i = 0; i < running_.size(); ++i) {
    // A sequence in its prompt got its prompt's blocks at admission.
    if (running_[i].n_computed < running_[i].n_prompt) continue;
    const int64_t want = blocks_for(std::min(running_[i].n_computed + 1, running_[i].n_total));
    while (static_cast<int64_t>(running_[i].table.size()) < want) {
      if (const auto block = blocks_.allocate()) {
        running_[i].table.push_back(*block);
        continue;
      }
      // The oldest sequence alone always fits: add() refused any prompt + max_tokens beyond the
      // pool, and waiting sequences hold no blocks.
      if (running_.size() == 1) throw std::logic_error("a lone sequence ran out of KV blocks");
      const size_t newest = running_.size() - 1;
      preempted.push_back(running_[newest].id);
      preempt(newest);
      if (newest == i) break;  // it preempted itself: nothing after it runs
    }
  }
  return preempted;
}

void Scheduler::preempt(size_t i) {
  Entry e = std::move(running_[i]);
  running_.erase(running_.begin() + static_cast<std::ptrdiff_t>(i));
  for (auto b = e.table.rbegin(); b != e.table.rend(); ++b) blocks_.release(*b);
  // A decoding sequence has sampled the token at position n_computed: it prefills through it.
  if (e.n_computed >= e.n_prompt) e.n_prompt = e.n_computed + 1;
  e.n_computed = e.n_reused = 0;
  e.table.clear();
  waiting_.push_front(std::move(e));
  ++n_preemptions_;
}

std::span<const int32_t> Scheduler::ensure_blocks(uint64_t id, int64_t n_tokens) {
  Entry* e = running(id);
  if (!e) return {};
  if (static_cast<int64_t>(e->table.size()) < blocks_for(n_tokens))
    throw std::logic_error("a sequence was planned past its KV blocks");
  return e->table;
}

int64_t Scheduler::extend_for_draft(uint64_t id, int64_t n_tokens) {
  Entry* e = running(id);
  if (!e) return 0;
  const int64_t want = blocks_for(std::min(n_tokens, e->n_total));
  while (static_cast<int64_t>(e->table.size()) < want && blocks_.n_available() > watermark_) {
    const auto block = blocks_.allocate();
    if (!block) break;
    e->table.push_back(*block);
  }
  return static_cast<int64_t>(e->table.size()) * config_.block_size;
}

void Scheduler::complete(const std::vector<ScheduledSlice>& slices) {
  for (const ScheduledSlice& s : slices)
    if (Entry* e = running(s.id)) e->n_computed = std::min(e->n_total, s.pos0 + s.n_tokens);
}

void Scheduler::remove(uint64_t id) {
  for (auto it = running_.begin(); it != running_.end(); ++it) {
    if (it->id != id) continue;
    // Last blocks first: among cached blocks released together, a prefix's tail is evicted
    // before its head, which more requests share.
    for (auto b = it->table.rbegin(); b != it->table.rend(); ++b) blocks_.release(*b);
    running_.erase(it);
    return;
  }
  for (auto it = waiting_.begin(); it != waiting_.end(); ++it) {
    if (it->id != id) continue;
    waiting_.erase(it);
    return;
  }
}

std::span<const int32_t> Scheduler::blocks_of(uint64_t id) const {
  const Entry* e = running(id);
  return e ? std::span<const int32_t>(e->table) : std::span<const int32_t>();
}

int64_t Scheduler::n_reused(uint64_t id) const {
  const Entry* e = running(id);
  return e ? e->n_reused : 0;
}

int64_t Scheduler::n_prefill(uint64_t id) const {
  const Entry* e = running(id);
  return e ? e->n_prompt : 0;
}

Scheduler::Entry* Scheduler::running(uint64_t id) {
  for (Entry& e : running_)
    if (e.id == id) return &e;
  return nullptr;
}

const Scheduler::Entry* Scheduler::running(uint64_t id) const {
  for (const Entry& e : running_)
    if (e.id == id) return &e;
  return nullptr;
}

bool Scheduler::is_running(uint64_t id) const {
  return running(id) != nullptr;
}

}  // namespace junction
