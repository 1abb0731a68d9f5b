// Catalogue entries name public repositories as published on the hub; the GGUF ones are the
// community quantizations llama.cpp users pull (unsloth, bartowski).
#include "pull/catalog.h"

#include <algorithm>
#include <cctype>

#include "core/error.h"

namespace junction::pull {
namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

bool valid_segment(std::string_view s) {
  if (s.empty() || s == "." || s == "..") return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.';
  });
}

// A file inside a repo may have folders ("original/params.json") but never climbs out of it.
bool valid_file_path(std::string_view path) {
  if (path.empty() || path.front() == '/' || path.back() == '/') return false;
  size_t start = 0;
  while (start <= path.size()) {
    const size_t slash = std::min(path.find('/', start), path.size());
    const std::string_view part = path.substr(start, slash - start);
    if (part.empty() || part == "." || part == ".." || part.find('\\') != std::string_view::npos)
      return false;
    start = slash + 1;
  }
  return true;
}

const CatalogEntry* find_alias(std::string_view name) {
  for (const auto& e : catalog()) {
    if (e.alias == name) return &e;
    for (const auto& s : e.synonyms)
      if (s == name) return &e;
  }
  return nullptr;
}

std::string alias_list() {
  std::string out;
  for (const auto& e : catalog()) out += (out.empty() ? "" : ", ") + e.alias;
  return out;
}

}  // namespace

// Every repository and file name below was checked against copies of the hub's own listings (tree
// pages, README file tables, download instructions); tests/pull/catalog_test.cc names the sources.
// bartowski and unsloth both spell the quantization in upper case (Q4_K_M), after a '-'.
const std::vector<CatalogEntry>& catalog() {
  static const std::vector<std::string> kAllGguf = {"q4_0", "q4_k_m", "q5_k_m", "q6_k", "q8_0"};
  static const std::vector<CatalogEntry> entries = {
      {"deepseek-r1-0528-qwen3-8b",
       {"deepseek-r1-qwen3-8b"},
       {"unsloth", "DeepSeek-R1-0528-Qwen3-8B-GGUF"},
       "DeepSeek-R1-0528-Qwen3-8B-{Q}.gguf",
       kAllGguf,
       {"deepseek-ai", "DeepSeek-R1-0528-Qwen3-8B"}},
      // bartowski's newer repositories prefix the org: Qwen_Qwen3-8B-Q4_K_M.gguf.
      {"qwen3-8b",
       {},
       {"bartowski", "Qwen_Qwen3-8B-GGUF"},
       "Qwen_Qwen3-8B-{Q}.gguf",
       kAllGguf,
       {"Qwen", "Qwen3-8B"}},
      // meta-llama renamed Meta-Llama-3.1-8B-Instruct to Llama-3.1-8B-Instruct; the GGUF repo kept
      // the old name.
      {"llama-3.1-8b-instruct",
       {"llama-3-8b-instruct", "llama3.1-8b-instruct"},
       {"bartowski", "Meta-Llama-3.1-8B-Instruct-GGUF"},
       "Meta-Llama-3.1-8B-Instruct-{Q}.gguf",
       kAllGguf,
       {"meta-llama", "Llama-3.1-8B-Instruct"}},
      // Quantized in May 2024 (llama.cpp b2965) without the legacy Q4_0: its file table goes
      // Q4_K_S, IQ4_NL, IQ4_XS.
      {"mistral-7b-instruct",
       {"mistral-7b-instruct-v0.3"},
       {"bartowski", "Mistral-7B-Instruct-v0.3-GGUF"},
       "Mistral-7B-Instruct-v0.3-{Q}.gguf",
       {"q4_k_m", "q5_k_m", "q6_k", "q8_0"},
       {"mistralai", "Mistral-7B-Instruct-v0.3"}},
      // The GGUF files are Gemma 1.1, so the safetensors are too (google/gemma-7b-it is 1.0).
      {"gemma-7b-it",
       {"gemma-1.1-7b-it"},
       {"bartowski", "gemma-1.1-7b-it-GGUF"},
       "gemma-1.1-7b-it-{Q}.gguf",
       kAllGguf,
       {"google", "gemma-1.1-7b-it"}},
      // microsoft/Phi-3-mini-4k-instruct's main branch holds the June 2024 update, which bartowski
      // published as Phi-3.1 (bartowski/Phi-3-mini-4k-instruct-GGUF is the April 2024 weights).
      // Q4_0 is not in the parts of its listing on record, so it is not offered.
      {"phi-3-mini-4k-instruct",
       {"phi-3-mini", "phi-3.1-mini-4k-instruct"},
       {"bartowski", "Phi-3.1-mini-4k-instruct-GGUF"},
       "Phi-3.1-mini-4k-instruct-{Q}.gguf",
       {"q4_k_m", "q5_k_m", "q6_k", "q8_0"},
       {"microsoft", "Phi-3-mini-4k-instruct"}},
  };
  return entries;
}

const std::vector<std::string>& catalog_quantizations() {
  static const std::vector<std::string> q = {
      "q4_0", "q4_k_m", "q5_k_m", "q6_k", "q8_0", std::string(kSafetensorsQuantization)};
  return q;
}

bool entry_offers(const CatalogEntry& entry, std::string_view quant) {
  return quant == kSafetensorsQuantization ||
         std::find(entry.gguf_quantizations.begin(), entry.gguf_quantizations.end(), quant) !=
             entry.gguf_quantizations.end();
}

bool looks_like_model_ref(std::string_view arg) {
  if (arg.starts_with("hf://")) return true;
  const std::string name = lower(arg.substr(0, arg.find(':')));
  return find_alias(name) != nullptr;
}

ModelRef parse_model_ref(std::string_view arg) {
  ModelRef ref;
  ref.display = std::string(arg);
  if (arg.starts_with("hf://")) {
    std::string_view rest = arg.substr(5);
    const size_t at = rest.find('@');
    if (at != std::string_view::npos) {
      ref.revision = std::string(rest.substr(at + 1));
      rest = rest.substr(0, at);
      if (!valid_segment(ref.revision))
        throw Error("'" + std::string(arg) +
                    "': the revision after '@' must be a branch or commit");
    }
    const size_t s1 = rest.find('/');
    const size_t s2 = s1 == std::string_view::npos ? s1 : rest.find('/', s1 + 1);
    ref.repo.org = std::string(rest.substr(0, s1));
    ref.repo.repo =
        s1 == std::string_view::npos ? "" : std::string(rest.substr(s1 + 1, s2 - s1 - 1));
    ref.file = s2 == std::string_view::npos ? "" : std::string(rest.substr(s2 + 1));
    if (!valid_segment(ref.repo.org) || !valid_segment(ref.repo.repo) ||
        (s2 != std::string_view::npos && !valid_file_path(ref.file)))
      throw Error("'" + std::string(arg) +
                  "' is not a hub URL: give hf://ORG/REPO for a model folder or hf://ORG/REPO/FILE "
                  "for one file (optionally @REVISION at the end)");
    return ref;
  }
  const size_t colon = arg.find(':');
  const std::string name = lower(arg.substr(0, colon));
  const std::string quant = colon == std::string_view::npos ? std::string(kDefaultQuantization)
                                                            : lower(arg.substr(colon + 1));
  const CatalogEntry* entry = find_alias(name);
  if (entry == nullptr)
    throw Error("unknown model '" + std::string(arg) + "': use one of " + alias_list() +
                " (optionally :QUANT), or hf://ORG/REPO[/FILE]");
  const auto& quants = catalog_quantizations();
  if (std::find(quants.begin(), quants.end(), quant) == quants.end()) {
    std::string known;
    for (const auto& q : quants) known += (known.empty() ? "" : ", ") + q;
    throw Error("unknown quantization '" + quant + "' for " + entry->alias + ": use one of " +
                known);
  }
  if (!entry_offers(*entry, quant)) {
    std::string offered;
    for (const auto& q : entry->gguf_quantizations) offered += q + ", ";
    throw Error(entry->gguf_repo.str() + " publishes no " + quant + " file for " + entry->alias +
                ": use one of " + offered + std::string(kSafetensorsQuantization) +
                ", or hf://ORG/REPO/FILE for another repository");
  }
  if (quant == kSafetensorsQuantization) {
    ref.repo = entry->safetensors_repo;
    return ref;
  }
  ref.repo = entry->gguf_repo;
  ref.file = entry->gguf_file_pattern;
  ref.file.replace(ref.file.find("{Q}"), 3, upper(quant));
  return ref;
}

bool is_model_folder_file(std::string_view path) {
  if (path.find('/') != std::string_view::npos) return false;  // skips original/, onnx/, ...
  if (path == "config.json" || path == "generation_config.json" || path == "tokenizer.json" ||
      path == "tokenizer_config.json" || path == "tokenizer.model" ||
      path == "special_tokens_map.json")
    return true;
  return path.starts_with("model") &&
         (path.ends_with(".safetensors") || path.ends_with(".safetensors.index.json"));
}

std::vector<std::string> order_model_folder_files(std::vector<std::string> paths) {
  std::erase_if(paths, [](const std::string& p) { return !is_model_folder_file(p); });
  std::sort(paths.begin(), paths.end());
  std::stable_partition(paths.begin(), paths.end(),
                        [](const std::string& p) { return p != "config.json"; });
  return paths;
}

}  // namespace junction::pull
