#include "formats/gguf_writer.h"

#include <cstring>

#include "core/error.h"

namespace junction {
namespace {

using T = GgufValue::Type;

GgufValue scalar(T type, decltype(GgufValue::scalar) value) {
  GgufValue v;
  v.type = type;
  v.scalar = std::move(value);
  return v;
}

constexpr uint32_t kDefaultAlignment = 32;  // bytes, GGUF's default

}  // namespace

GgufValue gguf_string(std::string s) {
  return scalar(T::kString, std::move(s));
}
GgufValue gguf_uint32(uint32_t v) {
  return scalar(T::kUint32, uint64_t{v});
}
GgufValue gguf_int32(int32_t v) {
  return scalar(T::kInt32, int64_t{v});
}
GgufValue gguf_uint64(uint64_t v) {
  return scalar(T::kUint64, v);
}
GgufValue gguf_float32(float v) {
  return scalar(T::kFloat32, double{v});
}
GgufValue gguf_bool(bool v) {
  return scalar(T::kBool, v);
}

GgufValue gguf_string_array(const std::vector<std::string>& items) {
  GgufValue v;
  v.type = T::kArray;
  v.array_type = T::kString;
  v.array.reserve(items.size());
  for (const auto& s : items) v.array.push_back(gguf_string(s));
  return v;
}

GgufValue gguf_int32_array(const std::vector<int32_t>& items) {
  GgufValue v;
  v.type = T::kArray;
  v.array_type = T::kInt32;
  v.array.reserve(items.size());
  for (int32_t x : items) v.array.push_back(gguf_int32(x));
  return v;
}

GgufValue gguf_float32_array(const std::vector<float>& items) {
  GgufValue v;
  v.type = T::kArray;
  v.array_type = T::kFloat32;
  v.array.reserve(items.size());
  for (float x : items) v.array.push_back(gguf_float32(x));
  return v;
}

size_t GgufTensorInfo::bytes() const {
  if (ne.empty()) return dtype_size(dtype);
  size_t rows = 1;
  for (size_t i = 1; i < ne.size(); ++i) rows *= static_cast<size_t>(ne[i]);
  return rows * row_size(dtype, ne[0]);
}

GgufWriter::GgufWriter(std::string path) : path_(std::move(path)) {
  file_ = std::fopen(path_.c_str(), "wb");
  if (!file_) throw Error("cannot create " + path_ + ": " + std::strerror(errno));
}

GgufWriter::~GgufWriter() {
  if (file_) std::fclose(file_);
}

uint32_t GgufWriter::alignment() const {
  for (const auto& [key, value] : metadata_)
    if (key == "general.alignment" && value.is_integer() && value.as_int() > 0)
      return static_cast<uint32_t>(value.as_int());
  return kDefaultAlignment;
}

void GgufWriter::add(const std::string& key, GgufValue value) {
  if (header_written_)
    throw Error(path_ + ": metadata '" + key + "' added after the header was written");
  for (auto& [k, v] : metadata_) {
    if (k == key) {
      v = std::move(value);
      return;
    }
  }
  metadata_.emplace_back(key, std::move(value));
}

void GgufWriter::add_tensor(GgufTensorInfo info) {
  if (header_written_)
    throw Error(path_ + ": tensor '" + info.name + "' added after the header was written");
  if (info.ne.empty() || info.ne[0] % block_elements(info.dtype) != 0)
    throw Error(path_ + ": tensor '" + info.name + "' rows are not a whole number of " +
                std::string(dtype_name(info.dtype)) + " blocks");
  tensors_.push_back(std::move(info));
}

void GgufWriter::write_raw(const void* data, size_t bytes) {
  if (bytes && std::fwrite(data, 1, bytes, file_) != bytes)
    throw Error("cannot write " + path_ + ": " + std::strerror(errno));
}

void GgufWriter::write_padding(uint64_t written) {
  static const char zeros[256] = {};
  const uint64_t a = alignment();
  uint64_t pad = (a - written % a) % a;
  while (pad > 0) {
    const size_t n = pad < sizeof(zeros) ? static_cast<size_t>(pad) : sizeof(zeros);
    write_raw(zeros, n);
    pad -= n;
  }
}

void GgufWriter::write_string(const std::string& s) {
  const uint64_t n = s.size();
  write_raw(&n, 8);
  write_raw(s.data(), s.size());
}

void GgufWriter::write_value(const GgufValue& v) {
  auto u = [&] { return std::get<uint64_t>(v.scalar); };
  auto i = [&] { return std::get<int64_t>(v.scalar); };
  switch (v.type) {
    case T::kUint8: {
      const uint8_t x = static_cast<uint8_t>(u());
      write_raw(&x, 1);
      break;
    }
    case T::kInt8: {
      const int8_t x = static_cast<int8_t>(i());
      write_raw(&x, 1);
      break;
    }
    case T::kUint16: {
      const uint16_t x = static_cast<uint16_t>(u());
      write_raw(&x, 2);
      break;
    }
    case T::kInt16: {
      const int16_t x = static_cast<int16_t>(i());
      write_raw(&x, 2);
      break;
    }
    case T::kUint32: {
      const uint32_t x = static_cast<uint32_t>(u());
      write_raw(&x, 4);
      break;
    }
    case T::kInt32: {
      const int32_t x = static_cast<int32_t>(i());
      write_raw(&x, 4);
      break;
    }
    case T::kUint64: {
      const uint64_t x = u();
      write_raw(&x, 8);
      break;
    }
    case T::kInt64: {
      const int64_t x = i();
      write_raw(&x, 8);
      break;
    }
    case T::kFloat32: {
      const float x = static_cast<float>(std::get<double>(v.scalar));
      write_raw(&x, 4);
      break;
    }
    case T::kFloat64: {
      const double x = std::get<double>(v.scalar);
      write_raw(&x, 8);
      break;
    }
    case T::kBool: {
      const uint8_t x = std::get<bool>(v.scalar) ? 1 : 0;
      write_raw(&x, 1);
      break;
    }
    case T::kString:
      write_string(std::get<std::string>(v.scalar));
      break;
    case T::kArray: {
      if (v.array_type == T::kArray) throw Error(path_ + ": nested GGUF arrays are not supported");
      const uint32_t type = static_cast<uint32_t>(v.array_type);
      const uint64_t n = v.array.size();
      write_raw(&type, 4);
      write_raw(&n, 8);
      for (const auto& item : v.array) {
        if (item.type != v.array_type)
          throw Error(path_ + ": GGUF array elements must all have its element type");
        write_value(item);
      }
      break;
    }
  }
}

void GgufWriter::write_header() {
  if (header_written_) throw Error(path_ + ": header written twice");
  const uint32_t magic = 0x46554747;  // "GGUF"
  const uint32_t version = 3;
  const uint64_t n_tensors = tensors_.size(), n_kv = metadata_.size();
  write_raw(&magic, 4);
  write_raw(&version, 4);
  write_raw(&n_tensors, 8);
  write_raw(&n_kv, 8);
  for (const auto& [key, value] : metadata_) {
    write_string(key);
    const uint32_t type = static_cast<uint32_t>(value.type);
    write_raw(&type, 4);
    write_value(value);
  }
  const uint64_t a = alignment();
  uint64_t offset = 0;  // bytes from the start of the data section
  for (const auto& t : tensors_) {
    write_string(t.name);
    const uint32_t n_dims = static_cast<uint32_t>(t.ne.size());
    write_raw(&n_dims, 4);
    for (int64_t d : t.ne) {
      const uint64_t x = static_cast<uint64_t>(d);
      write_raw(&x, 8);
    }
    const uint32_t type = ggml_type_of(t.dtype);
    write_raw(&type, 4);
    write_raw(&offset, 8);
    offset += (t.bytes() + a - 1) / a * a;
  }
  const long pos = std::ftell(file_);
  if (pos < 0) throw Error("cannot tell position in " + path_);
  write_padding(static_cast<uint64_t>(pos));
  header_written_ = true;
  current_ = 0;
  current_bytes_ = 0;
}

void GgufWriter::write_data(const void* data, size_t bytes) {
  if (!header_written_) throw Error(path_ + ": tensor data written before the header");
  const auto* p = static_cast<const std::byte*>(data);
  while (bytes > 0) {
    if (current_ >= tensors_.size())
      throw Error(path_ + ": more tensor data than the tensors declared");
    const uint64_t want = tensors_[current_].bytes() - current_bytes_;
    const size_t n = bytes < want ? bytes : static_cast<size_t>(want);
    write_raw(p, n);
    p += n;
    bytes -= n;
    current_bytes_ += n;
    if (current_bytes_ == tensors_[current_].bytes()) {
      write_padding(current_bytes_);
      ++current_;
      current_bytes_ = 0;
    }
  }
}

void GgufWriter::finish() {
  if (!header_written_) write_header();
  // Zero-byte tensors are complete as soon as they are reached.
  while (current_ < tensors_.size() && tensors_[current_].bytes() == 0) ++current_;
  if (current_ != tensors_.size())
    throw Error(path_ + ": tensor '" + tensors_[current_].name + "' is missing data");
  if (std::fclose(file_) != 0) {
    file_ = nullptr;
    throw Error("cannot close " + path_ + ": " + std::strerror(errno));
  }
  file_ = nullptr;
}

}  // namespace junction
