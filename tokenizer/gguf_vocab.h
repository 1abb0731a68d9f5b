// A Tokenizer built from the tokenizer.ggml.* metadata of a GGUF file, so a model loaded from
// GGUF needs no tokenizer.json. Reads what llama.cpp's llama-vocab.cpp reads:
//
//  * tokenizer.ggml.model "gpt2": byte-level BPE over `tokens` and `merges` ("a b"), with the
//    pre-tokenizer regex that `tokenizer.ggml.pre` names (qwen2 / deepseek-r1-qwen / stablelm2 /
//    megrez: Qwen2's; llama3 / llama-v3 / llama-bpe / falcon3 / dbrx / smaug-bpe / glm4 /
//    chatglm-bpe: Llama 3's, with ignore_merges; gpt-2 / default / missing and their aliases:
//    GPT-2's). For the Qwen2 family an NFC normalizer is added: HF's Qwen2/Qwen3
//    tokenizer.json has one but the GGUF does not record it, and without it decomposed input
//    (e + U+0301) encodes differently from HF (llama.cpp itself gets those cases wrong).
//  * tokenizer.ggml.model "llama": SentencePiece BPE (`tokens` with `scores`, <0xXX> byte
//    tokens, ▁ for spaces). llama.cpp merges the adjacent pair whose concatenation is the
//    highest-scoring token, leftmost on ties; that is our BPE with one merge per way of
//    splitting each normal token into two tokens, ranked by the token's score (equal scores,
//    equal rank). Characters outside the vocab become byte tokens, or unk without them.
//    Spaces become ▁ and, unless tokenizer.ggml.add_space_prefix is false, each stretch of text
//    between added tokens gets a leading ▁ (llama.cpp adds it at the start and after every
//    special token; HF's legacy Llama normalizer does the same per segment); decoding drops
//    the first leading space only then.
//
// In both, CONTROL tokens become special added tokens and USER_DEFINED ones non-special added
// tokens, matched in the raw text; UNUSED, BYTE and UNKNOWN tokens stay in the model's vocab.
// bos/eos/padding ids, add_bos_token/add_eos_token and tokenizer.chat_template fill the
// TokenizerConfig. Other models (bert, t5, rwkv, ...) and pre-tokenizers not listed throw
// junction::Error naming the key.
#pragma once

#include "tokenizer/tokenizer.h"

namespace junction {
class GgufFile;
}

namespace junction::tokenizer {

Tokenizer tokenizer_from_gguf(const GgufFile& gguf);

}  // namespace junction::tokenizer
