// Reading benchmark data files: whole files (plain, .gz through zlib, .bz2 through libbz2),
// JSON Lines, and the sha256 each result file records so a number can be traced to its data.
#pragma once

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace junction::eval {

using Json = nlohmann::ordered_json;  // keeps key order: TruthfulQA's answer order is its meaning

// The file's bytes, decompressed when the name ends in .gz or .bz2. Throws junction::Error.
std::string read_data_file(const std::filesystem::path& path);

// One JSON value per non-empty line; errors name the file and line.
std::vector<Json> parse_jsonl(const std::string& text, const std::string& where);

// Lower-case hex sha256 of the file's bytes as stored (compressed files are hashed compressed).
std::string file_sha256(const std::filesystem::path& path);

// `dir`'s regular files whose names end with `suffix`, sorted by name.
std::vector<std::filesystem::path> list_files(const std::filesystem::path& dir,
                                              const std::string& suffix);

}  // namespace junction::eval
