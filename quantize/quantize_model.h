// `junction quantize`: a Hugging Face folder or a GGUF file in, a GGUF file out, with llama.cpp's
// tensor names, metadata keys and per-tensor type recipe (llama-quant.cpp's
// llama_tensor_get_type for the types offered here, without an importance matrix). Tensors are
// streamed one block of rows at a time from the mapped input, so memory stays small whatever the
// model size; rows are quantized on a thread pool.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/dtype.h"

namespace junction {

// A target as llama-quantize names it; `file_type` is llama.cpp's general.file_type (llama_ftype).
struct QuantizeTarget {
  std::string_view name;  // "q4_k_m"
  DType base;             // the type most 2-D tensors get
  uint32_t file_type;
};
std::optional<QuantizeTarget> find_quantize_target(std::string_view name);  // case-insensitive
std::vector<std::string_view> quantize_target_names();

// The type one tensor gets. `ne` in ggml order; `layer` is N of blk.N (-1 otherwise);
// `has_output`: the model has its own output.weight (else token_embd doubles as it).
DType tensor_quant_type(const QuantizeTarget& target, const std::string& gguf_name,
                        const std::vector<int64_t>& ne, int layer, int n_layers, bool has_output);

struct QuantizeProgress {
  std::string tensor;           // GGUF name of the tensor being written
  DType type = DType::F32;      // what it is written as
  size_t index = 0, count = 0;  // tensor index, tensors in all
  uint64_t bytes_read = 0;      // input tensor bytes consumed so far, all tensors
  uint64_t bytes_total = 0;     // input tensor bytes in all
};

struct QuantizeOptions {
  std::string type = "q8_0";
  // Optional GGUF whose tokenizer.* keys replace the input's (for checkpoints without a tokenizer).
  std::string tokenizer_from;
  int n_threads = 0;  // 0: all hardware threads
  std::function<void(const QuantizeProgress&)> on_progress;
};

struct QuantizedTensor {
  std::string name;
  DType type;
  std::vector<int64_t> ne;
  uint64_t bytes;
};

struct QuantizeResult {
  std::vector<QuantizedTensor> tensors;  // in file order
  uint64_t input_bytes = 0;              // tensor bytes read
  uint64_t output_bytes = 0;             // file size
};

// IN: a Hugging Face folder (config.json + safetensors) or a .gguf file; OUT: the GGUF to write.
QuantizeResult quantize_model(const std::string& in, const std::string& out,
                              const QuantizeOptions& options);

}  // namespace junction
