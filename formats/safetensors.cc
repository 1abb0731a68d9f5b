#include "formats/safetensors.h"

#include <nlohmann/json.hpp>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <set>
#include <sstream>

#include "core/error.h"
#include "core/json_depth.h"

namespace junction {
namespace {

// Headers of real checkpoints are well under a megabyte; a bigger claim is hostile or broken.
constexpr uint64_t kMaxHeaderBytes = 100ull << 20;

DType parse_dtype(const std::string& s, const std::string& tensor, const std::string& what) {
  if (s == "F32") return DType::F32;
  if (s == "F16") return DType::F16;
  if (s == "BF16") return DType::BF16;
  throw Error(what + ": tensor '" + tensor + "' has dtype " + s +
              "; junction reads F32, F16 and BF16 safetensors (quantized models: use a GGUF file)");
}

}  // namespace

std::vector<SafetensorsTensor> parse_safetensors(const std::byte* data, size_t size,
                                                 const std::string& what) {
  if (size < 8) throw Error(what + ": too short to be a safetensors file");
  uint64_t header_len = 0;
  for (int i = 7; i >= 0; --i) header_len = (header_len << 8) | static_cast<uint8_t>(data[i]);
  if (header_len > kMaxHeaderBytes || header_len > size - 8)
    throw Error(what + ": header length " + std::to_string(header_len) + " exceeds the file");
  const char* header = reinterpret_cast<const char*>(data + 8);
  check_json_depth(std::string_view(header, header_len), what + ": header");
  nlohmann::json json;
  try {
    json = nlohmann::json::parse(header, header + header_len);
  } catch (const nlohmann::json::exception& e) {
    throw Error(what + ": header is not valid JSON (" + e.what() + ")");
  }
  if (!json.is_object()) throw Error(what + ": header is not a JSON object");
  const std::byte* body = data + 8 + header_len;
  const uint64_t body_size = size - 8 - header_len;

  std::vector<SafetensorsTensor> tensors;
  for (const auto& [name, info] : json.items()) {
    if (name == "__metadata__") continue;
    const std::string where = what + ": tensor '" + name + "'";
    if (!info.is_object()) throw Error(where + " is not an object");
    const auto dtype = info.find("dtype");
    const auto shape = info.find("shape");
    const auto offsets = info.find("data_offsets");
    if (dtype == info.end() || !dtype->is_string()) throw Error(where + " has no string 'dtype'");
    if (shape == info.end() || !shape->is_array()) throw Error(where + " has no 'shape' array");
    if (offsets == info.end() || !offsets->is_array() || offsets->size() != 2 ||
        !(*offsets)[0].is_number_unsigned() || !(*offsets)[1].is_number_unsigned())
      throw Error(where + " needs 'data_offsets' [begin, end] of unsigned integers");
    SafetensorsTensor t;
    t.name = name;
    t.dtype = parse_dtype(dtype->get<std::string>(), name, what);
    uint64_t elements = 1;
    for (const auto& dim : *shape) {
      if (!dim.is_number_unsigned())
        throw Error(where + " has a negative or non-integer dimension");
      const uint64_t d = dim.get<uint64_t>();
      if (d != 0 && elements > std::numeric_limits<uint64_t>::max() / 16 / d)
        throw Error(where + " has a shape too large to address");
      elements *= d;
      t.shape.push_back(static_cast<int64_t>(d));
    }
    const uint64_t begin = (*offsets)[0].get<uint64_t>(), end = (*offsets)[1].get<uint64_t>();
    if (begin > end || end > body_size)
      throw Error(where + " has data_offsets [" + std::to_string(begin) + ", " +
                  std::to_string(end) + "] outside the " + std::to_string(body_size) +
                  "-byte data section (truncated file?)");
    if (end - begin != elements * dtype_size(t.dtype))
      throw Error(where + " has " + std::to_string(end - begin) +
                  " bytes of data but its shape needs " +
                  std::to_string(elements * dtype_size(t.dtype)));
    // The model reads the mapped bytes in place as F32/F16/BF16 elements (the map starts on a
    // page), so a tensor off its element alignment would be a misaligned load. safetensors pads
    // the header to 8 bytes and every writer keeps offsets element-aligned; a file that does not
    // is refused.
    const uint64_t file_offset = 8 + header_len + begin;
    if (file_offset % dtype_size(t.dtype) != 0)
      throw Error(where + " starts at byte " + std::to_string(file_offset) +
                  " of the file, not a multiple of its " + std::to_string(dtype_size(t.dtype)) +
                  "-byte elements (misaligned data)");
    t.data = body + begin;
    t.bytes = end - begin;
    tensors.push_back(std::move(t));
  }
  return tensors;
}

std::unique_ptr<SafetensorsCheckpoint> SafetensorsCheckpoint::open(const std::string& model_dir) {
  namespace fs = std::filesystem;
  auto checkpoint = std::make_unique<SafetensorsCheckpoint>();
  const fs::path dir(model_dir);
  const fs::path index = dir / "model.safetensors.index.json";
  if (fs::exists(index)) {
    std::ifstream in(index);
    std::stringstream text;
    text << in.rdbuf();
    check_json_depth(text.str(), index.string());
    nlohmann::json json;
    try {
      json = nlohmann::json::parse(text.str());
    } catch (const nlohmann::json::exception& e) {
      throw Error(index.string() + " is not valid JSON (" + e.what() + ")");
    }
    const auto map = json.find("weight_map");
    if (map == json.end() || !map->is_object())
      throw Error(index.string() + " has no 'weight_map' object");
    std::set<std::string> shards;
    for (const auto& [tensor, file] : map->items()) {
      if (!file.is_string())
        throw Error(index.string() + ": weight_map['" + tensor + "'] is not a file name");
      const std::string name = file.get<std::string>();
      if (name.find('/') != std::string::npos || name == "..")
        throw Error(index.string() + ": shard name '" + name + "' must be a plain file name");
      shards.insert(name);
    }
    for (const auto& shard : shards) checkpoint->add_file((dir / shard).string());
    for (const auto& [tensor, file] : map->items())
      if (!checkpoint->find(tensor))
        throw Error(index.string() + " lists tensor '" + tensor + "' but " +
                    file.get<std::string>() + " does not contain it");
  } else if (fs::exists(dir / "model.safetensors")) {
    checkpoint->add_file((dir / "model.safetensors").string());
  } else {
    throw Error("no model.safetensors or model.safetensors.index.json in " + model_dir);
  }
  return checkpoint;
}

void SafetensorsCheckpoint::add_file(const std::string& path) {
  files_.push_back(std::make_unique<MappedFile>(path));
  const MappedFile& file = *files_.back();
  for (auto& t : parse_safetensors(file.data(), file.size(), path)) {
    const std::string name = t.name;
    if (!tensors_.emplace(name, std::move(t)).second)
      throw Error(path + ": tensor '" + name + "' appears in more than one shard");
  }
}

const SafetensorsTensor* SafetensorsCheckpoint::find(const std::string& name) const {
  const auto it = tensors_.find(name);
  return it == tensors_.end() ? nullptr : &it->second;
}

size_t SafetensorsCheckpoint::mapped_bytes() const {
  size_t total = 0;
  for (const auto& f : files_) total += f->size();
  return total;
}

size_t SafetensorsSpec::bytes() const {
  size_t elements = 1;
  for (int64_t d : shape) elements *= static_cast<size_t>(d);
  return elements * dtype_size(dtype);
}

SafetensorsWriter::SafetensorsWriter(const std::string& path, std::vector<SafetensorsSpec> tensors)
    : path_(path) {
  nlohmann::ordered_json header = nlohmann::ordered_json::object();
  for (const auto& t : tensors) {
    header[t.name] = {{"dtype", std::string(dtype_name(t.dtype))},
                      {"shape", t.shape},
                      {"data_offsets", {expected_, expected_ + t.bytes()}}};
    expected_ += t.bytes();
  }
  std::string text = header.dump();
  while ((text.size() + 8) % 8 != 0) text.push_back(' ');  // keeps the data 8-byte aligned
  file_ = std::fopen(path.c_str(), "wb");
  if (!file_) throw Error("cannot write " + path);
  unsigned char len_bytes[8];
  for (int i = 0; i < 8; ++i)
    len_bytes[i] = static_cast<unsigned char>(uint64_t{text.size()} >> (8 * i));
  if (std::fwrite(len_bytes, 1, 8, file_) != 8 ||
      std::fwrite(text.data(), 1, text.size(), file_) != text.size())
    throw Error("failed writing " + path + " (disk full?)");
}

SafetensorsWriter::~SafetensorsWriter() {
  if (file_) std::fclose(file_);
}

void SafetensorsWriter::append(const void* data, size_t bytes) {
  if (written_ + bytes > expected_)
    throw Error(path_ + ": more tensor data than the header declares");
  if (std::fwrite(data, 1, bytes, file_) != bytes)
    throw Error("failed writing " + path_ + " (disk full?)");
  written_ += bytes;
}

void SafetensorsWriter::finish() {
  if (written_ != expected_) throw Error(path_ + ": tensor data shorter than the header declares");
  const bool ok = std::fclose(file_) == 0;
  file_ = nullptr;
  if (!ok) throw Error("failed writing " + path_ + " (disk full?)");
}

void write_safetensors(const std::string& path, const std::vector<SafetensorsToWrite>& tensors) {
  std::vector<SafetensorsSpec> specs;
  for (const auto& t : tensors) specs.push_back({t.name, t.dtype, t.shape});
  SafetensorsWriter writer(path, specs);
  for (size_t i = 0; i < tensors.size(); ++i) writer.append(tensors[i].data, specs[i].bytes());
  writer.finish();
}

}  // namespace junction
