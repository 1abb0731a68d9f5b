// The context a server runs when --ctx-size is not given: the model's own maximum, cut to what
// fits the memory this machine has left (weights + KV cache at the chosen types + work buffers).
// Pure: the caller reads MemAvailable (core/memory_available.h) and prints the reason.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace junction {

struct ContextFitInput {
  int64_t model_max_ctx = 0;        // max_position_embeddings; 0: unknown
  int64_t n_sequences = 1;          // sequences that may each hold a full context (--parallel)
  uint64_t weight_bytes = 0;        // weights as they will sit in memory
  uint64_t work_bytes = 0;          // activations, logits and scratch of one step
  uint64_t kv_bytes_per_token = 0;  // keys and values of all layers at the cache's types
  std::optional<uint64_t> available_bytes;  // MemAvailable before the model was loaded
  int64_t block_size = 16;                  // tokens are counted in whole KV blocks
};

struct ContextFit {
  int64_t n_ctx = 0;          // tokens of context one request may use
  int64_t n_pool_tokens = 0;  // tokens of the KV pool all running sequences share
  std::string reason;         // why, in one line (without the program's prefix)
};

// Memory kept back from the KV pool for everything else (the OS, the HTTP side): 5% of what is
// available plus 256 MiB.
uint64_t memory_headroom(uint64_t available_bytes);

// The model's maximum (4096 where unknown) when weights, work buffers and a KV pool of that many
// tokens per sequence fit; else the pool is what fits and the context the whole pool, down to
// a floor of min(model maximum, 1024) tokens where even that does not fit (the pool's pages are
// only committed as they are written). Unknown memory: min(model maximum, 4096) per sequence.
ContextFit fit_context(const ContextFitInput& in);

}  // namespace junction
