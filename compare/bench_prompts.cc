#include "compare/bench_prompts.h"

#include <array>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>

#include "core/error.h"

namespace junction::compare {
namespace {

constexpr std::array<const char*, 48> kWords = {
    "the",  "of",   "and",   "to",   "in",    "is",  "that",  "for",  "it",    "was",
    "on",   "with", "he",    "as",   "you",   "at",  "be",    "this", "have",  "from",
    "or",   "one",  "had",   "by",   "but",   "not", "what",  "all",  "were",  "we",
    "when", "your", "can",   "said", "there", "use", "an",    "each", "which", "she",
    "do",   "how",  "their", "if",   "will",  "up",  "other", "about"};

}  // namespace

std::string synthetic_prompt(int64_t n_words, uint64_t seed, int64_t index) {
  std::mt19937_64 rng(seed * 0x9E3779B97F4A7C15ull + static_cast<uint64_t>(index));
  std::string out;
  for (int64_t i = 0; i < n_words; ++i) {
    if (i > 0) out += ' ';
    out += kWords[rng() % kWords.size()];
  }
  return out;
}

std::vector<std::string> load_mt_bench_prompts(const std::filesystem::path& data_dir) {
  std::filesystem::path file = data_dir;
  if (std::filesystem::is_directory(file)) {
    file = data_dir / "mt_bench" / "question.jsonl";
    if (!std::filesystem::exists(file)) file = data_dir / "question.jsonl";
  }
  std::ifstream in(file);
  if (!in) throw Error("cannot read MT-Bench questions from " + file.string());
  std::vector<std::string> prompts;
  std::string line;
  for (int64_t n = 1; std::getline(in, line); ++n) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    try {
      const auto j = nlohmann::json::parse(line);
      prompts.push_back(j.at("turns").at(0).get<std::string>());
    } catch (const nlohmann::json::exception& e) {
      throw Error(file.string() + ":" + std::to_string(n) + ": " + e.what());
    }
  }
  if (prompts.empty()) throw Error(file.string() + " holds no questions");
  return prompts;
}

}  // namespace junction::compare
