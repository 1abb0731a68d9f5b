// Tokenizer throughput on the Qwen3 tokenizer: encode MB/s on a mixed corpus (English prose,
// Python code, multilingual text and emoji; tests/data/tokenizer/bench_corpus.txt) and per
// section, plus decode and streaming-detokenize rates. Single thread; the word cache is warm
// after the first iteration, as it is in a serving process.
//   build/bench/tokenizer/tokenizer_bench [--benchmark_filter=Encode]
#include <benchmark/benchmark.h>

#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "tokenizer/incremental_detokenizer.h"
#include "tokenizer/tokenizer.h"

namespace {

using junction::tokenizer::IncrementalDetokenizer;
using junction::tokenizer::Tokenizer;

const Tokenizer& qwen3() {
  static const Tokenizer t =
      Tokenizer::load(std::string(JUNCTION_TEST_DATA) + "/models/qwen3-e2e-bf16");
  return t;
}

// Section `index` of the corpus (sections start with "# " lines); -1 for the whole file.
std::string corpus(int index) {
  std::ifstream in(std::string(JUNCTION_TEST_DATA) + "/tokenizer/bench_corpus.txt");
  std::ostringstream ss;
  ss << in.rdbuf();
  const std::string all = ss.str();
  if (index < 0) return all;
  std::vector<size_t> starts;
  for (size_t p = all.find("# "); p != std::string::npos; p = all.find("\n# ", p + 1)) {
    starts.push_back(p == 0 ? 0 : p + 1);
  }
  starts.push_back(all.size());
  return all.substr(starts[index], starts[index + 1] - starts[index]);
}

void BM_Encode(benchmark::State& state) {
  const std::string text = corpus(static_cast<int>(state.range(0)));
  size_t n_tokens = 0;
  for (auto _ : state) {
    const auto ids = qwen3().encode(text);
    n_tokens = ids.size();
    benchmark::DoNotOptimize(ids.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * text.size()));
  state.counters["tokens/s"] = benchmark::Counter(
      static_cast<double>(n_tokens * state.iterations()), benchmark::Counter::kIsRate);
  state.SetLabel(state.range(0) < 0    ? "mixed"
                 : state.range(0) == 0 ? "english"
                 : state.range(0) == 1 ? "code"
                                       : "multilingual+emoji");
}
BENCHMARK(BM_Encode)->Arg(-1)->Arg(0)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond);

// First encode with an empty word cache: every word goes through BPE merging.
void BM_EncodeColdCache(benchmark::State& state) {
  const std::string text = corpus(-1);
  std::optional<Tokenizer> fresh;
  for (auto _ : state) {
    state.PauseTiming();  // loading (and destroying the previous one) is not encoding time
    fresh.reset();
    fresh = Tokenizer::load(std::string(JUNCTION_TEST_DATA) + "/models/qwen3-e2e-bf16");
    state.ResumeTiming();
    const auto ids = fresh->encode(text);
    benchmark::DoNotOptimize(ids.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * text.size()));
  state.SetLabel("mixed, cold cache");
}
BENCHMARK(BM_EncodeColdCache)->Unit(benchmark::kMillisecond)->Iterations(5);

void BM_Decode(benchmark::State& state) {
  const std::string text = corpus(-1);
  const auto ids = qwen3().encode(text);
  for (auto _ : state) {
    const std::string out = qwen3().decode(ids);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * text.size()));
}
BENCHMARK(BM_Decode)->Unit(benchmark::kMillisecond);

void BM_StreamDetokenize(benchmark::State& state) {
  const auto ids = qwen3().encode(corpus(-1));
  for (auto _ : state) {
    IncrementalDetokenizer detok(qwen3());
    size_t n = 0;
    for (int32_t id : ids) n += detok.add(id).size();
    n += detok.finish().size();
    benchmark::DoNotOptimize(n);
  }
  state.counters["tokens/s"] = benchmark::Counter(
      static_cast<double>(ids.size() * state.iterations()), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_StreamDetokenize)->Unit(benchmark::kMillisecond);

void BM_Load(benchmark::State& state) {
  for (auto _ : state) {
    const Tokenizer t = Tokenizer::load(std::string(JUNCTION_TEST_DATA) + "/models/qwen3-e2e-bf16");
    benchmark::DoNotOptimize(&t);
  }
}
BENCHMARK(BM_Load)->Unit(benchmark::kMillisecond)->Iterations(3);

}  // namespace

BENCHMARK_MAIN();
