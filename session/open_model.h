// One way to open a model, for every command that takes one (run, serve, in-process eval,
// bench-model; info and quantize resolve the name the same way but read headers only): a
// Hugging Face folder, a GGUF file or a pulled model name (an alias or hf:// URL,
// pull/model_cache.h) becomes the loaded model with its tokenizer, chat template, end-of-sequence
// ids (session/end_of_sequence.h), thread pool and a CPU backend the weights are prepared for.
// Above engine, tokenizer and chat; below the commands.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "chat/chat_template.h"
#include "chat/template_source.h"
#include "core/thread_pool.h"
#include "kernels/ops.h"
#include "model/model.h"
#include "tokenizer/tokenizer.h"

namespace junction::session {

// Compute threads when none are asked for: every core.
int default_thread_count();

struct OpenOptions {
  int n_threads = 0;          // 0: default_thread_count()
  std::string isa;            // kernel level (--isa); empty: $JUNCTION_ISA, else the CPU's best
  std::string chat_template;  // a Jinja file overriding the model's template
  bool load_text = true;      // false: no tokenizer or template (bench-model)
};

struct OpenModel {
  std::string path;  // the folder or file the name resolved to
  std::unique_ptr<Model> model;
  std::unique_ptr<tokenizer::Tokenizer> tokenizer;  // null: the model ships none
  // Where the template came from (null: none found), and the template built from it.
  std::optional<chat::TemplateSource> chat_template_source;
  std::unique_ptr<chat::ChatTemplate> chat_template;
  std::vector<int32_t> eos_ids;  // end_of_sequence_ids(): the one set every caller stops on
  int n_threads = 0;
  std::unique_ptr<ThreadPool> pool;
  std::unique_ptr<kernels::Backend> backend;  // the model's weights are prepared for it
  double load_s = 0, prepare_s = 0;           // seconds: Model::load, prepare_weights
  size_t prepared_bytes = 0;                  // bytes the backend relaid out

  OpenModel();
  OpenModel(OpenModel&&) noexcept;
  OpenModel& operator=(OpenModel&&) noexcept;
  ~OpenModel();  // the backend goes before the pool it runs on
};

// An existing path as is, else a pulled model's cache path; throws junction::Error saying
// "run: junction pull NAME" for a known name not pulled yet.
std::string resolve_model(const std::string& name_or_path);

// Throws junction::Error when the name resolves to nothing or the model cannot be read.
OpenModel open_model(const std::string& name_or_path, const OpenOptions& options = {});

}  // namespace junction::session
