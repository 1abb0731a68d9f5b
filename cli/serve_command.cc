// `junction serve`: load a model, start the engine loop, and answer OpenAI-compatible HTTP
// requests until SIGTERM/SIGINT, then drain: stop accepting, let in-flight requests finish
// (up to --drain-timeout seconds), cancel the rest, exit 0.
#include <pthread.h>
#include <signal.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "chat/chat_template.h"
#include "chat/template_source.h"
#include "cli/commands.h"
#include "cli/kv_cache_flags.h"
#include "cli/speculative_flags.h"
#include "core/error.h"
#include "core/memory_available.h"
#include "core/shutdown_signals.h"
#include "engine/engine_loop.h"
#include "engine/json_constraint.h"
#include "gateway/gateway.h"
#include "http/http_server.h"
#include "model/context_fit.h"
#include "model/memory_footprint.h"
#include "server/metrics.h"
#include "server/routes.h"
#include "server/serving_context.h"
#include "session/model_context.h"
#include "session/model_text.h"
#include "session/open_model.h"
#include "tokenizer/tokenizer.h"

namespace junction::cli {
namespace {

struct ServeOptions {
  std::string config;       // a gateway config: serve the unified endpoint instead of one model
  std::string catalog;      // with --config: a catalogue file instead of the built-in one
  std::string reports_dir;  // published at /reports/ (web/report_files.h)
  bool host_given = false, port_given = false;
  std::string model;
  std::string host = "127.0.0.1";
  int port = 8080;
  int threads = 0;
  int64_t ctx_size = 0;
  int64_t parallel = 4;
  int64_t max_queue = 64;
  int64_t max_body_mb = 16;
  int64_t step_tokens = 512;
  int64_t itl_target_ms = 200;
  int drain_timeout_s = 30;
  bool no_prefix_cache = false;
  std::string served_model_name;
  std::string api_key;
  std::string api_key_file;
  std::string chat_template;
  std::string isa;
  std::optional<float> temperature, top_p, min_p, repetition_penalty;
  std::optional<int64_t> top_k;
  KvCacheFlags kv;
  SpeculativeFlags speculative;
};

server::SamplingDefaults sampling_defaults(const ServeOptions& o, const GenerationConfig& g) {
  server::SamplingDefaults d;
  d.temperature = o.temperature.value_or(static_cast<float>(g.temperature.value_or(1.0)));
  d.top_p = o.top_p.value_or(static_cast<float>(g.top_p.value_or(1.0)));
  d.top_k = o.top_k.value_or(g.top_k.value_or(0));
  d.min_p = o.min_p.value_or(static_cast<float>(g.min_p.value_or(0.0)));
  d.repetition_penalty =
      o.repetition_penalty.value_or(static_cast<float>(g.repetition_penalty.value_or(1.0)));
  return d;
}

// `--config`: the gateway, with --host / --port overriding its listen only when given.
int serve_gateway(const ServeOptions& o) {
  return gateway::run_gateway(
      o.config, o.host_given ? std::optional<std::string>(o.host) : std::nullopt,
      o.port_given ? std::optional<int>(o.port) : std::nullopt, o.catalog,
      o.reports_dir.empty() ? std::nullopt : std::optional<std::string>(o.reports_dir));
}

// --model, else the default model; says on stderr what the model lacks.
session::OpenModel open_served_model(const ServeOptions& o) {
  bool demo = false;
  const std::string model_name = o.model.empty() ? session::default_model_path(&demo) : o.model;
  session::OpenOptions open;
  open.n_threads = o.threads;
  open.isa = o.isa;
  open.chat_template = o.chat_template;
  session::OpenModel m = session::open_model(model_name, open);
  const std::string& model_path = m.path;
  if (demo)
    std::fprintf(stderr,
                 "junction serve: no model given ($JUNCTION_MODEL unset, nothing pulled): serving "
                 "the bundled\n"
                 "  tiny demo model %s. Its weights are random, so its text is noise.\n"
                 "  For a real model: junction pull deepseek-r1-0528-qwen3-8b:q4_k_m, then make "
                 "run again.\n",
                 model_path.c_str());
  if (!m.tokenizer)
    std::fprintf(stderr, "junction serve: %s has no tokenizer; only token-id prompts will work\n",
                 model_path.c_str());
  else if (!m.chat_template)
    std::fprintf(stderr,
                 "junction serve: %s has no chat template (a base model?); /v1/completions and "
                 "/tokenize work, /v1/chat/completions answers 400 (pass --chat-template FILE)\n",
                 model_path.c_str());
  return m;
}

// Tokens of context per request and of the KV pool: --ctx-size (a full context for every
// running sequence), else the model's maximum fitted to the memory that was available before the
// model loaded (model/context_fit.h), with the reason.
ContextFit context_size(const ServeOptions& o, const session::OpenModel& m,
                        std::optional<uint64_t> available, KvCacheType kv_type) {
  const int64_t n_seq = std::max<int64_t>(1, o.parallel);
  if (o.ctx_size > 0)
    return ContextFit{o.ctx_size, o.ctx_size * n_seq,
                      "context " + std::to_string(o.ctx_size) + " tokens (--ctx-size)"};
  return session::fit_model_context(m, n_seq, o.step_tokens, kv_type, available);
}

// The engine's limits from the flags, with a KV pool of pool_tokens.
EngineOptions engine_options(const ServeOptions& o, int64_t pool_tokens) {
  EngineOptions eo;
  eo.scheduler.max_running = std::max<int64_t>(1, o.parallel);
  eo.scheduler.max_waiting = std::max<int64_t>(1, o.max_queue);
  eo.scheduler.block_size = 16;
  eo.scheduler.n_blocks = (pool_tokens + 15) / 16;
  eo.scheduler.step_token_budget = std::max<int64_t>(1, o.step_tokens);
  eo.prefix_caching = !o.no_prefix_cache;
  eo.itl_target_s = static_cast<double>(o.itl_target_ms) / 1000.0;
  eo.kv_type = kv_cache_type(o.kv);
  return eo;
}

// Every token's output bytes, for constrained decoding; special tokens (and ids beyond the
// tokenizer's vocabulary) stay empty, so a constraint never allows them.
std::shared_ptr<TokenTexts> token_texts(const tokenizer::Tokenizer& tok, int64_t vocab_size) {
  std::vector<std::string> texts(static_cast<size_t>(vocab_size));
  for (int64_t id = 0; id < vocab_size && id < static_cast<int64_t>(tok.vocab_size()); ++id) {
    if (tok.is_special(static_cast<int32_t>(id))) continue;
    const int32_t ids[1] = {static_cast<int32_t>(id)};
    texts[id] = tok.decode_bytes(ids, false, false);
  }
  return std::make_shared<TokenTexts>(std::move(texts));
}

// Everything but the engine and metrics, which the caller owns and points it at.
void fill_serving_context(server::ServingContext& context, const ServeOptions& o,
                          const session::OpenModel& m, int64_t ctx) {
  const ModelConfig& config = m.model->config();
  const std::filesystem::path path(m.path);
  context.model_name = o.served_model_name.empty() ? path.filename().string() : o.served_model_name;
  if (context.model_name.empty()) context.model_name = path.parent_path().filename().string();
  context.api_key = o.api_key;
  context.reports_dir = o.reports_dir;
  context.created = static_cast<int64_t>(std::time(nullptr));
  context.n_ctx = ctx;
  context.vocab_size = config.vocab_size;
  context.eos_ids = m.eos_ids;
  context.defaults = sampling_defaults(o, m.model->generation_config());
  if (const tokenizer::Tokenizer* tok = m.tokenizer.get()) {
    context.tokenizer = tok;
    context.token_texts = token_texts(*tok, config.vocab_size);
  }
  context.chat_template = m.chat_template.get();
}

http::HttpOptions http_options(const ServeOptions& o) {
  http::HttpOptions http;
  http.host = o.host;
  http.port = static_cast<uint16_t>(o.port);
  http.max_body_bytes = o.max_body_mb << 20;
  return http;
}

// The start-up summary, with the line saying how the context was chosen; tests read the port
// from its last line.
void print_listening(const ServeOptions& o, const session::OpenModel& m,
                     const server::ServingContext& context, const EngineOptions& eo,
                     const std::string& context_reason, double load_ms, uint16_t port) {
  const ModelConfig& config = m.model->config();
  std::fprintf(
      stderr,
      "junction serve: %s (%s, %lld layers, %s kernels, %d threads) loaded in %.0f ms\n"
      "junction serve: %s\n"
      "junction serve: model '%s', context %lld tokens, %lld parallel, queue %lld, KV cache "
      "k %s v %s%s\n"
      "junction serve: listening on http://%s:%u\n",
      m.path.c_str(), config.model_type.c_str(), static_cast<long long>(config.num_hidden_layers),
      std::string(m.backend->name()).c_str(), m.n_threads, load_ms, context_reason.c_str(),
      context.model_name.c_str(), static_cast<long long>(context.n_ctx),
      static_cast<long long>(eo.scheduler.max_running),
      static_cast<long long>(eo.scheduler.max_waiting), kv_cache_type_name(eo.kv_type.k).c_str(),
      kv_cache_type_name(eo.kv_type.v).c_str(), o.api_key.empty() ? "" : ", API key required",
      o.host.c_str(), port);
}

// Answers requests until SIGTERM/SIGINT, then drains: stop accepting, let in-flight requests
// finish for up to drain_timeout_s, then stop the engine, which cancels the rest.
void serve_until_signal(const sigset_t& signals, int drain_timeout_s,
                        server::ServingContext& context, EngineLoop& engine,
                        http::HttpServer& listener) {
  std::thread signal_thread([&] {
    int sig = 0;
    sigwait(&signals, &sig);
    std::fprintf(stderr, "junction serve: %s: draining\n", sig == SIGINT ? "SIGINT" : "SIGTERM");
    context.draining = true;
    engine.stop_accepting();
    listener.stop();
  });
  listener.run();
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(drain_timeout_s);
  while (!engine.idle() && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  engine.stop();
  listener.close_connections();
  signal_thread.join();
  std::fprintf(stderr, "junction serve: stopped\n");
}

// The API key from --api-key or --api-key-file (its first line; not both), else
// $JUNCTION_API_KEY.
// Any user on the machine can read a process's arguments (/proc/PID/cmdline); a file or the
// environment (/proc/PID/environ is the owner's only) keeps the key from them. The gateway
// hands its local engines their keys through the environment.
std::string resolve_api_key(const ServeOptions& o) {
  if (!o.api_key_file.empty()) {
    if (!o.api_key.empty()) throw Error("give --api-key or --api-key-file, not both");
    std::ifstream in(o.api_key_file);
    std::string key;
    if (!in || !std::getline(in, key)) throw Error("cannot read --api-key-file " + o.api_key_file);
    while (!key.empty() && std::isspace(static_cast<unsigned char>(key.back()))) key.pop_back();
    if (key.empty()) throw Error("--api-key-file " + o.api_key_file + " holds no key");
    return key;
  }
  if (!o.api_key.empty()) return o.api_key;
  const char* env = std::getenv("JUNCTION_API_KEY");
  return env != nullptr ? env : "";
}

int serve(const ServeOptions& options) {
  if (!options.config.empty()) return serve_gateway(options);
  ServeOptions o = options;
  o.api_key = resolve_api_key(options);
  const sigset_t signals = block_shutdown_signals();
  const auto t_start = std::chrono::steady_clock::now();
  const KvCacheType kv_type = kv_cache_type(o.kv);  // before loading: a bad name fails at once
  const std::optional<uint64_t> available = mem_available_bytes();  // before the weights load
  session::OpenModel m = open_served_model(o);
  const ContextFit fit = context_size(o, m, available, kv_type);
  const int64_t ctx = fit.n_ctx;
  EngineOptions eo = engine_options(o, fit.n_pool_tokens);
  std::unique_ptr<Model> draft;  // outlives the engine
  eo.speculative = speculative_options(o.speculative, m, &draft);

  server::ServingContext context;
  fill_serving_context(context, o, m, ctx);
  server::Metrics metrics(context.model_name);
  context.metrics = &metrics;
  EngineLoop engine(*m.model, *m.backend, eo);
  context.engine = &engine;

  http::HttpServer listener(http_options(o), server::make_router(context));
  context.ready = true;
  const double load_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t_start).count();
  if (eo.speculative.enabled())  // said only when on, like every other optional feature
    std::fprintf(stderr, "junction serve: %s\n", describe(eo.speculative, o.speculative).c_str());
  print_listening(o, m, context, eo, fit.reason, load_ms, listener.port());
  serve_until_signal(signals, o.drain_timeout_s, context, engine, listener);
  return 0;
}

}  // namespace

Command add_serve_command(CLI::App& app) {
  auto o = std::make_shared<ServeOptions>();
  CLI::App* cmd = app.add_subcommand("serve", "Serve a model over an OpenAI-compatible HTTP API");
  cmd->add_option(
      "-m,--model", o->model,
      "Hugging Face model folder, GGUF file or pulled model (default: $JUNCTION_MODEL, a pulled "
      "DeepSeek-R1-0528-Qwen3-8B, else the bundled demo model)");
  cmd->add_option("--config", o->config,
                  "Gateway YAML config: one endpoint routing over many models and providers "
                  "(see gateway/README.md); --host/--port override its listen");
  cmd->add_option("--catalog", o->catalog,
                  "With --config: a provider and model catalogue (JSON, the schema of "
                  "gateway/catalogue.json) instead of the built-in one");
  cmd->add_option("--reports-dir", o->reports_dir,
                  "A folder of `junction compare` reports and result files to publish at "
                  "/reports/ (browsable in the web interface; readable without a key)")
      ->check(CLI::ExistingDirectory);
  cmd->add_option("--host", o->host, "Address to listen on");
  cmd->add_option("--port", o->port, "Port (0: any free port)")->check(CLI::Range(0, 65535));
  cmd->add_option("-t,--threads", o->threads, "Compute threads (default: all cores)")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("-c,--ctx-size", o->ctx_size,
                  "Context per request in tokens (default: the model's maximum, cut to fit the "
                  "memory available: weights + KV cache + work buffers)");
  add_kv_cache_flags(cmd, o->kv);
  add_speculative_flags(cmd, o->speculative);
  cmd->add_option("--parallel", o->parallel, "Sequences decoded together")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--max-queue", o->max_queue, "Requests waiting beyond --parallel before 429")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--max-body-mb", o->max_body_mb, "Largest request body (MiB)")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--step-tokens", o->step_tokens,
                  "Tokens per engine step (decodes + prefill chunks)")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--itl-target-ms", o->itl_target_ms,
                  "While requests decode, cut prompt chunks so a step takes about this long "
                  "(learned from the steps; 0: only --step-tokens limits them)")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--drain-timeout", o->drain_timeout_s,
                  "Seconds to let requests finish on SIGTERM");
  cmd->add_flag("--no-prefix-cache", o->no_prefix_cache,
                "Do not reuse KV of shared prompt prefixes");
  cmd->add_option("--served-model-name", o->served_model_name,
                  "Model name clients use (default: the folder name)");
  cmd->add_option("--api-key", o->api_key,
                  "Require 'Authorization: Bearer KEY' (other users can read a command line: "
                  "prefer --api-key-file or $JUNCTION_API_KEY)");
  cmd->add_option("--api-key-file", o->api_key_file,
                  "Require the key on the first line of FILE (default: $JUNCTION_API_KEY)");
  cmd->add_option("--chat-template", o->chat_template,
                  "Jinja chat template file overriding the model's");
  cmd->add_option("--temperature", o->temperature, "Default temperature (requests override)");
  cmd->add_option("--top-k", o->top_k);
  cmd->add_option("--top-p", o->top_p);
  cmd->add_option("--min-p", o->min_p);
  cmd->add_option("--repetition-penalty", o->repetition_penalty);
  cmd->add_option("--isa", o->isa,
                  "Force a kernel level: avx512, avx2 or scalar (default: $JUNCTION_ISA, else the "
                  "best this CPU runs)");
  return {cmd, [o, cmd] {
            o->host_given = cmd->count("--host") > 0;
            o->port_given = cmd->count("--port") > 0;
            return serve(*o);
          }};
}

}  // namespace junction::cli
