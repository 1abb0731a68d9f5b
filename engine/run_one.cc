#include "engine/run_one.h"

#include <algorithm>
#include <chrono>
#include <memory>
#include <string>

#include "core/error.h"

namespace junction {

EngineOptions one_sequence_options(int64_t n_ctx, int64_t step_tokens) {
  EngineOptions o;
  o.scheduler.max_running = 1;
  o.scheduler.max_waiting = 1;
  o.scheduler.block_size = 16;
  o.scheduler.n_blocks = std::max<int64_t>(1, (n_ctx + 15) / 16);
  o.scheduler.step_token_budget = std::max<int64_t>(1, step_tokens);
  o.prefix_caching = false;  // one request per loop: nothing to share
  o.itl_target_s = 0;        // nothing decodes beside a prompt
  return o;
}

FinishInfo run_one(EngineLoop& loop, EngineRequest request,
                   const std::function<bool(const TokenEvent& token)>& on_token) {
  const int64_t n_total = static_cast<int64_t>(request.prompt.size()) + request.max_tokens;
  if (request.prompt.empty()) throw Error("the prompt is empty: give at least one token");
  auto stream = std::make_shared<RequestStream>();
  switch (loop.submit(std::move(request), stream)) {
    case EngineLoop::Submit::kAccepted:
      break;
    case EngineLoop::Submit::kTooLarge: {
      const SchedulerConfig& s = loop.options().scheduler;
      throw Error("the prompt and output need " + std::to_string(n_total) +
                  " tokens of context but the context holds " +
                  std::to_string(s.n_blocks * s.block_size) + " (raise --ctx-size)");
    }
    case EngineLoop::Submit::kQueueFull:
      throw Error("the engine's request queue is full");
    case EngineLoop::Submit::kStopped:
      throw Error("the engine is shutting down");
  }
  bool cancelled = false;
  for (;;) {
    StreamUpdate u = stream->wait(std::chrono::milliseconds(100));
    for (const TokenEvent& e : u.tokens) {
      if (cancelled) break;
      if (!on_token(e)) {
        cancelled = true;
        stream->cancel();
      }
    }
    if (!u.finish) continue;
    if (u.finish->reason == StopReason::kError) throw Error(u.finish->error);
    return *u.finish;
  }
}

}  // namespace junction
