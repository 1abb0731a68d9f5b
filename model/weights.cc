#include "model/weights.h"

#include "core/error.h"
#include "kernels/ref/ref_ops.h"

namespace junction {
namespace {

std::string shape_string(const std::vector<int64_t>& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

class Loader {
 public:
  Loader(const ModelConfig& c, const SafetensorsCheckpoint& ckpt) : c_(c), ckpt_(ckpt) {}

  const SafetensorsTensor& tensor(const std::string& name, std::vector<int64_t> shape) const {
    const SafetensorsTensor* t = ckpt_.find(name);
    if (!t) throw Error("checkpoint has no tensor '" + name + "' (does config.json match the weights?)");
    if (t->shape != shape)
      throw Error("tensor '" + name + "' has shape " + shape_string(t->shape) + ", config.json implies " +
                  shape_string(shape));
    return *t;
  }

  WeightView matrix(const std::string& name, int64_t rows, int64_t cols) {
    const SafetensorsTensor& t = tensor(name, {rows, cols});
    bytes += t.bytes;
    return WeightView{t.data, t.dtype, rows, cols};
  }

  std::vector<float> vector(const std::string& name, int64_t n, float add = 0.0f) const {
    const SafetensorsTensor& t = tensor(name, {n});
    std::vector<float> out(n);
    for (int64_t i = 0; i < n; ++i) out[i] = add + kernels::ref::load_element(t.data, t.dtype, i);
    return out;
  }

  Linear linear(const std::string& prefix, int64_t out, int64_t in, bool bias) {
    Linear l{matrix(prefix + ".weight", out, in), {}};
    if (bias) l.bias = vector(prefix + ".bias", out);
    return l;
  }

  size_t bytes = 0;

 private:
  const ModelConfig& c_;
  const SafetensorsCheckpoint& ckpt_;
};

}  // namespace

ModelWeights load_weights(const ModelConfig& c, std::unique_ptr<SafetensorsCheckpoint> checkpoint) {
  Loader load(c, *checkpoint);
  ModelWeights w;
  const int64_t H = c.hidden_size, I = c.intermediate_size, D = c.head_dim;
  const int64_t q_dim = c.num_attention_heads * D, kv_dim = c.num_key_value_heads * D;
  // Gemma's norms scale by (1 + w); folding the 1 in here keeps one rms_norm op for all families.
  const float norm_offset = c.family == ModelFamily::kGemma ? 1.0f : 0.0f;

  w.embed_tokens = load.matrix("model.embed_tokens.weight", c.vocab_size, H);
  for (int64_t l = 0; l < c.num_hidden_layers; ++l) {
    const std::string p = "model.layers." + std::to_string(l);
    LayerWeights L;
    L.input_layernorm = load.vector(p + ".input_layernorm.weight", H, norm_offset);
    L.post_attention_layernorm = load.vector(p + ".post_attention_layernorm.weight", H, norm_offset);
    if (c.family == ModelFamily::kPhi3) {
      const WeightView qkv = load.matrix(p + ".self_attn.qkv_proj.weight", q_dim + 2 * kv_dim, H);
      L.q_proj.weight = qkv.slice_rows(0, q_dim);
      L.k_proj.weight = qkv.slice_rows(q_dim, kv_dim);
      L.v_proj.weight = qkv.slice_rows(q_dim + kv_dim, kv_dim);
      const WeightView gate_up = load.matrix(p + ".mlp.gate_up_proj.weight", 2 * I, H);
      L.gate_proj.weight = gate_up.slice_rows(0, I);
      L.up_proj.weight = gate_up.slice_rows(I, I);
    } else {
      L.q_proj = load.linear(p + ".self_attn.q_proj", q_dim, H, c.qkv_bias);
      L.k_proj = load.linear(p + ".self_attn.k_proj", kv_dim, H, c.qkv_bias);
      L.v_proj = load.linear(p + ".self_attn.v_proj", kv_dim, H, c.qkv_bias);
      L.gate_proj = load.linear(p + ".mlp.gate_proj", I, H, c.mlp_bias);
      L.up_proj = load.linear(p + ".mlp.up_proj", I, H, c.mlp_bias);
    }
    L.o_proj = load.linear(p + ".self_attn.o_proj", H, q_dim, c.o_bias);
    L.down_proj = load.linear(p + ".mlp.down_proj", H, I, c.mlp_bias);
    if (c.qk_norm) {
      L.q_norm = load.vector(p + ".self_attn.q_norm.weight", D);
      L.k_norm = load.vector(p + ".self_attn.k_norm.weight", D);
    }
    w.layers.push_back(std::move(L));
  }
  w.norm = load.vector("model.norm.weight", H, norm_offset);
  if (c.tie_word_embeddings) {
    w.lm_head = w.embed_tokens;
  } else {
    w.lm_head = load.matrix("lm_head.weight", c.vocab_size, H);
  }
  w.matrix_bytes = load.bytes;
  w.checkpoint = std::move(checkpoint);
  return w;
}

}  // namespace junction
