// The built-in catalogue of models junction compares, and parsing of a `junction pull`
// argument (an alias with an optional quantization, or an hf://ORG/REPO[/FILE] URL) into the
// Hugging Face repository and files to fetch. Pure: no network, no filesystem.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace junction::pull {

// "ORG/REPO" on the hub, kept as its two path segments.
struct RepoId {
  std::string org;
  std::string repo;

  std::string str() const { return org + "/" + repo; }
  bool operator==(const RepoId&) const = default;
};

// One catalogue entry: a GGUF repository whose file names follow a pattern with "{Q}" for the
// upper-case quantization (Q4_K_M), the quantizations that repository publishes, and the original
// safetensors repository the GGUF files were converted from (same weights, same revision of them).
struct CatalogEntry {
  std::string alias;                  // lower case, as typed: "qwen3-8b"
  std::vector<std::string> synonyms;  // other accepted spellings
  RepoId gguf_repo;
  std::string gguf_file_pattern;  // "Qwen_Qwen3-8B-{Q}.gguf"
  // Of catalog_quantizations(), the GGUF ones this repository's listing shows (lower case); a
  // quantization missing here is refused by name instead of failing later with a 404.
  std::vector<std::string> gguf_quantizations;
  RepoId safetensors_repo;
};

const std::vector<CatalogEntry>& catalog();

// Every quantization some alias accepts after ':'; "safetensors" means the original checkpoint.
// An entry accepts "safetensors" and its own gguf_quantizations.
const std::vector<std::string>& catalog_quantizations();
bool entry_offers(const CatalogEntry& entry, std::string_view quant);
inline constexpr std::string_view kDefaultQuantization = "q4_k_m";
inline constexpr std::string_view kSafetensorsQuantization = "safetensors";

// What a pull argument names: one file of a repo, or a whole safetensors model folder
// (file empty), at a revision.
struct ModelRef {
  RepoId repo;
  std::string file;  // "" = the model folder (config, tokenizer, safetensors)
  std::string revision = "main";
  std::string display;  // the argument as given, for messages
};

// Parses "alias[:quant]" (case-insensitive) or "hf://ORG/REPO[/FILE]"; throws junction::Error
// naming the known aliases or the expected URL form.
ModelRef parse_model_ref(std::string_view arg);

// True when the argument looks like something parse_model_ref is meant for (an hf:// URL or a
// catalogue alias), as opposed to a local path.
bool looks_like_model_ref(std::string_view arg);

// The files of a safetensors model folder worth fetching, in the order to fetch them: weights
// first, config.json last, so a folder with config.json is complete (see model_cache.h).
bool is_model_folder_file(std::string_view path);
std::vector<std::string> order_model_folder_files(std::vector<std::string> paths);

}  // namespace junction::pull
