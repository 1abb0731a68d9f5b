// The GPT-2 bytes_to_unicode() table and its inverse; see byte_level.h.
#include "tokenizer/byte_level.h"

#include <array>

#include "tokenizer/utf8.h"

namespace junction::tokenizer {
namespace {

// Printable Latin-1 bytes map to themselves; the other 68 bytes map, in order, to 256..323.
struct Alphabet {
  std::array<char32_t, 256> to_cp{};
  std::array<int16_t, 324> to_byte{};
  std::array<std::string, 256> utf8;

  Alphabet() {
    to_byte.fill(-1);
    char32_t next = 256;
    for (int b = 0; b < 256; ++b) {
      const bool printable = (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || b >= 0xAE;
      to_cp[b] = printable ? static_cast<char32_t>(b) : next++;
      to_byte[to_cp[b]] = static_cast<int16_t>(b);
      utf8_append(utf8[b], to_cp[b]);
    }
  }
};

// Immutable after construction (thread-safe static init), so not mutable global state.
const Alphabet& alphabet() {
  static const Alphabet a;
  return a;
}

}  // namespace

void byte_level_encode(std::string_view bytes, std::string& out) {
  const Alphabet& a = alphabet();
  for (unsigned char b : bytes) out.append(a.utf8[b]);
}

int byte_level_decode_char(char32_t cp) {
  return cp < alphabet().to_byte.size() ? alphabet().to_byte[cp] : -1;
}

bool byte_level_decode(std::string_view token, std::string& out) {
  const size_t old_size = out.size();
  size_t pos = 0;
  while (pos < token.size()) {
    const size_t n = utf8_valid_len(token, pos);
    const int b = n == 0 ? -1 : byte_level_decode_char(utf8_decode(token, pos, n));
    if (b < 0) {
      out.resize(old_size);
      return false;
    }
    out.push_back(static_cast<char>(b));
    pos += n;
  }
  return true;
}

}  // namespace junction::tokenizer
