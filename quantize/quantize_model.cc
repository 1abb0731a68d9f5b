#include "quantize/quantize_model.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstring>
#include <deque>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <thread>

#include "core/error.h"
#include "core/thread_pool.h"
#include "formats/gguf.h"
#include "formats/gguf_writer.h"
#include "formats/safetensors.h"
#include "kernels/quant/quant_ref.h"
#include "model/config.h"
#include "quantize/hf_gguf_metadata.h"
#include "quantize/hf_gguf_tokenizer.h"
#include "quantize/quantize_row.h"

namespace junction {
namespace {

constexpr QuantizeTarget kTargets[] = {
    {"f16", DType::F16, 1},      {"bf16", DType::BF16, 32},   {"q8_0", DType::Q8_0, 7},
    {"q4_0", DType::Q4_0, 2},    {"q4_1", DType::Q4_1, 3},    {"q5_0", DType::Q5_0, 8},
    {"q5_1", DType::Q5_1, 9},    {"q4_k_s", DType::Q4_K, 14}, {"q4_k_m", DType::Q4_K, 15},
    {"q5_k_s", DType::Q5_K, 16}, {"q5_k_m", DType::Q5_K, 17}, {"q6_k", DType::Q6_K, 18},
};

bool contains(const std::string& s, std::string_view part) {
  return s.find(part) != std::string::npos;
}

int layer_of(const std::string& name) {
  int layer = -1;
  if (std::sscanf(name.c_str(), "blk.%d.", &layer) != 1) return -1;
  return layer;
}

// llama.cpp gives some layers more bits: the first and last eighth, and every third in between.
bool use_more_bits(int layer, int n_layers) {
  return layer < n_layers / 8 || layer >= 7 * n_layers / 8 || (layer - n_layers / 8) % 3 == 2;
}

// One input tensor as the output will hold it.
struct Source {
  std::string name;         // GGUF name
  std::vector<int64_t> ne;  // ggml order
  DType dtype;              // as stored in the input
  const std::byte* data;
  std::vector<int64_t> row_of;  // output row r comes from input row row_of[r]; empty: identity
  int64_t rows() const {
    int64_t r = 1;
    for (size_t i = 1; i < ne.size(); ++i) r *= ne[i];
    return r;
  }
  uint64_t bytes() const { return static_cast<uint64_t>(rows()) * row_size(dtype, ne[0]); }
};

// llama.cpp's converter reorders the q/k rows of Llama checkpoints from HF's rotate-half layout
// to interleaved pairs: within each head, output row 2*i + j is input row j*half + i.
std::vector<int64_t> llama_rope_permutation(int64_t rows, int64_t n_heads) {
  const int64_t head_dim = rows / n_heads, half = head_dim / 2;
  std::vector<int64_t> row_of(rows);
  for (int64_t h = 0; h < n_heads; ++h)
    for (int64_t i = 0; i < half; ++i)
      for (int64_t j = 0; j < 2; ++j)
        row_of[h * head_dim + 2 * i + j] = h * head_dim + j * half + i;
  return row_of;
}

// The metadata keys of a GGUF file in file order (GgufFile keeps them in a map). The file has
// already been validated by GgufFile::open, so this scan only walks the structure.
std::vector<std::string> metadata_key_order(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  auto u32 = [&] {
    uint32_t v = 0;
    in.read(reinterpret_cast<char*>(&v), 4);
    return v;
  };
  auto u64 = [&] {
    uint64_t v = 0;
    in.read(reinterpret_cast<char*>(&v), 8);
    return v;
  };
  auto str = [&] {
    std::string s(u64(), '\0');
    in.read(s.data(), static_cast<std::streamsize>(s.size()));
    return s;
  };
  auto size_of = [](uint32_t t) -> int {
    static const int s[] = {1, 1, 2, 2, 4, 4, 4, 1, 0, 0, 8, 8, 8};
    return t < 13 ? s[t] : 0;
  };
  std::function<void(uint32_t)> skip = [&](uint32_t t) {
    if (t == 8) {
      in.seekg(static_cast<std::streamoff>(u64()), std::ios::cur);
    } else if (t == 9) {
      const uint32_t et = u32();
      const uint64_t n = u64();
      if (et == 8 || et == 9) {
        for (uint64_t i = 0; i < n && in; ++i) skip(et);
      } else {
        in.seekg(static_cast<std::streamoff>(n * size_of(et)), std::ios::cur);
      }
    } else {
      in.seekg(size_of(t), std::ios::cur);
    }
  };
  u32();  // magic
  u32();  // version
  u64();  // tensors
  const uint64_t n_kv = u64();
  std::vector<std::string> keys;
  for (uint64_t i = 0; i < n_kv && in; ++i) {
    keys.push_back(str());
    skip(u32());
  }
  if (!in) throw Error(path + ": cannot read the metadata keys");
  return keys;
}

GgufMetadata gguf_metadata_in_order(const std::string& path, const GgufFile& g) {
  GgufMetadata m;
  for (const auto& key : metadata_key_order(path)) m.emplace_back(key, *g.find(key));
  return m;
}

bool is_tokenizer_key(const std::string& key) {
  return key.rfind("tokenizer.", 0) == 0;
}

}  // namespace

std::optional<QuantizeTarget> find_quantize_target(std::string_view name) {
  std::string lower(name);
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (const auto& t : kTargets)
    if (t.name == lower) return t;
  return std::nullopt;
}

std::vector<std::string_view> quantize_target_names() {
  std::vector<std::string_view> names;
  for (const auto& t : kTargets) names.push_back(t.name);
  return names;
}

DType tensor_quant_type(const QuantizeTarget& target, const std::string& name,
                        const std::vector<int64_t>& ne, int layer, int n_layers, bool has_output) {
  // Vectors and norms stay F32 (the converter writes them so; llama-quantize leaves them).
  if (ne.size() < 2 || contains(name, "_norm.weight")) return DType::F32;
  DType t = target.base;
  if (!is_quantized(t)) return t;
  const std::string_view ft = target.name;
  const bool k_m = ft == "q4_k_m" || ft == "q5_k_m";
  if (name == "output.weight" || (!has_output && name == "token_embd.weight")) {
    if (ne[0] % block_elements(t) != 0) {
      t = DType::Q8_0;
    } else if (t != DType::Q8_0) {
      t = DType::Q6_K;
    }
  } else if (name == "token_embd.weight") {
    // keeps the base type
  } else if (contains(name, "attn_v.weight") || contains(name, "attn_qkv.weight")) {
    // llama.cpp counts Phi-3's fused attn_qkv among the attn_v-like tensors
    if (k_m && use_more_bits(layer, n_layers))
      t = DType::Q6_K;
    else if (ft == "q4_k_s" && layer < 4)
      t = DType::Q5_K;
  } else if (contains(name, "ffn_down")) {
    if (k_m && use_more_bits(layer, n_layers))
      t = DType::Q6_K;
    else if (ft == "q4_k_s" && layer < n_layers / 8)
      t = DType::Q5_K;
  }
  if (ne[0] % block_elements(t) !=
      0) {  // rows that are not whole super-blocks: llama.cpp's fallbacks
    switch (t) {
      case DType::Q4_K:
        t = DType::Q5_0;
        break;
      case DType::Q5_K:
        t = DType::Q5_1;
        break;
      case DType::Q6_K:
        t = DType::Q8_0;
        break;
      default:
        break;
    }
    if (ne[0] % block_elements(t) != 0) t = DType::F16;
  }
  return t;
}

QuantizeResult quantize_model(const std::string& in, const std::string& out,
                              const QuantizeOptions& options) {
  const auto target = find_quantize_target(options.type);
  if (!target) throw Error("unknown quantization type '" + options.type + "'");

  std::unique_ptr<SafetensorsCheckpoint> checkpoint;
  std::unique_ptr<GgufFile> gguf;
  std::vector<Source> sources;
  std::deque<std::vector<float>> owned;  // tensors the converter computes (not in the input)
  GgufMetadata head, tokenizer;  // everything before general.file_type, and the tokenizer keys
  const bool from_gguf = !std::filesystem::is_directory(in);

  if (from_gguf) {
    gguf = GgufFile::open(in);
    for (auto& [key, value] : gguf_metadata_in_order(in, *gguf)) {
      if (key == "general.file_type" || key == "general.quantization_version") continue;
      (is_tokenizer_key(key) ? tokenizer : head).emplace_back(key, std::move(value));
    }
    for (const auto& t : gguf->tensors()) sources.push_back({t.name, t.ne, t.dtype, t.data, {}});
    // llama-quantize's order: tensors outside blocks first, then by block number, then by name.
    std::stable_sort(sources.begin(), sources.end(), [](const Source& a, const Source& b) {
      const int la = layer_of(a.name), lb = layer_of(b.name);
      return la != lb ? la < lb : a.name < b.name;
    });
  } else {
    checkpoint = SafetensorsCheckpoint::open(in);
    // Refuses what junction could not run from the GGUF either (unknown rope types, Phi-3's
    // longrope, soft-capping), naming the field.
    const ModelConfig config = load_model_config(in);
    const std::string arch = gguf_architecture(config.model_type);
    uint64_t n_params = 0;
    // The converter's generate_extra_tensors come before the checkpoint's tensors.
    if (std::vector<float> factors = llama3_rope_freq_factors(in); !factors.empty()) {
      const int64_t n = static_cast<int64_t>(factors.size());
      const auto& data = owned.emplace_back(std::move(factors));
      sources.push_back({"rope_freqs.weight",
                         {n},
                         DType::F32,
                         reinterpret_cast<const std::byte*>(data.data()),
                         {}});
    }
    for (const auto& [hf_name, t] : checkpoint->tensors()) {  // sorted by HF name, as the converter
      if (contains(hf_name, "rotary_emb.inv_freq")) continue;
      // GemmaModel skips lm_head (Gemma ties it to the embedding).
      if (arch == "gemma" && hf_name == "lm_head.weight") continue;
      const std::string name = gguf_tensor_name(hf_name);
      if (name.empty()) throw Error(in + ": tensor '" + hf_name + "' has no GGUF name");
      Source s{name, std::vector<int64_t>(t.shape.rbegin(), t.shape.rend()), t.dtype, t.data, {}};
      int64_t n = 1;
      for (int64_t d : t.shape) n *= d;
      n_params += static_cast<uint64_t>(n);
      if (arch == "gemma" && contains(hf_name, "norm.weight")) {
        // GemmaModel.modify_tensors stores (1 + w), so runtimes use the norm weight as it is.
        // The converter adds in the tensor's dtype after turning BF16 into F32: F16 rounds.
        std::vector<float> w(static_cast<size_t>(n));
        quant::dequantize_row(t.dtype, t.data, w.data(), n);
        for (float& f : w) {
          f += 1.0f;
          if (t.dtype == DType::F16) f = f16_to_f32(f32_to_f16(f));
        }
        const auto& data = owned.emplace_back(std::move(w));
        s.dtype = DType::F32;
        s.data = reinterpret_cast<const std::byte*>(data.data());
      }
      sources.push_back(std::move(s));
    }
    head = hf_model_metadata(in, n_params);
    if (arch == "llama") {
      const int64_t n_heads = config.num_attention_heads, n_kv_heads = config.num_key_value_heads;
      for (auto& s : sources) {
        if (s.ne.size() != 2) continue;
        if (contains(s.name, "attn_q.weight")) s.row_of = llama_rope_permutation(s.ne[1], n_heads);
        if (contains(s.name, "attn_k.weight"))
          s.row_of = llama_rope_permutation(s.ne[1], n_kv_heads);
      }
    }
    if (options.tokenizer_from.empty()) tokenizer = hf_tokenizer_metadata(in);
  }
  if (!options.tokenizer_from.empty()) {
    const auto vocab = GgufFile::open(options.tokenizer_from);
    tokenizer.clear();
    for (auto& [key, value] : gguf_metadata_in_order(options.tokenizer_from, *vocab))
      if (is_tokenizer_key(key)) tokenizer.emplace_back(key, std::move(value));
  }

  int n_layers = 0;
  bool has_output = false;
  for (const auto& s : sources) {
    n_layers = std::max(n_layers, layer_of(s.name) + 1);
    has_output |= s.name == "output.weight";
  }

  GgufWriter writer(out);
  auto add_all = [&](const GgufMetadata& m) {
    for (const auto& [key, value] : m) writer.add(key, value);
  };
  add_all(head);
  if (from_gguf) {  // llama-quantize appends these two after the copied keys
    add_all(tokenizer);
    writer.add("general.quantization_version", gguf_uint32(2));
    writer.add("general.file_type", gguf_uint32(target->file_type));
  } else {  // the converter writes them before the tokenizer
    writer.add("general.file_type", gguf_uint32(target->file_type));
    writer.add("general.quantization_version", gguf_uint32(2));
    add_all(tokenizer);
  }

  QuantizeResult result;
  std::vector<DType> types;
  for (const auto& s : sources) {
    const DType t =
        tensor_quant_type(*target, s.name, s.ne, layer_of(s.name), n_layers, has_output);
    if (!quant::can_quantize(t))
      throw Error("cannot write " + std::string(dtype_name(t)) + " tensors");
    types.push_back(t);
    writer.add_tensor({s.name, t, s.ne});
    result.tensors.push_back({s.name, t, s.ne, GgufTensorInfo{s.name, t, s.ne}.bytes()});
    result.input_bytes += s.bytes();
  }
  writer.write_header();

  const int n_threads = options.n_threads > 0
                            ? options.n_threads
                            : std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
  ThreadPool pool(n_threads);
  QuantizeProgress progress;
  progress.count = sources.size();
  progress.bytes_total = result.input_bytes;
  constexpr uint64_t kChunkBytes = 32u << 20;  // output bytes per block of rows
  std::vector<std::byte> buffer;
  for (size_t i = 0; i < sources.size(); ++i) {
    const Source& s = sources[i];
    const DType t = types[i];
    const int64_t cols = s.ne[0], rows = s.rows();
    const size_t in_row = row_size(s.dtype, cols), out_row = row_size(t, cols);
    progress.tensor = s.name;
    progress.type = t;
    progress.index = i;
    if (options.on_progress) options.on_progress(progress);
    const int64_t rows_per_chunk =
        std::max<int64_t>(1, static_cast<int64_t>(kChunkBytes / std::max<size_t>(out_row, 1)));
    for (int64_t r0 = 0; r0 < rows; r0 += rows_per_chunk) {
      const int64_t n = std::min(rows_per_chunk, rows - r0);
      auto source_row = [&](int64_t r) {
        return s.data + static_cast<size_t>(s.row_of.empty() ? r : s.row_of[r]) * in_row;
      };
      if (t == s.dtype && s.row_of.empty()) {  // nothing to convert: copy the bytes through
        writer.write_data(source_row(r0), static_cast<size_t>(n) * out_row);
      } else {
        buffer.resize(static_cast<size_t>(n) * out_row);
        pool.parallel_for(n, 1, [&](int64_t begin, int64_t end) {
          std::vector<float> row(static_cast<size_t>(cols));  // one input row as float32
          for (int64_t r = begin; r < end; ++r) {
            quant::dequantize_row(s.dtype, source_row(r0 + r), row.data(), cols);
            quant::quantize_row(t, row.data(), buffer.data() + r * out_row, cols);
          }
        });
        writer.write_data(buffer.data(), buffer.size());
      }
      progress.bytes_read += static_cast<uint64_t>(n) * in_row;
      if (options.on_progress) options.on_progress(progress);
    }
  }
  writer.finish();
  result.output_bytes = std::filesystem::file_size(out);
  return result;
}

}  // namespace junction
