#include "eval/zip_archive.h"

#include <zlib.h>

#include <cstdint>

#include "core/error.h"

namespace junction::eval {
namespace {

uint32_t u16(std::string_view s, size_t at) {
  if (at + 2 > s.size()) throw Error("zip archive: truncated");
  return static_cast<uint32_t>(static_cast<unsigned char>(s[at])) |
         static_cast<uint32_t>(static_cast<unsigned char>(s[at + 1])) << 8;
}

uint32_t u32(std::string_view s, size_t at) {
  return u16(s, at) | u16(s, at + 2) << 16;
}

std::string inflate_raw(std::string_view data, size_t out_size) {
  if (out_size == 0) return "";
  std::string out(out_size, '\0');
  z_stream z{};
  if (inflateInit2(&z, -MAX_WBITS) != Z_OK) throw Error("zip archive: zlib init failed");
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  z.avail_in = static_cast<uInt>(data.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  const int rc = inflate(&z, Z_FINISH);
  const size_t produced = out.size() - z.avail_out;
  inflateEnd(&z);
  if (rc != Z_STREAM_END || produced != out_size)
    throw Error("zip archive: a deflated member does not inflate to its recorded size");
  return out;
}

}  // namespace

void read_zip(std::string_view a, const std::function<bool(const std::string& name)>& want,
              const std::function<void(const std::string& name, std::string content)>& on_file) {
  // The end-of-central-directory record: 22 bytes plus a comment of up to 64 kB, at the end.
  constexpr uint32_t kEnd = 0x06054b50, kCentral = 0x02014b50, kLocal = 0x04034b50;
  if (a.size() < 22) throw Error("zip archive: too short");
  size_t end = std::string_view::npos;
  for (size_t at = a.size() - 22;; --at) {
    if (u32(a, at) == kEnd) {
      end = at;
      break;
    }
    if (at == 0 || a.size() - at > 22 + 65535) break;
  }
  if (end == std::string_view::npos) throw Error("zip archive: no end of central directory");
  const uint32_t entries = u16(a, end + 10);
  size_t at = u32(a, end + 16);
  if (entries == 0xffff || at == 0xffffffff) throw Error("zip archive: zip64 is not supported");
  for (uint32_t e = 0; e < entries; ++e) {
    if (u32(a, at) != kCentral) throw Error("zip archive: bad central directory entry");
    const uint32_t method = u16(a, at + 10);
    const uint32_t crc = u32(a, at + 16);
    const uint32_t compressed = u32(a, at + 20), size = u32(a, at + 24);
    const uint32_t name_len = u16(a, at + 28), extra_len = u16(a, at + 30),
                   comment_len = u16(a, at + 32);
    const uint32_t local = u32(a, at + 42);
    if (at + 46 + name_len > a.size()) throw Error("zip archive: truncated");
    const std::string name(a.substr(at + 46, name_len));
    at += 46 + name_len + extra_len + comment_len;
    if (name.empty() || name.back() == '/' || !want(name)) continue;
    if (u32(a, local) != kLocal) throw Error("zip archive: bad local header for " + name);
    const size_t data_at = local + 30 + u16(a, local + 26) + u16(a, local + 28);
    if (data_at + compressed > a.size()) throw Error("zip archive: truncated member " + name);
    const std::string_view data = a.substr(data_at, compressed);
    std::string content;
    if (method == 0)
      content = std::string(data);
    else if (method == 8)
      content = inflate_raw(data, size);
    else
      throw Error("zip archive: " + name + " uses compression method " + std::to_string(method));
    const uLong actual = crc32(crc32(0L, Z_NULL, 0), reinterpret_cast<const Bytef*>(content.data()),
                               static_cast<uInt>(content.size()));
    if (actual != crc) throw Error("zip archive: CRC mismatch in " + name);
    on_file(name, std::move(content));
  }
}

}  // namespace junction::eval
