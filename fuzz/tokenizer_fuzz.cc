// libFuzzer target for the tokenizer. The first byte picks what the rest is:
//   even: text, encoded with the Qwen3 (byte-level) and the hand-made SentencePiece-style
//         tokenizers, then decoded in one go and streamed id by id;
//   odd:  a tokenizer.json to load (then used to encode a fixed string).
// Checks: no crash or sanitizer report, decode output is valid UTF-8, streaming equals decode,
// malformed files fail with junction::Error only.
//   build-fuzz/fuzz/tokenizer/tokenizer_fuzz -max_total_time=60 tests/data/tokenizer/qwen3
// Set JUNCTION_TEST_DATA to point at another tests/data checkout.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "tokenizer/incremental_detokenizer.h"
#include "tokenizer/tokenizer.h"
#include "tokenizer/utf8.h"

namespace {

using junction::tokenizer::IncrementalDetokenizer;
using junction::tokenizer::Tokenizer;

std::string data_dir() {
  const char* env = std::getenv("JUNCTION_TEST_DATA");
  return env != nullptr ? env : JUNCTION_TEST_DATA;
}

void check_text(const Tokenizer& t, std::string_view text) {
  const std::vector<int32_t> ids = t.encode(text, text.size() % 2 == 0);
  for (int32_t id : ids) {
    if (id < 0 || static_cast<size_t>(id) >= t.vocab_size()) std::abort();
  }
  const bool skip = text.size() % 3 == 0;
  const std::string decoded = t.decode(ids, skip);
  if (!junction::tokenizer::utf8_is_valid(decoded)) std::abort();
  IncrementalDetokenizer detok(t, skip);
  std::string streamed;
  for (int32_t id : ids) streamed += detok.add(id);
  streamed += detok.finish();
  if (streamed != decoded) std::abort();
  // Arbitrary ids (the input bytes read as ids) must decode without trouble as well.
  std::vector<int32_t> raw(text.size() / 4);
  for (size_t i = 0; i < raw.size(); ++i) {
    raw[i] = static_cast<int32_t>(static_cast<uint8_t>(text[4 * i]) |
                                  (static_cast<uint8_t>(text[4 * i + 1]) << 8) |
                                  (static_cast<uint8_t>(text[4 * i + 2]) << 16)) %
             static_cast<int32_t>(t.vocab_size() + 8);
  }
  const std::string raw_decoded = t.decode(raw);
  IncrementalDetokenizer raw_detok(t);
  std::string raw_streamed;
  for (int32_t id : raw) raw_streamed += raw_detok.add(id);
  raw_streamed += raw_detok.finish();
  if (raw_streamed != raw_decoded) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const Tokenizer qwen3 = Tokenizer::load(data_dir() + "/models/qwen3-e2e-bf16");
  static const Tokenizer sp = Tokenizer::load(data_dir() + "/tokenizer/sp-bpe");
  if (size == 0) return 0;
  const std::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  if (data[0] % 2 == 0) {
    check_text(qwen3, rest);
    check_text(sp, rest);
    return 0;
  }
  try {
    const Tokenizer t = Tokenizer::from_json(rest);
    check_text(t, "Hello, world! 你好 <s> \xF0\x9F\x98\x80  x");
  } catch (const junction::Error&) {
  }
  return 0;
}
