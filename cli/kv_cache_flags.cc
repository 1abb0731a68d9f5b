#include "cli/kv_cache_flags.h"

namespace junction::cli {

void add_kv_cache_flags(CLI::App* cmd, KvCacheFlags& flags) {
  cmd->add_option("--cache-type-k", flags.k,
                  "KV cache type for keys: f32, f16, bf16 or q8_0 (default f16; f32 gives the "
                  "reference's numbers)");
  cmd->add_option("--cache-type-v", flags.v,
                  "KV cache type for values: f32, f16, bf16 or q8_0 (default f16)");
}

KvCacheType kv_cache_type(const KvCacheFlags& flags) {
  return KvCacheType{parse_kv_cache_type(flags.k), parse_kv_cache_type(flags.v)};
}

}  // namespace junction::cli
