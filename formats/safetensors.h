// safetensors files (https://huggingface.co/docs/safetensors): an 8-byte little-endian header
// length, a JSON header naming each tensor's dtype, shape and byte range, then raw data.
// The file is untrusted: parse_safetensors validates every field, size and offset before a
// tensor view is handed out, and reports problems as junction::Error naming the tensor.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/dtype.h"
#include "core/mapped_file.h"

namespace junction {

struct SafetensorsTensor {
  std::string name;
  DType dtype = DType::F32;
  std::vector<int64_t> shape;
  const std::byte* data = nullptr;  // inside the mapped file; unaligned in general
  size_t bytes = 0;
};

// Parses a whole file image. `what` names the file in error messages.
std::vector<SafetensorsTensor> parse_safetensors(const std::byte* data, size_t size,
                                                 const std::string& what);

// Every tensor of a checkpoint folder: model.safetensors, or the shards listed by
// model.safetensors.index.json. Keeps the files mapped for as long as it lives.
class SafetensorsCheckpoint {
 public:
  static std::unique_ptr<SafetensorsCheckpoint> open(const std::string& model_dir);

  const SafetensorsTensor* find(const std::string& name) const;
  const std::map<std::string, SafetensorsTensor>& tensors() const { return tensors_; }
  size_t mapped_bytes() const;  // bytes, all shards together

 private:
  void add_file(const std::string& path);

  std::vector<std::unique_ptr<MappedFile>> files_;
  std::map<std::string, SafetensorsTensor> tensors_;
};

// Writes a safetensors file whose tensors are streamed in order, so a multi-gigabyte model can
// be written without holding it in memory (used by tools that generate benchmark models).
struct SafetensorsSpec {
  std::string name;
  DType dtype;
  std::vector<int64_t> shape;
  size_t bytes() const;
};

class SafetensorsWriter {
 public:
  SafetensorsWriter(const std::string& path, std::vector<SafetensorsSpec> tensors);
  ~SafetensorsWriter();
  // Appends raw bytes of the tensors in the order given; finish() checks the total.
  void append(const void* data, size_t bytes);
  void finish();

 private:
  std::string path_;
  std::FILE* file_ = nullptr;
  uint64_t expected_ = 0, written_ = 0;  // bytes of tensor data
};

// Writes small in-memory tensors in one call.
struct SafetensorsToWrite {
  std::string name;
  DType dtype;
  std::vector<int64_t> shape;
  const void* data;  // shape-product * dtype_size bytes
};
void write_safetensors(const std::string& path, const std::vector<SafetensorsToWrite>& tensors);

}  // namespace junction
