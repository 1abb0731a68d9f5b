// The forward pass of every supported family in one function. Qwen3, Qwen2, Llama and Mistral
// differ only in flags (q/k norm, biases, sliding window); Gemma differs in its embedding scale,
// (1 + w) norms (folded at load) and GeGLU; Phi-3 in its fused projections (split at load).
#include "model/model.h"

#include <cmath>
#include <filesystem>

#include "core/error.h"

namespace junction {

void ForwardScratch::reserve(const ModelConfig& c, int64_t n) {
  if (n <= capacity) return;
  capacity = n;
  const int64_t q_dim = c.num_attention_heads * c.head_dim;
  const int64_t kv_dim = c.num_key_value_heads * c.head_dim;
  x.resize(n * c.hidden_size);
  xn.resize(n * c.hidden_size);
  q.resize(n * q_dim);
  k.resize(n * kv_dim);
  v.resize(n * kv_dim);
  attn.resize(n * q_dim);
  out.resize(n * c.hidden_size);
  gate.resize(n * c.intermediate_size);
  up.resize(n * c.intermediate_size);
  cos.resize(n * c.rotary_dim() / 2);
  sin.resize(n * c.rotary_dim() / 2);
}

Model::Model(ModelConfig config, GenerationConfig generation, ModelWeights weights)
    : config_(std::move(config)),
      generation_(std::move(generation)),
      weights_(std::move(weights)),
      rope_(config_) {}

std::unique_ptr<Model> Model::load(const std::string& path) {
  if (std::filesystem::is_regular_file(path)) {
    auto gguf = GgufFile::open(path);
    ModelConfig config = config_from_gguf(*gguf, path);
    ModelWeights weights = load_gguf_weights(config, std::move(gguf));
    return std::unique_ptr<Model>(
        new Model(std::move(config), GenerationConfig{}, std::move(weights)));
  }
  ModelConfig config = load_model_config(path);
  GenerationConfig generation = load_generation_config(path);
  ModelWeights weights = load_weights(config, SafetensorsCheckpoint::open(path));
  return std::unique_ptr<Model>(
      new Model(std::move(config), std::move(generation), std::move(weights)));
}

void Model::linear(kernels::Backend& be, const float* x, int64_t n, const Linear& l,
                   float* y) const {
  be.matmul(x, n, l.weight, l.prepared.get(), y);
  if (!l.bias.empty()) be.add_bias(y, n, l.weight.rows, l.bias.data());
}

void Model::forward(kernels::Backend& be, KvCache& cache, std::span<const int32_t> ids,
                    int64_t pos0, int64_t n_logits, float* logits, ForwardScratch& s) const {
  const BatchSlice slice{&cache, ids, pos0, n_logits};
  forward(be, std::span<const BatchSlice>(&slice, 1), logits, s);
}

void Model::forward(kernels::Backend& be, std::span<const BatchSlice> slices, float* logits,
                    ForwardScratch& s) const {
  const ModelConfig& c = config_;
  const ModelWeights& w = weights_;
  const int64_t H = c.hidden_size, D = c.head_dim, I = c.intermediate_size;
  const int64_t n_heads = c.num_attention_heads, n_kv = c.num_key_value_heads;
  const int64_t half_rot = rope_.rotary_dim() / 2;
  const float eps = static_cast<float>(c.rms_norm_eps);
  int64_t T = 0;
  for (const BatchSlice& b : slices) {
    if (b.n_logits < 0 || b.n_logits > static_cast<int64_t>(b.ids.size()))
      throw Error("n_logits must be between 0 and the slice's token count");
    if (b.pos0 < 0 || b.pos0 + static_cast<int64_t>(b.ids.size()) > b.cache->capacity())
      throw Error("context full: " + std::to_string(b.pos0 + b.ids.size()) +
                  " tokens do not fit the KV cache of " + std::to_string(b.cache->capacity()) +
                  " (raise --ctx-size)");
    for (int32_t id : b.ids)
      if (id < 0 || id >= c.vocab_size)
        throw Error("token id " + std::to_string(id) + " is outside the vocabulary [0, " +
                    std::to_string(c.vocab_size) + ")");
    T += static_cast<int64_t>(b.ids.size());
  }
  if (T == 0) return;
  s.reserve(c, T);
  s.ids.clear();
  for (const BatchSlice& b : slices) {
    rope_.fill(b.pos0, static_cast<int64_t>(b.ids.size()), s.cos.data() + s.ids.size() * half_rot,
               s.sin.data() + s.ids.size() * half_rot);
    s.ids.insert(s.ids.end(), b.ids.begin(), b.ids.end());
  }

  be.embedding(w.embed_tokens, s.ids.data(), T, s.x.data());
  if (c.family == ModelFamily::kGemma)
    be.scale(s.x.data(), T * H, static_cast<float>(std::sqrt(static_cast<double>(H))));

  for (int64_t l = 0; l < c.num_hidden_layers; ++l) {
    const LayerWeights& L = w.layers[l];

    // Attention block: projections for the whole batch, attention per sequence.
    be.rms_norm(s.x.data(), T, H, L.input_layernorm.data(), eps, s.xn.data());
    linear(be, s.xn.data(), T, L.q_proj, s.q.data());
    linear(be, s.xn.data(), T, L.k_proj, s.k.data());
    linear(be, s.xn.data(), T, L.v_proj, s.v.data());
    if (c.qk_norm) {
      be.rms_norm(s.q.data(), T * n_heads, D, L.q_norm.data(), eps, s.q.data());
      be.rms_norm(s.k.data(), T * n_kv, D, L.k_norm.data(), eps, s.k.data());
    }
    be.rope(s.q.data(), T, n_heads, D, rope_.rotary_dim(), c.rope_interleaved, s.cos.data(),
            s.sin.data());
    be.rope(s.k.data(), T, n_kv, D, rope_.rotary_dim(), c.rope_interleaved, s.cos.data(),
            s.sin.data());
    int64_t row = 0;
    for (const BatchSlice& b : slices) {
      const int64_t n = static_cast<int64_t>(b.ids.size());
      b.cache->write(be, l, b.pos0, n, s.k.data() + row * n_kv * D, s.v.data() + row * n_kv * D);
      kernels::AttentionShape shape = attention_shape(n, b.pos0);
      b.cache->describe(shape);
      be.attention(s.q.data() + row * n_heads * D, b.cache->keys(l), b.cache->values(l), shape,
                   s.attn.data() + row * n_heads * D);
      row += n;
    }
    linear(be, s.attn.data(), T, L.o_proj, s.out.data());
    be.add(s.x.data(), s.out.data(), T * H);

    // MLP block.
    be.rms_norm(s.x.data(), T, H, L.post_attention_layernorm.data(), eps, s.xn.data());
    linear(be, s.xn.data(), T, L.gate_proj, s.gate.data());
    linear(be, s.xn.data(), T, L.up_proj, s.up.data());
    if (c.hidden_act == Activation::kSilu) {
      be.silu_mul(s.gate.data(), s.up.data(), T * I);
    } else {
      be.gelu_tanh_mul(s.gate.data(), s.up.data(), T * I);
    }
    linear(be, s.gate.data(), T, L.down_proj, s.out.data());
    be.add(s.x.data(), s.out.data(), T * H);
  }

  // Only the rows whose logits are wanted go through the final norm and the vocabulary matmul.
  int64_t row = 0, wanted = 0;
  for (const BatchSlice& b : slices) {
    const int64_t n = static_cast<int64_t>(b.ids.size());
    be.rms_norm(s.x.data() + (row + n - b.n_logits) * H, b.n_logits, H, w.norm.data(), eps,
                s.xn.data() + wanted * H);
    row += n;
    wanted += b.n_logits;
  }
  if (wanted > 0) be.matmul(s.xn.data(), wanted, w.lm_head, w.lm_head_prepared.get(), logits);
}

kernels::AttentionShape Model::attention_shape(int64_t n_tokens, int64_t pos0) const {
  kernels::AttentionShape a;
  a.n_tokens = n_tokens;
  a.pos0 = pos0;
  a.n_heads = config_.num_attention_heads;
  a.n_kv_heads = config_.num_key_value_heads;
  a.head_dim = config_.head_dim;
  a.sliding_window = config_.sliding_window;
  a.scale = static_cast<float>(1.0 / std::sqrt(static_cast<double>(config_.head_dim)));
  return a;
}

}  // namespace junction
