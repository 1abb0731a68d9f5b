// `junction run`: load a model, generate from a prompt, print what comes out. Prompts are token
// ids, raw text, or chat messages rendered through the model's chat template; output is streamed
// text (or ids), or with --json one object with the ids, the text and its reasoning/content split.
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>

#include "chat/chat_template.h"
#include "chat/output_parser.h"
#include "cli/commands.h"
#include "cli/kv_cache_flags.h"
#include "cli/speculative_flags.h"
#include "core/error.h"
#include "engine/engine_loop.h"
#include "engine/run_one.h"
#include "session/open_model.h"
#include "tokenizer/incremental_detokenizer.h"
#include "tokenizer/tokenizer.h"

namespace junction::cli {
namespace {

struct RunOptions {
  std::string model;
  std::string prompt_ids;
  std::string prompt;         // raw text
  std::string chat;           // one user message
  std::string system;         // with --chat: a system message first
  std::string messages;       // JSON array, or @file
  std::string chat_template;  // override file
  std::string chat_template_kwargs = "{}";
  bool json = false;
  int64_t max_tokens = 32;
  int threads = 0;
  int64_t ctx_size = 0;
  std::string isa;
  bool ignore_eos = false;
  std::optional<float> temperature, top_p, min_p, repetition_penalty;
  std::optional<int64_t> top_k;
  float presence_penalty = 0, frequency_penalty = 0;
  uint64_t seed = 0;
  KvCacheFlags kv;
  SpeculativeFlags speculative;
};

std::vector<int32_t> parse_ids(const std::string& text) {
  std::vector<int32_t> ids;
  std::stringstream in(text);
  std::string item;
  while (std::getline(in, item, ',')) {
    item.erase(0, item.find_first_not_of(" \t"));
    item.erase(item.find_last_not_of(" \t") + 1);
    if (item.empty()) continue;
    try {
      size_t used = 0;
      const long long v = std::stoll(item, &used);
      if (used != item.size() || v < 0 || v > INT32_MAX) throw std::invalid_argument(item);
      ids.push_back(static_cast<int32_t>(v));
    } catch (const std::exception&) {
      throw Error("--prompt-ids: '" + item + "' is not a token id (give ids like 1,2,3)");
    }
  }
  return ids;
}

SamplingParams sampling_from(const RunOptions& o, const GenerationConfig& g) {
  SamplingParams p;
  // The model's own defaults apply when it asks for sampling; otherwise greedy.
  const bool model_samples = g.do_sample.value_or(false);
  p.temperature = o.temperature.value_or(
      model_samples ? static_cast<float>(g.temperature.value_or(1.0)) : 0.0f);
  p.top_p = o.top_p.value_or(model_samples ? static_cast<float>(g.top_p.value_or(1.0)) : 1.0f);
  p.top_k = o.top_k.value_or(model_samples ? g.top_k.value_or(0) : 0);
  p.min_p = o.min_p.value_or(model_samples ? static_cast<float>(g.min_p.value_or(0.0)) : 0.0f);
  p.repetition_penalty =
      o.repetition_penalty.value_or(static_cast<float>(g.repetition_penalty.value_or(1.0)));
  p.presence_penalty = o.presence_penalty;
  p.frequency_penalty = o.frequency_penalty;
  p.seed = o.seed;
  return p;
}

std::string read_file_or_text(const std::string& arg) {
  if (arg.empty() || arg[0] != '@') return arg;
  std::ifstream in(arg.substr(1));
  if (!in) throw Error("cannot read " + arg.substr(1));
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

nlohmann::ordered_json parse_json_arg(const std::string& what, const std::string& text) {
  try {
    return nlohmann::ordered_json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    throw Error(what + " is not valid JSON: " + e.what());
  }
}

// The prompt's ids from whichever form was given; `rendered` receives the chat prompt text.
std::vector<int32_t> prompt_tokens(const RunOptions& o, const session::OpenModel& m,
                                   std::string* rendered) {
  const tokenizer::Tokenizer* tok = m.tokenizer.get();
  const std::string& model_path = m.path;
  const int forms =
      !o.prompt_ids.empty() + !o.prompt.empty() + !o.chat.empty() + !o.messages.empty();
  if (forms != 1)
    throw Error("give exactly one prompt: --prompt-ids, --prompt, --chat or --messages");
  if (!o.prompt_ids.empty()) return parse_ids(o.prompt_ids);
  if (!tok) throw Error(model_path + " has no tokenizer.json: give the prompt as --prompt-ids");
  if (!o.prompt.empty()) return tok->encode(o.prompt, /*add_special_tokens=*/true);
  nlohmann::ordered_json messages = nlohmann::ordered_json::array();
  if (!o.chat.empty()) {
    if (!o.system.empty()) messages.push_back({{"role", "system"}, {"content", o.system}});
    messages.push_back({{"role", "user"}, {"content", o.chat}});
  } else {
    messages = parse_json_arg("--messages", read_file_or_text(o.messages));
    if (!messages.is_array() || messages.empty())
      throw Error("--messages must be a non-empty JSON array");
  }
  if (!m.chat_template)
    throw Error(model_path + " has no chat template: pass --chat-template FILE");
  const auto kwargs = parse_json_arg("--chat-template-kwargs", o.chat_template_kwargs);
  *rendered = m.chat_template->render(messages, nullptr, /*add_generation_prompt=*/true, kwargs);
  // HF's apply_chat_template(tokenize=True) adds no special tokens: the template wrote them.
  return tok->encode(*rendered, /*add_special_tokens=*/false);
}

int run(const RunOptions& o) {
  const auto t_start = std::chrono::steady_clock::now();
  const KvCacheType kv_type = kv_cache_type(o.kv);  // before loading: a bad name fails at once
  session::OpenOptions open;
  open.n_threads = o.threads;
  open.isa = o.isa;
  open.chat_template = o.chat_template;
  const session::OpenModel m = session::open_model(o.model, open);
  const ModelConfig& c = m.model->config();
  const tokenizer::Tokenizer* tok = m.tokenizer.get();
  std::string rendered;
  const auto prompt = prompt_tokens(o, m, &rendered);
  if (prompt.empty()) throw Error("the prompt is empty");

  const int64_t ctx =
      o.ctx_size > 0 ? o.ctx_size : static_cast<int64_t>(prompt.size()) + o.max_tokens;
  EngineOptions engine_options = one_sequence_options(ctx);
  engine_options.kv_type = kv_type;
  std::unique_ptr<Model> draft;  // outlives the engine
  engine_options.speculative = speculative_options(o.speculative, m, &draft);
  EngineLoop engine(*m.model, *m.backend, engine_options);

  EngineRequest request;
  request.prompt = prompt;
  request.max_tokens = o.max_tokens;
  request.sampling = sampling_from(o, m.model->generation_config());
  request.ignore_eos = o.ignore_eos;
  request.eos_ids = m.eos_ids;

  const auto t_loaded = std::chrono::steady_clock::now();
  auto t_prefilled = t_loaded;
  std::vector<int32_t> output;
  // Text in, text out (streamed); ids in, ids out.
  const bool print_text = tok && o.prompt_ids.empty() && !o.json;
  std::optional<tokenizer::IncrementalDetokenizer> detok;
  if (tok) detok.emplace(*tok);
  std::string text;
  const FinishInfo finish = run_one(engine, std::move(request), [&](const TokenEvent& e) {
    const int32_t token = e.token;
    if (output.empty()) t_prefilled = std::chrono::steady_clock::now();
    output.push_back(token);
    if (detok) {
      const std::string piece = detok->add(token);
      text += piece;
      if (print_text) std::fputs(piece.c_str(), stdout);
    }
    if (!print_text && !o.json) std::printf("%s%d", output.size() == 1 ? "" : ",", token);
    std::fflush(stdout);
    return true;
  });
  if (detok) {
    const std::string rest = detok->finish();
    text += rest;
    if (print_text) std::fputs(rest.c_str(), stdout);
  }
  if (o.json) {
    nlohmann::ordered_json out;
    out["prompt_ids"] = prompt;
    if (!rendered.empty()) out["prompt_text"] = rendered;
    out["output_ids"] = output;
    out["finish_reason"] = finish.reason == StopReason::kStop ? "stop" : "length";
    if (engine_options.speculative.enabled()) {
      out["draft_tokens"] = finish.n_draft_tokens;
      out["accepted_draft_tokens"] = finish.n_accepted_draft_tokens;
    }
    if (tok) {
      out["text"] = text;
      const auto parsed = chat::parse_chat_output(text);
      out["reasoning_content"] = parsed.reasoning_content;
      out["content"] = parsed.content;
    }
    std::printf("%s", out.dump().c_str());
  }
  std::printf("\n");
  const auto t_end = std::chrono::steady_clock::now();
  auto ms = [](auto a, auto b) { return std::chrono::duration<double, std::milli>(b - a).count(); };
  const double decode_ms = ms(t_prefilled, t_end);
  std::fprintf(
      stderr,
      "junction run: %s (%s, %lld layers, %s kernels, %d threads) load %.0f ms | prompt %zu "
      "tokens %.1f tok/s | generated %zu tokens %.1f tok/s\n",
      o.model.c_str(), c.model_type.c_str(), static_cast<long long>(c.num_hidden_layers),
      std::string(m.backend->name()).c_str(), m.n_threads, ms(t_start, t_loaded), prompt.size(),
      prompt.size() * 1000.0 / std::max(1e-9, ms(t_loaded, t_prefilled)), output.size(),
      output.size() > 1 ? (output.size() - 1) * 1000.0 / std::max(1e-9, decode_ms) : 0.0);
  if (engine_options.speculative.enabled())
    std::fprintf(stderr, "junction run: %s: drafted %lld, accepted %lld (%.0f%%)\n",
                 describe(engine_options.speculative, o.speculative).c_str(),
                 static_cast<long long>(finish.n_draft_tokens),
                 static_cast<long long>(finish.n_accepted_draft_tokens),
                 100.0 * static_cast<double>(finish.n_accepted_draft_tokens) /
                     static_cast<double>(std::max<int64_t>(1, finish.n_draft_tokens)));
  return 0;
}

}  // namespace

Command add_run_command(CLI::App& app) {
  auto o = std::make_shared<RunOptions>();
  CLI::App* cmd = app.add_subcommand("run", "Generate tokens from a model folder");
  cmd->add_option(
         "-m,--model", o->model,
         "Hugging Face model folder, GGUF file, or a pulled model (alias or hf://ORG/REPO)")
      ->required();
  cmd->add_option("--prompt-ids", o->prompt_ids, "Prompt as comma-separated token ids");
  cmd->add_option("-p,--prompt", o->prompt, "Prompt as raw text (no chat template)");
  cmd->add_option("--chat", o->chat, "One user message, rendered with the model's chat template");
  cmd->add_option("--system", o->system, "With --chat: a system message before it");
  cmd->add_option("--messages", o->messages, "Chat messages as a JSON array, or @file");
  cmd->add_option("--chat-template", o->chat_template,
                  "Use this Jinja chat template file instead of the model's");
  cmd->add_option("--chat-template-kwargs", o->chat_template_kwargs,
                  "JSON object of extra template variables, e.g. {\"enable_thinking\": false}");
  cmd->add_flag("--json", o->json,
                "Print one JSON object: prompt and output ids, text, reasoning/content");
  cmd->add_option("-n,--max-tokens", o->max_tokens, "Tokens to generate")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("-t,--threads", o->threads, "Threads (default: all cores)")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("-c,--ctx-size", o->ctx_size,
                  "Context size in tokens (default: prompt + max tokens)");
  add_kv_cache_flags(cmd, o->kv);
  add_speculative_flags(cmd, o->speculative);
  cmd->add_option("--temperature", o->temperature, "0 for greedy");
  cmd->add_option("--top-k", o->top_k);
  cmd->add_option("--top-p", o->top_p);
  cmd->add_option("--min-p", o->min_p);
  cmd->add_option("--repetition-penalty", o->repetition_penalty);
  cmd->add_option("--presence-penalty", o->presence_penalty);
  cmd->add_option("--frequency-penalty", o->frequency_penalty);
  cmd->add_option("--seed", o->seed, "Sampling seed: the same seed gives the same tokens");
  cmd->add_flag("--ignore-eos", o->ignore_eos, "Keep generating past end-of-sequence tokens");
  cmd->add_option("--isa", o->isa,
                  "Force a kernel level: avx512, avx2 or scalar (default: $JUNCTION_ISA, else the "
                  "best this CPU runs)");
  return {cmd, [o] { return run(*o); }};
}

}  // namespace junction::cli
