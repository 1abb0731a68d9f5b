// --cache-type-k / --cache-type-v, as llama.cpp names them, for every command that runs a
// model (serve, run, bench-model).
#pragma once

#include <string>

#include <CLI/CLI.hpp>

#include "model/kv_cache_type.h"

namespace junction::cli {

struct KvCacheFlags {
  std::string k = "f16", v = "f16";  // the default, as llama.cpp's
};

void add_kv_cache_flags(CLI::App* cmd, KvCacheFlags& flags);

// The types the flags name; throws Error for an unknown name.
KvCacheType kv_cache_type(const KvCacheFlags& flags);

}  // namespace junction::cli
