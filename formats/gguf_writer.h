// Writes GGUF v3 files the way gguf-py and llama.cpp do: header, metadata in the order added,
// tensor infos, zero padding to `general.alignment` (32 unless that key says otherwise) after the
// header and after every tensor's data. Tensor data is streamed in the order the infos were
// declared, in pieces of any size, so a multi-gigabyte model never has to sit in memory.
// This is not a general editor: every tensor must be declared before the header is written.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>
#include <utility>
#include <vector>

#include "core/dtype.h"
#include "formats/gguf.h"

namespace junction {

// Metadata value constructors (GGUF's own type ids; see GgufValue::Type).
GgufValue gguf_string(std::string s);
GgufValue gguf_uint32(uint32_t v);
GgufValue gguf_int32(int32_t v);
GgufValue gguf_uint64(uint64_t v);
GgufValue gguf_float32(float v);
GgufValue gguf_bool(bool v);
GgufValue gguf_string_array(const std::vector<std::string>& items);
GgufValue gguf_int32_array(const std::vector<int32_t>& items);
GgufValue gguf_float32_array(const std::vector<float>& items);

struct GgufTensorInfo {
  std::string name;
  DType dtype = DType::F32;
  std::vector<int64_t> ne;  // ggml order: ne[0] is the row length
  size_t bytes() const;     // data bytes without padding
};

class GgufWriter {
 public:
  explicit GgufWriter(std::string path);
  ~GgufWriter();  // closes the file; an unfinished file is left incomplete (finish() checks)
  GgufWriter(const GgufWriter&) = delete;
  GgufWriter& operator=(const GgufWriter&) = delete;

  // Before write_header(). A key added twice replaces the value in place (keeps its position).
  void add(const std::string& key, GgufValue value);
  void add_tensor(GgufTensorInfo info);

  // Writes magic, counts, metadata, tensor infos and the padding up to the data section.
  void write_header();
  // Appends tensor data in declaration order; a call may span tensor boundaries.
  void write_data(const void* data, size_t bytes);
  // Checks that every tensor got all its bytes and closes the file.
  void finish();

  const std::vector<std::pair<std::string, GgufValue>>& metadata() const { return metadata_; }
  uint32_t alignment() const;

 private:
  void write_raw(const void* data, size_t bytes);
  void write_padding(uint64_t written);
  void write_string(const std::string& s);
  void write_value(const GgufValue& v);

  std::string path_;
  std::FILE* file_ = nullptr;
  std::vector<std::pair<std::string, GgufValue>> metadata_;
  std::vector<GgufTensorInfo> tensors_;
  bool header_written_ = false;
  size_t current_ = 0;          // index of the tensor being written
  uint64_t current_bytes_ = 0;  // bytes of it written so far
};

}  // namespace junction
