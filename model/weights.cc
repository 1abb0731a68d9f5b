#include "model/weights.h"

#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <set>

#include "core/error.h"
#include "kernels/quant/quant_ref.h"

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
    if (!t)
      throw Error("checkpoint has no tensor '" + name + "' (does config.json match the weights?)");
    if (t->shape != shape)
      throw Error("tensor '" + name + "' has shape " + shape_string(t->shape) +
                  ", config.json implies " + shape_string(shape));
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
    quant::dequantize_row(t.dtype, t.data, out.data(), n);
    for (float& f : out) f += add;
    return out;
  }

  Linear linear(const std::string& prefix, int64_t out, int64_t in, bool bias) {
    Linear l{matrix(prefix + ".weight", out, in), {}, nullptr};
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
    L.post_attention_layernorm =
        load.vector(p + ".post_attention_layernorm.weight", H, norm_offset);
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

namespace {

class GgufLoader {
 public:
  explicit GgufLoader(const GgufFile& f) : f_(f) {}

  const GgufTensor* find(const std::string& name) const { return f_.tensor(name); }

  const GgufTensor& tensor(const std::string& name, std::vector<int64_t> ne) {
    const GgufTensor* t = f_.tensor(name);
    if (!t) throw Error("GGUF file has no tensor '" + name + "' (is it a complete model file?)");
    used_.insert(name);
    if (t->ne != ne)
      throw Error("GGUF tensor '" + name + "' has shape " + shape_string(t->ne) +
                  ", the metadata implies " + shape_string(ne));
    return *t;
  }
  WeightView matrix(const std::string& name, int64_t rows, int64_t cols) {
    const GgufTensor& t = tensor(name, {cols, rows});
    bytes += t.bytes;
    return WeightView{t.data, t.dtype, rows, cols};
  }
  std::vector<float> vector(const std::string& name, int64_t n) {
    const GgufTensor& t = tensor(name, {n});
    if (n % block_elements(t.dtype) != 0)
      throw Error("GGUF tensor '" + name + "' is not whole blocks");
    std::vector<float> out(n);
    quant::dequantize_row(t.dtype, t.data, out.data(), n);
    return out;
  }
  Linear linear(const std::string& prefix, int64_t out, int64_t in) {
    Linear l{matrix(prefix + ".weight", out, in), {}, nullptr};
    if (find(prefix + ".bias")) l.bias = vector(prefix + ".bias", out);
    return l;
  }

  void mark_used(const std::string& name) { used_.insert(name); }
  bool used(const std::string& name) const { return used_.count(name) != 0; }

  size_t bytes = 0;

 private:
  const GgufFile& f_;
  std::set<std::string> used_;
};

}  // namespace

ModelWeights load_gguf_weights(const ModelConfig& c, std::unique_ptr<GgufFile> gguf) {
  GgufLoader load(*gguf);
  ModelWeights w;
  const int64_t H = c.hidden_size, I = c.intermediate_size, D = c.head_dim;
  const int64_t q_dim = c.num_attention_heads * D, kv_dim = c.num_key_value_heads * D;
  // Gemma's norms are stored as (1 + w) already: llama.cpp's converter adds the 1.
  w.embed_tokens = load.matrix("token_embd.weight", c.vocab_size, H);
  for (int64_t l = 0; l < c.num_hidden_layers; ++l) {
    const std::string p = "blk." + std::to_string(l);
    LayerWeights L;
    L.input_layernorm = load.vector(p + ".attn_norm.weight", H);
    L.post_attention_layernorm = load.vector(p + ".ffn_norm.weight", H);
    if (load.find(p + ".attn_qkv.weight")) {  // Phi-3: q, k and v rows in one matrix
      const WeightView qkv = load.matrix(p + ".attn_qkv.weight", q_dim + 2 * kv_dim, H);
      L.q_proj.weight = qkv.slice_rows(0, q_dim);
      L.k_proj.weight = qkv.slice_rows(q_dim, kv_dim);
      L.v_proj.weight = qkv.slice_rows(q_dim + kv_dim, kv_dim);
    } else {
      L.q_proj = load.linear(p + ".attn_q", q_dim, H);
      L.k_proj = load.linear(p + ".attn_k", kv_dim, H);
      L.v_proj = load.linear(p + ".attn_v", kv_dim, H);
    }
    L.o_proj = load.linear(p + ".attn_output", H, q_dim);
    if (c.family == ModelFamily::kPhi3 && !load.find(p + ".ffn_gate.weight")) {
      // Phi-3's ffn_up is gate_up_proj: the gate's rows, then up's (ggml_swiglu's halves).
      const WeightView gate_up = load.matrix(p + ".ffn_up.weight", 2 * I, H);
      L.gate_proj.weight = gate_up.slice_rows(0, I);
      L.up_proj.weight = gate_up.slice_rows(I, I);
    } else {
      L.gate_proj = load.linear(p + ".ffn_gate", I, H);
      L.up_proj = load.linear(p + ".ffn_up", I, H);
    }
    L.down_proj = load.linear(p + ".ffn_down", H, I);
    if (c.qk_norm) {
      L.q_norm = load.vector(p + ".attn_q_norm.weight", D);
      L.k_norm = load.vector(p + ".attn_k_norm.weight", D);
    }
    w.layers.push_back(std::move(L));
  }
  w.norm = load.vector("output_norm.weight", H);
  w.lm_head =
      load.find("output.weight") ? load.matrix("output.weight", c.vocab_size, H) : w.embed_tokens;
  if (c.rope_scaling.type == RopeScaling::Type::kFreqFactors) load.mark_used("rope_freqs.weight");
  // A tensor nothing above read would be part of the model junction does not compute.
  for (const GgufTensor& t : gguf->tensors())
    if (!load.used(t.name))
      throw Error("GGUF tensor '" + t.name + "' is not understood by junction (architecture '" +
                  c.model_type + "')");
  w.matrix_bytes = load.bytes;
  w.gguf = std::move(gguf);
  return w;
}

namespace {
// Unmaps the whole pages inside a matrix's range from this process (clean file pages: the next
// read faults them in again from the page cache or the file).
void drop_pages(const WeightView& w) {
  const auto page = static_cast<uintptr_t>(sysconf(_SC_PAGESIZE));
  const auto begin = (reinterpret_cast<uintptr_t>(w.data) + page - 1) / page * page;
  const auto end = (reinterpret_cast<uintptr_t>(w.data) + w.bytes()) / page * page;
  if (begin < end) madvise(reinterpret_cast<void*>(begin), end - begin, MADV_DONTNEED);
}
}  // namespace

size_t prepare_weights(ModelWeights& weights, kernels::Backend& backend) {
  size_t bytes = 0;
  auto prepare = [&](const WeightView& view, std::shared_ptr<const kernels::PreparedWeight>& to) {
    to = backend.prepare_weight(view);
    if (to == nullptr) return;
    bytes += to->bytes();
    drop_pages(view);
  };
  for (LayerWeights& L : weights.layers)
    for (Linear* l :
         {&L.q_proj, &L.k_proj, &L.v_proj, &L.o_proj, &L.gate_proj, &L.up_proj, &L.down_proj})
      prepare(l->weight, l->prepared);
  prepare(weights.lm_head, weights.lm_head_prepared);
  return bytes;
}

}  // namespace junction
