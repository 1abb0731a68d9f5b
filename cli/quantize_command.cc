// `junction quantize IN OUT --type TYPE`: a Hugging Face folder or GGUF file to a GGUF file with
// llama.cpp's names, keys and type recipe (quantize/quantize_model.h). Progress goes to stderr: a
// bar on a terminal, log lines otherwise; a per-type summary at the end.
#include <unistd.h>

#include <sys/ioctl.h>

#include <chrono>
#include <cstdio>
#include <map>
#include <string>

#include "cli/commands.h"
#include "pull/progress.h"
#include "quantize/quantize_model.h"
#include "session/open_model.h"

namespace junction::cli {
namespace {

struct QuantizeArgs {
  std::string in, out, type = "q8_0", tokenizer_from;
  int threads = 0;
};

int terminal_width() {
  winsize ws{};
  return ::ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0 ? ws.ws_col : 100;
}

int run_quantize(const QuantizeArgs& a) {
  QuantizeOptions options;
  options.type = a.type;
  options.tokenizer_from = a.tokenizer_from;
  options.n_threads = a.threads > 0 ? a.threads : session::default_thread_count();
  const bool terminal = ::isatty(STDERR_FILENO) == 1;
  // Log lines read "quantize type=q4_k_m file=OUT bytes=..." (bytes: input tensors done).
  pull::ProgressReporter reporter(stderr, terminal, terminal_width(), std::chrono::seconds(5),
                                  "quantize type=" + a.type);
  uint64_t reported = 0;
  bool begun = false;
  options.on_progress = [&](const QuantizeProgress& p) {
    if (!begun) {
      reporter.begin(terminal ? a.out + " (" + a.type + ")" : a.out, 0, p.bytes_total);
      begun = true;
    }
    reporter.advance(p.bytes_read - reported);
    reported = p.bytes_read;
  };
  const QuantizeResult r = quantize_model(session::resolve_model(a.in), a.out, options);
  if (begun) reporter.end();
  std::map<DType, std::pair<int, uint64_t>> by_type;  // tensors, bytes
  for (const auto& t : r.tensors) {
    ++by_type[t.type].first;
    by_type[t.type].second += t.bytes;
  }
  std::fprintf(stderr, "wrote %s: %zu tensors, %s (input tensors %s)\n", a.out.c_str(),
               r.tensors.size(), pull::format_bytes(r.output_bytes).c_str(),
               pull::format_bytes(r.input_bytes).c_str());
  for (const auto& [type, n] : by_type)
    std::fprintf(stderr, "  %-5s %4d tensors  %s\n", std::string(dtype_name(type)).c_str(), n.first,
                 pull::format_bytes(n.second).c_str());
  return 0;
}

}  // namespace

Command add_quantize_command(CLI::App& app) {
  auto args = std::make_shared<QuantizeArgs>();
  CLI::App* sub = app.add_subcommand(
      "quantize", "Convert a Hugging Face folder or GGUF file to a (quantized) GGUF");
  sub->add_option("IN", args->in, "Hugging Face model folder, .gguf file or pulled model")
      ->required();
  sub->add_option("OUT", args->out, "GGUF file to write")->required();
  std::string names;
  for (auto n : quantize_target_names()) names += (names.empty() ? "" : "|") + std::string(n);
  sub->add_option("--type,-t", args->type, names)->capture_default_str();
  sub->add_option("--tokenizer-from", args->tokenizer_from,
                  "copy tokenizer.* metadata from this GGUF");
  sub->add_option("--threads", args->threads, "worker threads (0: all)")->capture_default_str();
  return {sub, [args] { return run_quantize(*args); }};
}

}  // namespace junction::cli
