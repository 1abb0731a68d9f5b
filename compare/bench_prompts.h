// The prompts a serving benchmark sends: synthetic ones of a fixed length (vLLM's "random"
// dataset, in words rather than token ids so that any endpoint, chat-only ones included, takes
// them), or the first turns of the MT-Bench questions.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace junction::compare {

// `n_words` words drawn (seeded, per `index`) from common English words that are one token each,
// with their leading space, in the GPT-2, Llama 3, Qwen and Mistral vocabularies: a prompt of
// about `n_words` tokens whose first words differ between requests, so a prefix cache cannot
// turn the benchmark into a cache benchmark. The result records the token counts the server
// reported, which are the numbers to trust.
std::string synthetic_prompt(int64_t n_words, uint64_t seed, int64_t index);

// The first turn of every question in mt_bench/question.jsonl under `data_dir` (or `data_dir`
// itself when it is that file), in file order. Throws junction::Error when there is none.
std::vector<std::string> load_mt_bench_prompts(const std::filesystem::path& data_dir);

}  // namespace junction::compare
