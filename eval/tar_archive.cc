#include "eval/tar_archive.h"

#include <array>

#include "core/error.h"

namespace junction::eval {
namespace {

constexpr size_t kBlock = 512;  // bytes

// A NUL- or space-terminated octal field.
uint64_t octal(const char* field, size_t size) {
  uint64_t v = 0;
  size_t i = 0;
  while (i < size && (field[i] == ' ' || field[i] == '\0')) ++i;
  for (; i < size && field[i] >= '0' && field[i] <= '7'; ++i) v = v * 8 + (field[i] - '0');
  return v;
}

std::string field_text(const char* field, size_t size) {
  size_t n = 0;
  while (n < size && field[n] != '\0') ++n;
  return std::string(field, n);
}

std::string read_exact(std::istream& in, uint64_t size) {
  std::string data(size, '\0');
  in.read(data.data(), static_cast<std::streamsize>(size));
  if (static_cast<uint64_t>(in.gcount()) != size) throw Error("tar archive: truncated member");
  return data;
}

void skip(std::istream& in, uint64_t size) {
  in.seekg(static_cast<std::streamoff>(size), std::ios::cur);
  if (!in) throw Error("tar archive: truncated member");
}

uint64_t padded(uint64_t size) {
  return (size + kBlock - 1) / kBlock * kBlock;
}

}  // namespace

void read_tar(std::istream& in, const std::function<bool(const std::string& name)>& want,
              const std::function<void(const std::string& name, std::string content)>& on_file) {
  std::array<char, kBlock> header{};
  std::string long_name;  // from a GNU 'L' member, for the member after it
  for (;;) {
    in.read(header.data(), kBlock);
    if (in.gcount() == 0) return;  // some writers omit the two zero blocks
    if (in.gcount() != static_cast<std::streamsize>(kBlock))
      throw Error("tar archive: truncated header");
    bool zero = true;
    for (char c : header) zero = zero && c == '\0';
    if (zero) return;
    uint64_t checksum = 0;
    for (size_t i = 0; i < kBlock; ++i)
      checksum += (i >= 148 && i < 156) ? ' ' : static_cast<unsigned char>(header[i]);
    if (checksum != octal(&header[148], 8)) throw Error("tar archive: bad header checksum");
    const uint64_t size = octal(&header[124], 12);
    const char type = header[156];
    std::string name = field_text(&header[0], 100);
    if (field_text(&header[257], 6) == "ustar") {
      const std::string prefix = field_text(&header[345], 155);
      if (!prefix.empty()) name = prefix + "/" + name;
    }
    if (!long_name.empty()) {
      name = long_name;
      long_name.clear();
    }
    if (type == 'L') {
      long_name = field_text(read_exact(in, size).c_str(), size);
      skip(in, padded(size) - size);
      continue;
    }
    const bool regular = type == '0' || type == '\0';
    if (regular && want(name)) {
      std::string content = read_exact(in, size);
      skip(in, padded(size) - size);
      on_file(name, std::move(content));
    } else {
      skip(in, padded(size));
    }
  }
}

}  // namespace junction::eval
