#include "formats/gguf.h"

#include <cstring>
#include <limits>

#include "core/error.h"

namespace junction {
namespace {

// Caps that no real file reaches but that stop a hostile header from making us allocate.
constexpr uint64_t kMaxTensors = 1u << 20;
constexpr uint64_t kMaxMetadata = 1u << 20;
constexpr uint64_t kMaxArray = 1ull << 28;   // elements (a 152k-token vocab is far below)
constexpr uint64_t kMaxString = 1ull << 26;  // bytes (chat templates are kilobytes)
constexpr int kMaxDims = 4;                  // GGML_MAX_DIMS
// Memory the parsed metadata may take. Each value is a GgufValue (~80 bytes) whatever its size
// in the file, so an array of int8 or of empty strings grows 10-80x once parsed: a 10 MB file
// would take 800 MB. The largest real metadata (a 262k-token vocab with scores and types, or a
// vocab with a million merges) takes ~100 MB; this leaves room and still refuses a hostile file
// before it exhausts memory. bytes
constexpr uint64_t kMaxMetadataMemory = 256ull << 20;

class Reader {
 public:
  Reader(const std::byte* data, size_t size, const std::string& what)
      : p_(data), size_(size), what_(what) {}

  template <class T>
  T read() {
    need(sizeof(T));
    T v;
    std::memcpy(&v, p_ + pos_, sizeof(T));
    pos_ += sizeof(T);
    return v;
  }
  std::string read_string() {
    const uint64_t n = read<uint64_t>();
    if (n > kMaxString) fail("a string of " + std::to_string(n) + " bytes");
    need(n);
    std::string s(reinterpret_cast<const char*>(p_ + pos_), n);
    pos_ += n;
    return s;
  }
  size_t pos() const { return pos_; }
  // Counts `bytes` of parsed metadata against kMaxMetadataMemory.
  void account(uint64_t bytes) {
    if (bytes > kMaxMetadataMemory - metadata_memory_)
      fail("metadata would take more than " + std::to_string(kMaxMetadataMemory >> 20) +
           " MiB in memory once parsed (each value takes ~" + std::to_string(sizeof(GgufValue)) +
           " bytes, whatever its size in the file)");
    metadata_memory_ += bytes;
  }
  [[noreturn]] void fail(const std::string& what) const {
    throw Error(what_ + ": invalid GGUF at byte " + std::to_string(pos_) + ": " + what);
  }

 private:
  void need(uint64_t n) const {
    if (n > size_ - pos_) fail("truncated (needs " + std::to_string(n) + " more bytes)");
  }
  const std::byte* p_;
  size_t size_;
  size_t pos_ = 0;
  const std::string& what_;
  uint64_t metadata_memory_ = 0;  // bytes, <= kMaxMetadataMemory
};

// Heap bytes a std::string of `n` bytes holds beyond its own object (libstdc++ keeps up to 15
// bytes inline).
uint64_t string_heap_bytes(uint64_t n) {
  return n > 15 ? n + 1 : 0;
}

GgufValue read_value(Reader& r, GgufValue::Type type, int depth) {
  using T = GgufValue::Type;
  if (depth == 0) r.account(sizeof(GgufValue));  // elements are counted with their array
  GgufValue v;
  v.type = type;
  switch (type) {
    case T::kUint8:
      v.scalar = uint64_t{r.read<uint8_t>()};
      break;
    case T::kInt8:
      v.scalar = int64_t{r.read<int8_t>()};
      break;
    case T::kUint16:
      v.scalar = uint64_t{r.read<uint16_t>()};
      break;
    case T::kInt16:
      v.scalar = int64_t{r.read<int16_t>()};
      break;
    case T::kUint32:
      v.scalar = uint64_t{r.read<uint32_t>()};
      break;
    case T::kInt32:
      v.scalar = int64_t{r.read<int32_t>()};
      break;
    case T::kUint64:
      v.scalar = r.read<uint64_t>();
      break;
    case T::kInt64:
      v.scalar = r.read<int64_t>();
      break;
    case T::kFloat32:
      v.scalar = double{r.read<float>()};
      break;
    case T::kFloat64:
      v.scalar = r.read<double>();
      break;
    case T::kBool: {
      const uint8_t b = r.read<uint8_t>();
      if (b > 1) r.fail("a bool that is neither 0 nor 1");
      v.scalar = b == 1;
      break;
    }
    case T::kString:
      v.scalar = r.read_string();
      r.account(string_heap_bytes(v.as_string().size()));
      break;
    case T::kArray: {
      if (depth > 0) r.fail("nested arrays");
      const uint32_t element = r.read<uint32_t>();
      if (element > static_cast<uint32_t>(T::kFloat64))
        r.fail("unknown array element type " + std::to_string(element));
      v.array_type = static_cast<T>(element);
      const uint64_t n = r.read<uint64_t>();
      if (n > kMaxArray) r.fail("an array of " + std::to_string(n) + " elements");
      // Counted before any element is read, so a hostile count fails at once.
      r.account(n * sizeof(GgufValue));
      v.array.reserve(std::min<uint64_t>(n, 1u << 20));
      for (uint64_t i = 0; i < n; ++i) v.array.push_back(read_value(r, v.array_type, depth + 1));
      break;
    }
    default:
      r.fail("unknown value type " + std::to_string(static_cast<uint32_t>(type)));
  }
  return v;
}

}  // namespace

bool GgufValue::is_integer() const {
  return std::holds_alternative<uint64_t>(scalar) || std::holds_alternative<int64_t>(scalar);
}
bool GgufValue::is_number() const {
  return is_integer() || std::holds_alternative<double>(scalar);
}

int64_t GgufValue::as_int() const {
  if (const auto* u = std::get_if<uint64_t>(&scalar)) {
    if (*u > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
      throw Error("GGUF integer out of range");
    return static_cast<int64_t>(*u);
  }
  if (const auto* i = std::get_if<int64_t>(&scalar)) return *i;
  throw Error("GGUF value is not an integer");
}

double GgufValue::as_double() const {
  if (const auto* d = std::get_if<double>(&scalar)) return *d;
  return static_cast<double>(as_int());
}

const std::string& GgufValue::as_string() const {
  if (const auto* s = std::get_if<std::string>(&scalar)) return *s;
  throw Error("GGUF value is not a string");
}

std::optional<DType> dtype_from_ggml_type(uint32_t t) {
  switch (t) {
    case 0:
      return DType::F32;
    case 1:
      return DType::F16;
    case 2:
      return DType::Q4_0;
    case 3:
      return DType::Q4_1;
    case 6:
      return DType::Q5_0;
    case 7:
      return DType::Q5_1;
    case 8:
      return DType::Q8_0;
    case 12:
      return DType::Q4_K;
    case 13:
      return DType::Q5_K;
    case 14:
      return DType::Q6_K;
    case 15:
      return DType::Q8_K;
    case 30:
      return DType::BF16;
  }
  return std::nullopt;
}

uint32_t ggml_type_of(DType d) {
  switch (d) {
    case DType::F32:
      return 0;
    case DType::F16:
      return 1;
    case DType::Q4_0:
      return 2;
    case DType::Q4_1:
      return 3;
    case DType::Q5_0:
      return 6;
    case DType::Q5_1:
      return 7;
    case DType::Q8_0:
      return 8;
    case DType::Q4_K:
      return 12;
    case DType::Q5_K:
      return 13;
    case DType::Q6_K:
      return 14;
    case DType::Q8_K:
      return 15;
    case DType::BF16:
      return 30;
  }
  return 0;
}

std::unique_ptr<GgufFile> GgufFile::open(const std::string& path) {
  auto file = std::make_unique<MappedFile>(path);
  auto gguf = parse(file->data(), file->size(), path);
  gguf->file_ = std::move(file);
  return gguf;
}

std::unique_ptr<GgufFile> GgufFile::parse(const std::byte* data, size_t size,
                                          const std::string& what) {
  auto g = std::unique_ptr<GgufFile>(new GgufFile());
  g->what_ = what;
  g->size_ = size;
  Reader r(data, size, g->what_);
  const uint32_t magic = r.read<uint32_t>();
  if (magic != 0x46554747u) r.fail("not a GGUF file (bad magic)");
  g->version_ = r.read<uint32_t>();
  if (g->version_ != 2 && g->version_ != 3)
    r.fail("GGUF version " + std::to_string(g->version_) + " (junction reads versions 2 and 3)");
  const uint64_t n_tensors = r.read<uint64_t>();
  const uint64_t n_kv = r.read<uint64_t>();
  if (n_tensors > kMaxTensors || n_kv > kMaxMetadata)
    r.fail("implausible tensor or metadata count");

  for (uint64_t i = 0; i < n_kv; ++i) {
    std::string key = r.read_string();
    r.account(string_heap_bytes(key.size()) + 64);  // the key and its map node
    const uint32_t type = r.read<uint32_t>();
    if (type > static_cast<uint32_t>(GgufValue::Type::kFloat64))
      r.fail("key '" + key + "' has unknown type");
    g->metadata_[key] = read_value(r, static_cast<GgufValue::Type>(type), 0);
  }

  uint64_t alignment = 32;
  if (const GgufValue* a = g->find("general.alignment")) {
    if (!a->is_integer()) r.fail("general.alignment is not an integer");
    alignment = static_cast<uint64_t>(a->as_int());
    if (alignment == 0 || (alignment & (alignment - 1)) != 0 || alignment > (1u << 20))
      r.fail("general.alignment must be a power of two");
  }

  struct Info {
    std::string name;
    DType dtype;
    std::vector<int64_t> ne;
    uint64_t offset;
  };
  std::vector<Info> infos;
  for (uint64_t i = 0; i < n_tensors; ++i) {
    Info info;
    info.name = r.read_string();
    const uint32_t n_dims = r.read<uint32_t>();
    if (n_dims == 0 || n_dims > kMaxDims)
      r.fail("tensor '" + info.name + "' has " + std::to_string(n_dims) + " dimensions");
    for (uint32_t d = 0; d < n_dims; ++d) {
      const uint64_t ne = r.read<uint64_t>();
      if (ne == 0 || ne > (1ull << 40))
        r.fail("tensor '" + info.name + "' has dimension " + std::to_string(ne));
      info.ne.push_back(static_cast<int64_t>(ne));
    }
    const uint32_t type = r.read<uint32_t>();
    const auto dtype = dtype_from_ggml_type(type);
    if (!dtype)
      r.fail("tensor '" + info.name + "' has ggml type " + std::to_string(type) +
             ", which junction does not support (use F32/F16/BF16, Q4_0/1, Q5_0/1, Q8_0, Q4_K, "
             "Q5_K, Q6_K)");
    info.dtype = *dtype;
    info.offset = r.read<uint64_t>();
    if (info.offset % alignment != 0) r.fail("tensor '" + info.name + "' is not aligned");
    infos.push_back(std::move(info));
  }
  // A file without tensors (vocab-only) may end right after its header, unpadded.
  const uint64_t data_start =
      infos.empty() ? size : (r.pos() + alignment - 1) / alignment * alignment;
  if (data_start > size) r.fail("the data section starts past the end of the file");
  const uint64_t data_size = size - data_start;

  for (auto& info : infos) {
    const int64_t row = info.ne[0];
    if (row % block_elements(info.dtype) != 0)
      r.fail("tensor '" + info.name + "' rows of " + std::to_string(row) + " are not whole " +
             std::string(dtype_name(info.dtype)) + " blocks");
    uint64_t rows = 1;
    for (size_t d = 1; d < info.ne.size(); ++d) {
      if (rows > (1ull << 40) / static_cast<uint64_t>(info.ne[d]))
        r.fail("tensor '" + info.name + "' is too large");
      rows *= static_cast<uint64_t>(info.ne[d]);
    }
    const uint64_t row_bytes = row_size(info.dtype, row);
    if (rows > 0 && row_bytes > std::numeric_limits<uint64_t>::max() / rows)
      r.fail("tensor '" + info.name + "' is too large");
    const uint64_t bytes = row_bytes * rows;
    if (info.offset > data_size || bytes > data_size - info.offset)
      r.fail("tensor '" + info.name + "' data lies outside the file (truncated?)");
    if (g->by_name_.count(info.name)) r.fail("tensor '" + info.name + "' appears twice");
    g->by_name_[info.name] = g->tensors_.size();
    g->tensors_.push_back(
        GgufTensor{info.name, info.dtype, info.ne, data + data_start + info.offset, bytes});
  }
  return g;
}

const GgufValue* GgufFile::find(const std::string& key) const {
  const auto it = metadata_.find(key);
  return it == metadata_.end() ? nullptr : &it->second;
}

const GgufTensor* GgufFile::tensor(const std::string& name) const {
  const auto it = by_name_.find(name);
  return it == by_name_.end() ? nullptr : &tensors_[it->second];
}

std::optional<int64_t> GgufFile::get_int(const std::string& key) const {
  const GgufValue* v = find(key);
  if (!v) return std::nullopt;
  if (!v->is_integer()) throw Error(what_ + ": metadata '" + key + "' must be an integer");
  return v->as_int();
}

std::optional<double> GgufFile::get_double(const std::string& key) const {
  const GgufValue* v = find(key);
  if (!v) return std::nullopt;
  if (!v->is_number()) throw Error(what_ + ": metadata '" + key + "' must be a number");
  return v->as_double();
}

std::optional<std::string> GgufFile::get_string(const std::string& key) const {
  const GgufValue* v = find(key);
  if (!v) return std::nullopt;
  if (v->type != GgufValue::Type::kString)
    throw Error(what_ + ": metadata '" + key + "' must be a string");
  return v->as_string();
}

}  // namespace junction
