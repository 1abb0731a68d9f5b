#include "session/open_model.h"

#include <algorithm>
#include <chrono>
#include <thread>

#include "pull/model_cache.h"
#include "session/end_of_sequence.h"
#include "session/model_text.h"

namespace junction::session {
namespace {

double seconds_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

}  // namespace

int default_thread_count() {
  return static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
}

OpenModel::OpenModel() = default;
OpenModel::OpenModel(OpenModel&&) noexcept = default;
OpenModel& OpenModel::operator=(OpenModel&&) noexcept = default;
OpenModel::~OpenModel() {
  backend.reset();
  pool.reset();
}

std::string resolve_model(const std::string& name_or_path) {
  return pull::resolve_model_path(name_or_path);
}

OpenModel open_model(const std::string& name_or_path, const OpenOptions& options) {
  OpenModel m;
  m.path = resolve_model(name_or_path);
  m.n_threads = options.n_threads > 0 ? options.n_threads : default_thread_count();
  m.pool = std::make_unique<ThreadPool>(m.n_threads);
  m.backend = kernels::make_cpu_backend(*m.pool, options.isa);
  const auto t_load = std::chrono::steady_clock::now();
  m.model = Model::load(m.path);
  m.load_s = seconds_since(t_load);
  // The backend's relayout of the weights (the CPU backend packs Q4_K and Q8_0): reads every
  // such matrix from the file once.
  const auto t_prepare = std::chrono::steady_clock::now();
  m.prepared_bytes = m.model->prepare_weights(*m.backend);
  m.prepare_s = seconds_since(t_prepare);
  if (options.load_text) {
    ModelText text = load_model_text(m.path, options.chat_template);
    m.tokenizer = std::move(text.tokenizer);
    m.chat_template_source = std::move(text.chat_template);
    if (m.chat_template_source) {
      const chat::TemplateSource& s = *m.chat_template_source;
      m.chat_template = std::make_unique<chat::ChatTemplate>(s.text, s.bos_token, s.eos_token);
    }
  }
  m.eos_ids = end_of_sequence_ids(m.model->generation_config(), m.model->config(),
                                  m.tokenizer ? m.tokenizer->eos_id() : std::nullopt);
  return m;
}

}  // namespace junction::session
