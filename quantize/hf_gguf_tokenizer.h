// The tokenizer.* keys llama.cpp's convert_hf_to_gguf.py writes for a Hugging Face folder:
//
//  * SentencePiece (Llama 2, Mistral, Gemma, Phi-3: tokenizer.model beside tokenizer.json;
//    what qwen2/qwen3 folders would get too if they shipped one): tokenizer.ggml.model "llama",
//    pre "default", every piece of tokenizer.model with its score and type (NORMAL, UNKNOWN,
//    CONTROL, UNUSED, BYTE), added_tokens.json and tokenizer_config.json's added_tokens_decoder
//    over them (USER_DEFINED, or CONTROL when special or looking special), and ids up to
//    config.json's vocab_size padded with [PAD{i}] UNUSED tokens (_create_vocab_sentencepiece).
//    Phi-3 takes its added tokens from tokenizer.json too and marks them the way
//    Phi3MiniModel.set_vocab does; Gemma gets eot_token_id (107 unless the folder names one) and
//    add_space_prefix false; Llama copies tokenizer_config's add_prefix_space to
//    add_space_prefix.
//  * Byte-level BPE (Qwen, Llama 3; GPT-2 style tokenizer.json): tokenizer.ggml.model "gpt2",
//    tokens, types and merges.
//
// Both end with gguf-py's SpecialVocab: bos/eos/unk/sep/pad/cls/mask ids (tokenizer_config's
// *_token strings found among tokenizer.json's added tokens, then config.json's *_token_id),
// add_*_token flags and the chat template.
//
// Not covered: the converter's hash of the tokenizer's output that names a gpt2 `pre` (here:
// qwen2 for Qwen, llama-bpe for Llama 3's pre-tokenizer regex, default otherwise), SpecialVocab's
// reading of tokenizer.json's post-processor (add_bos/add_eos come from tokenizer_config.json
// only), and a SentencePiece-style tokenizer.json with no tokenizer.model beside it (refused,
// naming what to do).
#pragma once

#include <string>

#include "quantize/hf_gguf_metadata.h"

namespace junction {

// Empty when the folder has neither tokenizer.model nor tokenizer.json.
GgufMetadata hf_tokenizer_metadata(const std::string& model_dir);

}  // namespace junction
