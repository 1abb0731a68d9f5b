// Which token ids end a generated sequence: one rule for `junction run`, `serve` and in-process
// `eval` (they had three). The set is the union, in this order, without repeats and without ids
// outside the vocabulary, of
//   1. generation_config.json's eos_token_id (an int or a list): what transformers' generate()
//      stops on, e.g. Qwen3 and Llama 3 instruct list both the turn end and <|endoftext|>;
//   2. config.json's eos_token_id (for a GGUF file: tokenizer.ggml.eos_token_id and
//      eot_token_id): transformers' fallback when generation_config.json has none
//      (GenerationConfig.from_model_config);
//   3. the tokenizer's eos_token (tokenizer_config.json, or the GGUF vocabulary's): what vLLM and
//      llama.cpp stop on, and what a chat template closes an assistant turn with.
// A union never runs past a token any of these treats as the end; when they disagree it is
// because one of the files names the base model's end (<|endoftext|>) and another the chat turn's
// end (<|im_end|>), and an answer ends at either.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "model/config.h"
#include "model/generation_config.h"

namespace junction::session {

std::vector<int32_t> end_of_sequence_ids(const GenerationConfig& generation,
                                         const ModelConfig& config,
                                         std::optional<int32_t> tokenizer_eos);

}  // namespace junction::session
