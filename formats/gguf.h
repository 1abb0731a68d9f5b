// GGUF files (llama.cpp's format, versions 2 and 3): a header, typed metadata, tensor infos, and
// aligned tensor data. The file is untrusted: every count, length, dimension and offset is
// checked against the file size before anything is read, the parsed metadata may take at most
// 256 MiB (each value is a GgufValue of ~80 bytes, so a file of int8 arrays inflates up to 80x),
// and problems become junction::Error.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "core/dtype.h"
#include "core/mapped_file.h"

namespace junction {

// One metadata value. Arrays keep their element type; strings are copied out of the file.
struct GgufValue {
  enum class Type : uint32_t {
    kUint8 = 0,
    kInt8,
    kUint16,
    kInt16,
    kUint32,
    kInt32,
    kFloat32,
    kBool,
    kString,
    kArray,
    kUint64,
    kInt64,
    kFloat64,
  };
  Type type = Type::kUint8;
  std::variant<uint64_t, int64_t, double, bool, std::string> scalar;
  Type array_type = Type::kUint8;
  std::vector<GgufValue> array;  // only for kArray (strings, numbers)

  bool is_integer() const;
  bool is_number() const;
  int64_t as_int() const;    // throws unless integer
  double as_double() const;  // throws unless number
  const std::string& as_string() const;
};

struct GgufTensor {
  std::string name;
  DType dtype = DType::F32;
  std::vector<int64_t> ne;  // ggml order: ne[0] is the row length
  const std::byte* data = nullptr;
  size_t bytes = 0;
};

class GgufFile {
 public:
  static std::unique_ptr<GgufFile> open(const std::string& path);
  // Parses an in-memory image (for fuzzing and tests); `what` names it in errors.
  static std::unique_ptr<GgufFile> parse(const std::byte* data, size_t size,
                                         const std::string& what);

  uint32_t version() const { return version_; }
  const std::map<std::string, GgufValue>& metadata() const { return metadata_; }
  const GgufValue* find(const std::string& key) const;
  const std::vector<GgufTensor>& tensors() const { return tensors_; }
  const GgufTensor* tensor(const std::string& name) const;
  size_t file_bytes() const { return size_; }

  // Typed metadata access with errors naming the key.
  std::optional<int64_t> get_int(const std::string& key) const;
  std::optional<double> get_double(const std::string& key) const;
  std::optional<std::string> get_string(const std::string& key) const;

 private:
  std::unique_ptr<MappedFile> file_;
  std::string what_;
  size_t size_ = 0;
  uint32_t version_ = 0;
  std::map<std::string, GgufValue> metadata_;
  std::vector<GgufTensor> tensors_;
  std::map<std::string, size_t> by_name_;
};

// GGML's numeric type ids to ours; nullopt for types junction does not compute with.
std::optional<DType> dtype_from_ggml_type(uint32_t ggml_type);
uint32_t ggml_type_of(DType dtype);

// The values of tokenizer.ggml.token_type (gguf-py's TokenType, llama.cpp's LLAMA_TOKEN_TYPE_*),
// for the reader (tokenizer/gguf_vocab.cc) and the writer (quantize/hf_gguf_tokenizer.cc).
namespace gguf_token_type {
enum : int32_t {
  kUndefined = 0,
  kNormal = 1,
  kUnknown = 2,
  kControl = 3,
  kUserDefined = 4,
  kUnused = 5,
  kByte = 6,
};
}  // namespace gguf_token_type

}  // namespace junction
