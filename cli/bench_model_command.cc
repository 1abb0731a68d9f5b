// `junction bench-model MODEL -p 512 -n 128 -t T`: prompt and generation tokens/s of a model
// file or folder, as llama-bench's pp / tg tests measure them, next to this machine's memory
// bandwidth measured in the same run. Decode streams every weight once per token, so its
// ceiling is bandwidth / bytes per token; the report gives the achieved fraction of that.
// bench/side_by_side.sh runs it beside llama.cpp's llama-bench on the same GGUF files.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <memory>
#include <numeric>
#include <vector>

#include "cli/commands.h"
#include "cli/kv_cache_flags.h"
#include "cli/speculative_flags.h"
#include "core/error.h"
#include "core/memory_bandwidth.h"
#include "core/thread_pool.h"
#include "engine/engine_loop.h"
#include "engine/run_one.h"
#include "engine/sampler.h"
#include "engine/sequence.h"
#include "kernels/ops.h"
#include "model/model.h"
#include "session/draft_model.h"
#include "session/open_model.h"

namespace junction::cli {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

// Resident set size in bytes, from /proc (what the kernel charges this process now).
size_t resident_bytes() {
  long pages = 0, resident = 0;
  if (FILE* f = std::fopen("/proc/self/statm", "r")) {
    if (std::fscanf(f, "%ld %ld", &pages, &resident) != 2) resident = 0;
    std::fclose(f);
  }
  return static_cast<size_t>(resident) * 4096;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

struct BenchModelOptions {
  std::string model, isa;
  int threads = 2, repeats = 3;
  int64_t n_decode = 128, n_prompt = 512;
  int64_t depth = 0;  // tokens already in the context before each test (llama-bench's -d)
  KvCacheFlags kv;
  std::string draft;  // --draft MODEL: speculative decoding with a draft model
  bool ngram = false;
  int64_t draft_max = 8;
};

// Generates n tokens greedily from `prompt` through the engine loop (the path serve and run
// take); returns the tokens, the decode rate after the first token, and the draft counts.
struct Generation {
  std::vector<int32_t> tokens;
  double rate = 0;  // tokens/s after the first
  FinishInfo finish;
};

Generation generate(const Model& model, kernels::Backend& backend, KvCacheType kv_type,
                    const SpeculativeOptions& spec, std::span<const int32_t> prompt, int64_t n) {
  EngineOptions eo = one_sequence_options(static_cast<int64_t>(prompt.size()) + n);
  eo.kv_type = kv_type;
  eo.speculative = spec;
  EngineLoop loop(model, backend, eo);
  EngineRequest r;
  r.prompt.assign(prompt.begin(), prompt.end());
  r.max_tokens = n;
  r.sampling.temperature = 0;
  r.ignore_eos = true;
  Generation g;
  Clock::time_point t_first;
  g.finish = run_one(loop, std::move(r), [&](const TokenEvent& e) {
    if (g.tokens.empty()) t_first = Clock::now();
    g.tokens.push_back(e.token);
    return true;
  });
  g.rate = static_cast<double>(g.tokens.size() - 1) / std::max(1e-9, seconds_since(t_first));
  return g;
}

// Speculative decoding's costs and gains (--ngram / --draft): a verify of k drafted tokens (one
// forward of k + 1 tokens with every row's logits) against a decode step, and greedy generation
// with and without drafting, alternated in one run.
void bench_speculative(const BenchModelOptions& o, const Model& model, kernels::Backend& backend,
                       KvCacheType kv_type, const SpeculativeOptions& spec,
                       std::span<const int32_t> prompt) {
  for (const int64_t k : {int64_t{1}, int64_t{4}, int64_t{8}}) {
    std::vector<double> decode_s, verify_s;
    Sequence seq(model, o.depth + 1 + o.repeats * (k + 2) * 4, kv_type);
    std::vector<int32_t> fill(static_cast<size_t>(o.depth + 1));
    for (size_t i = 0; i < fill.size(); ++i) fill[i] = prompt[i % prompt.size()];
    seq.feed(backend, fill);
    std::vector<float> all;
    for (int r = 0; r < o.repeats * 4; ++r) {
      const int32_t one[1] = {prompt[r % prompt.size()]};
      auto t = Clock::now();
      seq.feed(backend, one);
      decode_s.push_back(seconds_since(t));
      t = Clock::now();
      seq.feed(backend, prompt.subspan(0, static_cast<size_t>(k + 1)), 512, &all);
      verify_s.push_back(seconds_since(t));
    }
    std::printf("verify %lld        %.1f ms vs decode step %.1f ms: %.2fx (medians of %d)\n",
                (long long)k, median(verify_s) * 1e3, median(decode_s) * 1e3,
                median(verify_s) / median(decode_s), o.repeats * 4);
  }
  const std::vector<int32_t> short_prompt(prompt.begin(), prompt.begin() + 8);
  std::vector<double> plain_rates, spec_rates;
  Generation plain, fast;
  for (int r = 0; r < o.repeats; ++r) {
    plain = generate(model, backend, kv_type, SpeculativeOptions{}, short_prompt, o.n_decode);
    fast = generate(model, backend, kv_type, spec, short_prompt, o.n_decode);
    plain_rates.push_back(plain.rate);
    spec_rates.push_back(fast.rate);
  }
  const double p = median(plain_rates), f = median(spec_rates);
  std::printf(
      "greedy plain     %.2f tok/s; speculative %.2f tok/s: %.2fx (medians of %d x %lld "
      "tokens, alternated)\n",
      p, f, f / p, o.repeats, (long long)o.n_decode);
  std::printf(
      "drafts           %lld drafted, %lld accepted (%.0f%%); tokens %s plain decoding\n",
      (long long)fast.finish.n_draft_tokens, (long long)fast.finish.n_accepted_draft_tokens,
      100.0 * fast.finish.n_accepted_draft_tokens / std::max<double>(1, fast.finish.n_draft_tokens),
      fast.tokens == plain.tokens ? "equal to" : "DIFFER from");
}

int run_bench_model(const BenchModelOptions* o) {
  try {
    const KvCacheType kv_type = kv_cache_type(o->kv);
    session::OpenOptions open;
    open.n_threads = o->threads;
    open.isa = o->isa;
    open.load_text = false;
    const session::OpenModel m = session::open_model(o->model, open);
    const Model* model = m.model.get();
    kernels::Backend* backend = m.backend.get();
    ThreadPool& pool = *m.pool;
    // open_model times the load and the backend's relayout of the weights (the CPU backend
    // packs Q4_K): reading every such matrix from the file once.
    const double load_s = m.load_s, prepare_s = m.prepare_s;
    const size_t prepared_bytes = m.prepared_bytes;
    const size_t rss_after_load = resident_bytes();
    const ModelConfig& c = model->config();
    const ModelWeights& w = model->weights();

    // Bytes one decode step reads: every layer matrix and the output head (the embedding table
    // is read one row at a time unless it is also the head).
    size_t step_bytes = w.lm_head.bytes();
    for (const auto& L : w.layers)
      for (const Linear* l :
           {&L.q_proj, &L.k_proj, &L.v_proj, &L.o_proj, &L.gate_proj, &L.up_proj, &L.down_proj})
        step_bytes += l->weight.bytes();

    // At least 16 tokens: the first-token test, the depth's filler and a verify of 8 drafts read
    // them.
    std::vector<int32_t> prompt(static_cast<size_t>(std::max<int64_t>(o->n_prompt, 16)));
    for (size_t i = 0; i < prompt.size(); ++i)
      prompt[i] = static_cast<int32_t>((i * 7919 + 13) % c.vocab_size);

    // Time to first token of a short prompt, straight after load (pages fault in here).
    const auto t_first = Clock::now();
    {
      Sequence seq(*model, 16, kv_type);
      const std::vector<int32_t> short_prompt(prompt.begin(), prompt.begin() + 8);
      argmax(seq.feed(*backend, short_prompt));
    }
    const double first_token_s = seconds_since(t_first);
    const size_t rss_after_first = resident_bytes();

    // A context of o->depth tokens before the timed part, as llama-bench's -d fills it (not
    // timed; the same tokens repeated). Filled once, as llama-bench keeps the depth's state:
    // every test rewinds to it (a fill of 16k tokens on the 8B shape takes many minutes).
    Sequence seq(*model, o->depth + std::max(o->n_prompt, o->n_decode + 1), kv_type);
    const auto t_fill = Clock::now();
    if (o->depth > 0) {
      std::vector<int32_t> fill(static_cast<size_t>(o->depth));
      for (size_t i = 0; i < fill.size(); ++i) fill[i] = prompt[i % prompt.size()];
      seq.feed(*backend, fill);
    }
    const double fill_s = seconds_since(t_fill);
    std::vector<double> decode_rates, prefill_rates;
    for (int r = 0; r < o->repeats; ++r) {
      if (o->n_prompt > 0) {
        seq.rewind(o->depth);
        const auto t_prefill = Clock::now();
        seq.feed(*backend, std::span<const int32_t>(prompt.data(), o->n_prompt));
        prefill_rates.push_back(o->n_prompt / seconds_since(t_prefill));
      }
      // Generation after the depth's context (from an empty one at -d 0), as llama-bench's tg
      // test measures it.
      seq.rewind(o->depth);
      auto logits = seq.feed(*backend, std::span<const int32_t>(prompt.data(), 1));
      const auto t_decode = Clock::now();
      for (int64_t i = 0; i < o->n_decode; ++i) {
        const int32_t next[1] = {argmax(logits)};
        logits = seq.feed(*backend, next);
      }
      decode_rates.push_back(o->n_decode / seconds_since(t_decode));
    }
    const double bandwidth = measure_read_bandwidth(pool, size_t{1} << 30, 5);
    const double decode = median(decode_rates);
    const double prefill = prefill_rates.empty() ? 0.0 : median(prefill_rates);
    const double achieved = decode * static_cast<double>(step_bytes) / 1e9;
    std::printf("model            %s (%s, %lld layers, hidden %lld, vocab %lld, %s)\n",
                o->model.c_str(), c.model_type.c_str(), (long long)c.num_hidden_layers,
                (long long)c.hidden_size, (long long)c.vocab_size,
                std::string(dtype_name(w.embed_tokens.dtype)).c_str());
    std::printf("kernels          %s, %d threads\n", std::string(backend->name()).c_str(),
                o->threads);
    std::printf("KV cache         k %s, v %s; depth %lld tokens\n",
                kv_cache_type_name(kv_type.k).c_str(), kv_cache_type_name(kv_type.v).c_str(),
                (long long)o->depth);
    if (o->depth > 0)
      std::printf("depth fill       %.1f s (once; every test starts from it)\n", fill_s);
    std::printf(
        "load             %.3f s + prepare %.3f s (%.2f GB repacked), resident after load %.2f "
        "GB, after first token %.2f GB (files %.2f GB)\n",
        load_s, prepare_s, prepared_bytes / 1e9, rss_after_load / 1e9, rss_after_first / 1e9,
        w.file_bytes() / 1e9);
    std::printf("first token      %.2f s (8-token prompt, cold pages)\n", first_token_s);
    std::printf("prefill          %.1f tok/s (%lld-token prompt, median of %d)\n", prefill,
                (long long)o->n_prompt, o->repeats);
    std::printf("decode           %.2f tok/s (median of %d x %lld tokens)\n", decode, o->repeats,
                (long long)o->n_decode);
    std::printf("weights/token    %.3f GB\n", step_bytes / 1e9);
    std::printf("achieved         %.1f GB/s\n", achieved);
    std::printf("memory bandwidth %.1f GB/s (%d threads, 1 GiB read, best of 5)\n", bandwidth,
                o->threads);
    std::printf("ratio            %.0f%% of measured bandwidth\n", 100.0 * achieved / bandwidth);
    if (!o->draft.empty() || o->ngram) {
      SpeculativeOptions spec;
      spec.ngram = o->ngram;
      spec.length.max_length = o->draft_max;
      spec.length.start_length = std::min<int64_t>(spec.length.start_length, o->draft_max);
      std::unique_ptr<Model> draft;
      if (!o->draft.empty()) {
        draft = session::open_draft_model(o->draft, m);
        spec.draft_model = draft.get();
      }
      std::printf("speculative      %s, up to %lld tokens a step\n",
                  draft ? ("draft model " + o->draft).c_str() : "prompt lookup (n-grams 1-4)",
                  (long long)o->draft_max);
      bench_speculative(*o, *model, *backend, kv_type, spec, prompt);
    }
  } catch (const Error& e) {
    std::fprintf(stderr, "junction bench-model: %s\n", e.what());
    return 1;
  }
  return 0;
}

}  // namespace

Command add_bench_model_command(CLI::App& app) {
  auto o = std::make_shared<BenchModelOptions>();
  CLI::App* cmd = app.add_subcommand(
      "bench-model",
      "Prompt (pp) and generation (tg) tokens/s of a model, like llama-bench, with the decode's "
      "achieved memory bandwidth");
  cmd->add_option("model", o->model, "A GGUF file, Hugging Face folder or pulled model")
      ->required();
  cmd->add_option("-t,--threads", o->threads, "Compute threads (default 2)");
  cmd->add_option("-n,--n-gen", o->n_decode, "Tokens generated per repetition (default 128)");
  cmd->add_option("-p,--n-prompt", o->n_prompt,
                  "Prompt tokens of the prefill test (default 512; 0 skips it)")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("-d,--n-depth", o->depth,
                  "Tokens of context before each test, as llama-bench's -d (default 0)")
      ->check(CLI::NonNegativeNumber);
  add_kv_cache_flags(cmd, o->kv);
  cmd->add_option("--draft", o->draft,
                  "Also measure speculative decoding with this draft model: verify cost and "
                  "greedy decode speed with and without it");
  cmd->add_flag("--ngram", o->ngram, "Also measure speculative decoding by prompt lookup");
  cmd->add_option("--draft-max", o->draft_max, "Tokens drafted per step at most (default 8)")
      ->check(CLI::Range(1, 64));
  cmd->add_option("-r,--repetitions", o->repeats, "Repetitions; medians are reported (default 3)");
  cmd->add_option("--isa", o->isa,
                  "Force a kernel level: avx512, avx2 or scalar (default: $JUNCTION_ISA, else the "
                  "best this CPU runs)");
  return {cmd, [o] { return run_bench_model(o.get()); }};
}

}  // namespace junction::cli
