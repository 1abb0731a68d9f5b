#include "engine/scheduler.h"

#include <algorithm>

namespace junction {

Scheduler::Scheduler(SchedulerConfig config) : config_(config) {
  config_.block_size = std::max<int64_t>(1, config_.block_size);
  config_.max_running = std::max<int64_t>(1, config_.max_running);
  config_.step_token_budget = std::max<int64_t>(1, config_.step_token_budget);
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

std::vector<uint64_t> Scheduler::admit() {
  std::vector<uint64_t> admitted;
  while (!waiting_.empty() && n_running() < config_.max_running) {
    Entry& head = waiting_.front();
    const int64_t need = blocks_for(head.n_total);
    if (need > n_free_blocks()) break;  // FIFO: later requests do not overtake the head
    head.n_blocks = need;
    used_blocks_ += need;
    admitted.push_back(head.id);
    running_.push_back(head);
    waiting_.pop_front();
  }
  return admitted;
}

std::optional<int64_t> Scheduler::blocks_short_for_next() const {
  if (waiting_.empty() || n_running() >= config_.max_running) return std::nullopt;
  const int64_t short_by = blocks_for(waiting_.front().n_total) - n_free_blocks();
  if (short_by <= 0) return std::nullopt;
  return short_by;
}

void Scheduler::skip_prefix(uint64_t id, int64_t n) {
  for (Entry& e : running_)
    if (e.id == id) e.n_computed = std::clamp<int64_t>(n, 0, e.n_prompt - 1);
}

std::vector<ScheduledSlice> Scheduler::plan() const {
  std::vector<ScheduledSlice> slices;
  int64_t budget = config_.step_token_budget;
  for (const Entry& e : running_) {
    if (e.n_computed < e.n_prompt || budget <= 0) continue;
    slices.push_back({e.id, e.n_computed, 1, false});
    --budget;
  }
  for (const Entry& e : running_) {
    if (e.n_computed >= e.n_prompt || budget <= 0) continue;
    int64_t n = std::min(e.n_prompt - e.n_computed, budget);
    if (e.max_chunk > 0) n = std::min(n, e.max_chunk);
    slices.push_back({e.id, e.n_computed, n, true});
    budget -= n;
  }
  return slices;
}

void Scheduler::complete(const std::vector<ScheduledSlice>& slices) {
  for (const ScheduledSlice& s : slices)
    for (Entry& e : running_)
      if (e.id == s.id) e.n_computed = std::min(e.n_total, s.pos0 + s.n_tokens);
}

void Scheduler::remove(uint64_t id) {
  for (auto it = running_.begin(); it != running_.end(); ++it) {
    if (it->id != id) continue;
    used_blocks_ -= it->n_blocks;
    running_.erase(it);
    return;
  }
  for (auto it = waiting_.begin(); it != waiting_.end(); ++it) {
    if (it->id != id) continue;
    waiting_.erase(it);
    return;
  }
}

bool Scheduler::hold_blocks(int64_t n) {
  if (n > n_free_blocks()) return false;
  used_blocks_ += n;
  return true;
}

void Scheduler::release_blocks(int64_t n) {
  used_blocks_ = std::max<int64_t>(0, used_blocks_ - n);
}

bool Scheduler::is_running(uint64_t id) const {
  return std::any_of(running_.begin(), running_.end(), [&](const Entry& e) { return e.id == id; });
}

}  // namespace junction
