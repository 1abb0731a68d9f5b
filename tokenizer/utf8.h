// UTF-8 helpers shared by the tokenizer: decoding one code point, and turning arbitrary bytes into
// valid UTF-8 the way Python's bytes.decode('utf-8', errors='replace') does (one U+FFFD per
// maximal invalid subpart, Unicode 6.0 "best practice"), including a streaming form that holds
// back a trailing sequence that more bytes could still complete.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace junction::tokenizer {

inline constexpr std::string_view kReplacementChar = "\xEF\xBF\xBD";  // U+FFFD

// Appends the UTF-8 encoding of `cp` (must be a Unicode scalar value).
void utf8_append(std::string& out, char32_t cp);

// Length in bytes of the valid UTF-8 sequence starting at s[pos], or 0 when the bytes there do
// not start a complete, well-formed sequence.
size_t utf8_valid_len(std::string_view s, size_t pos);

// Decodes the valid sequence at s[pos] of length `len` (from utf8_valid_len).
char32_t utf8_decode(std::string_view s, size_t pos, size_t len);

// Appends `bytes` to `out` with invalid subparts replaced by U+FFFD, except a trailing sequence
// that is a valid prefix of a longer character: that one is left unconsumed. Returns the number
// of bytes consumed; bytes.size() - result is 0..3.
size_t utf8_decode_lossy_prefix(std::string_view bytes, std::string& out);

// The whole of `bytes` as valid UTF-8: utf8_decode_lossy_prefix plus one U+FFFD for a truncated
// tail, which is exactly Python's errors='replace' (and Rust's String::from_utf8_lossy).
std::string utf8_sanitize(std::string_view bytes);

bool utf8_is_valid(std::string_view bytes);

}  // namespace junction::tokenizer
