// `junction info MODEL [--ctx-size N]`: what a model is and what it needs in memory, read from
// its headers only (model/memory_footprint.h); the weights are not loaded.
#include <cstdio>
#include <string>

#include "cli/commands.h"
#include "model/memory_footprint.h"
#include "pull/progress.h"
#include "session/open_model.h"

namespace junction::cli {
namespace {

struct InfoArgs {
  std::string model;
  int64_t ctx_size = 0;
};

// "144 KiB", "4.50 GiB": binary units, as memory is usually quoted.
std::string binary_bytes(uint64_t b) {
  static const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double v = static_cast<double>(b);
  int u = 0;
  while (v >= 1024 && u < 4) v /= 1024, ++u;
  char buf[32];
  std::snprintf(buf, sizeof(buf), u == 0 ? "%.0f %s" : (v >= 100 ? "%.0f %s" : "%.2f %s"), v,
                units[u]);
  return buf;
}

std::string both(uint64_t b) {
  return pull::format_bytes(b) + " (" + binary_bytes(b) + ")";
}

int run_info(const InfoArgs& a) {
  const ModelInventory inv = read_model_inventory(session::resolve_model(a.model));
  const ModelConfig& c = inv.config;
  const int64_t n_ctx = a.ctx_size > 0 ? a.ctx_size : c.max_position_embeddings;
  const MemoryFootprint f = memory_footprint(c, inv.tensors, n_ctx);
  std::printf("model         %s (%s)\n", a.model.c_str(), inv.format.c_str());
  std::printf("architecture  %s\n", c.model_type.c_str());
  std::printf("parameters    %.3f B\n", static_cast<double>(f.n_params) / 1e9);
  std::printf("layers        %lld\n", static_cast<long long>(c.num_hidden_layers));
  std::printf("heads         %lld query, %lld key/value, head_dim %lld\n",
              static_cast<long long>(c.num_attention_heads),
              static_cast<long long>(c.num_key_value_heads), static_cast<long long>(c.head_dim));
  std::printf("hidden        %lld, ffn %lld, vocab %lld\n", static_cast<long long>(c.hidden_size),
              static_cast<long long>(c.intermediate_size), static_cast<long long>(c.vocab_size));
  std::printf("context       %lld (model maximum %lld)\n\n", static_cast<long long>(n_ctx),
              static_cast<long long>(c.max_position_embeddings));
  std::printf("%-6s %8s %16s %24s\n", "type", "tensors", "elements", "bytes");
  for (const auto& w : f.weights)
    std::printf("%-6s %8lld %16llu %24s\n", std::string(dtype_name(w.dtype)).c_str(),
                static_cast<long long>(w.n_tensors), static_cast<unsigned long long>(w.n_elements),
                both(w.bytes).c_str());
  std::printf("%-6s %8zu %16llu %24s\n\n", "all", inv.tensors.size(),
              static_cast<unsigned long long>(f.n_params), both(f.weight_bytes).c_str());
  std::printf("KV cache (--cache-type-k/-v), per token and for %lld tokens:\n",
              static_cast<long long>(n_ctx));
  for (const KvTypeBytes& k : f.kv_by_type)
    std::printf("  %-5s %10s/token %24s   weights + KV %s\n", kv_cache_type_name(k.type).c_str(),
                binary_bytes(k.bytes_per_token).c_str(), both(k.bytes).c_str(),
                both(f.weight_bytes + k.bytes).c_str());
  if (c.head_dim % 32 != 0)
    std::printf("  (no q8_0: head_dim %lld is not a multiple of 32)\n",
                static_cast<long long>(c.head_dim));
  return 0;
}

}  // namespace

Command add_info_command(CLI::App& app) {
  auto args = std::make_shared<InfoArgs>();
  CLI::App* sub =
      app.add_subcommand("info", "Show a model's shape and memory needs without loading it");
  sub->add_option("MODEL", args->model, "Hugging Face model folder, .gguf file or pulled model")
      ->required();
  sub->add_option("--ctx-size,-c", args->ctx_size,
                  "context length for the KV cache (default: the model's)");
  return {sub, [args] { return run_info(*args); }};
}

}  // namespace junction::cli
