// libFuzzer target: arbitrary bytes as a tokenizer.model (SentencePiece's ModelProto), read the
// way `junction quantize` reads one. It must return pieces or throw junction::Error. Debian's
// libsentencepiece is not instrumented, so coverage guides only through our side; the corpus
// seeds it with real models to mutate.
//   build-fuzz/fuzz/sentencepiece_fuzz -max_len=65536 tests/data/tokenizer/spm/
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "core/error.h"
#include "quantize/sentencepiece_model.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    const auto pieces = junction::parse_sentencepiece_model(
        std::string_view(reinterpret_cast<const char*>(data), size), "fuzz");
    size_t total = 0;
    for (const auto& p : pieces) total += p.piece.size();
    (void)total;
  } catch (const junction::Error&) {
  }
  return 0;
}
