#include "eval/data_files.h"

#include <bzlib.h>
#include <zlib.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "core/error.h"
#include "core/json_depth.h"
#include "pull/sha256.h"

namespace junction::eval {
namespace {

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::string read_raw(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error("cannot open " + path.string());
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string gunzip(const std::string& data, const std::string& where) {
  z_stream z{};
  if (inflateInit2(&z, 15 + 32) != Z_OK) throw Error(where + ": zlib init failed");
  std::string out;
  char buf[1 << 16];
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  z.avail_in = static_cast<uInt>(data.size());
  int rc = Z_OK;
  while (rc != Z_STREAM_END) {
    z.next_out = reinterpret_cast<Bytef*>(buf);
    z.avail_out = sizeof(buf);
    rc = inflate(&z, Z_NO_FLUSH);
    if (rc != Z_OK && rc != Z_STREAM_END) {
      inflateEnd(&z);
      throw Error(where + ": not a valid gzip file (zlib error " + std::to_string(rc) + ")");
    }
    out.append(buf, sizeof(buf) - z.avail_out);
    if (rc == Z_OK && z.avail_in == 0 && z.avail_out != 0) {
      inflateEnd(&z);
      throw Error(where + ": the gzip stream is truncated");
    }
  }
  inflateEnd(&z);
  return out;
}

std::string bunzip2(const std::string& data, const std::string& where) {
  bz_stream bz{};
  if (BZ2_bzDecompressInit(&bz, 0, 0) != BZ_OK) throw Error(where + ": libbz2 init failed");
  std::string out;
  char buf[1 << 16];
  bz.next_in = const_cast<char*>(data.data());
  bz.avail_in = static_cast<unsigned>(data.size());
  int rc = BZ_OK;
  while (rc != BZ_STREAM_END) {
    bz.next_out = buf;
    bz.avail_out = sizeof(buf);
    rc = BZ2_bzDecompress(&bz);
    if (rc != BZ_OK && rc != BZ_STREAM_END) {
      BZ2_bzDecompressEnd(&bz);
      throw Error(where + ": not a valid bzip2 file (libbz2 error " + std::to_string(rc) + ")");
    }
    out.append(buf, sizeof(buf) - bz.avail_out);
    if (rc == BZ_OK && bz.avail_in == 0 && bz.avail_out != 0) {
      BZ2_bzDecompressEnd(&bz);
      throw Error(where + ": the bzip2 stream is truncated");
    }
  }
  BZ2_bzDecompressEnd(&bz);
  return out;
}

}  // namespace

std::string read_data_file(const std::filesystem::path& path) {
  const std::string raw = read_raw(path);
  const std::string name = path.filename().string();
  if (ends_with(name, ".gz")) return gunzip(raw, path.string());
  if (ends_with(name, ".bz2")) return bunzip2(raw, path.string());
  return raw;
}

std::vector<Json> parse_jsonl(const std::string& text, const std::string& where) {
  std::vector<Json> out;
  size_t line_no = 0;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    ++line_no;
    const std::string_view line(text.data() + pos, end - pos);
    pos = end + 1;
    if (line.find_first_not_of(" \t\r") == std::string_view::npos) continue;
    check_json_depth(line, where + ":" + std::to_string(line_no));
    try {
      out.push_back(Json::parse(line));
    } catch (const nlohmann::json::exception& e) {
      throw Error(where + ":" + std::to_string(line_no) + ": not JSON: " + e.what());
    }
  }
  return out;
}

std::string file_sha256(const std::filesystem::path& path) {
  pull::Sha256 h;
  h.update(read_raw(path));
  return h.hex_digest();
}

std::vector<std::filesystem::path> list_files(const std::filesystem::path& dir,
                                              const std::string& suffix) {
  std::vector<std::filesystem::path> out;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(dir, ec))
    if (e.is_regular_file() && ends_with(e.path().filename().string(), suffix))
      out.push_back(e.path());
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace junction::eval
