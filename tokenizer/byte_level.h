// GPT-2's byte-to-unicode alphabet: each of the 256 byte values is shown as one printable code
// point so that byte-level BPE vocabularies are valid JSON strings ("Ġ" is the space byte).
// Used by the ByteLevel pre-tokenizer (bytes -> alphabet) and decoder (alphabet -> bytes).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace junction::tokenizer {

// Appends the alphabet form (UTF-8, 1 or 2 bytes per input byte) of `bytes` to `out`.
void byte_level_encode(std::string_view bytes, std::string& out);

// Maps an alphabet code point back to its byte, or -1 when `cp` is not in the alphabet.
int byte_level_decode_char(char32_t cp);

// Appends the bytes of `token` if every character is in the alphabet and returns true;
// otherwise appends nothing and returns false (the caller keeps the token as it is).
bool byte_level_decode(std::string_view token, std::string& out);

}  // namespace junction::tokenizer
