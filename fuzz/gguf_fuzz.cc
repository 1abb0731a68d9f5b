// libFuzzer target: arbitrary bytes as a GGUF file image. Parsing must either throw
// junction::Error or return metadata and tensors whose data lies inside the input; a parsed file
// then goes through what loading a downloaded GGUF does with its metadata (typed getters, the
// tokenizer built from tokenizer.ggml.*), which must also fail only with junction::Error.
//   build-fuzz/fuzz/gguf_fuzz -max_len=1048576 -rss_limit_mb=2048 tests/data/gguf/
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>

#include "core/error.h"
#include "formats/gguf.h"
#include "tokenizer/gguf_vocab.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto* bytes = reinterpret_cast<const std::byte*>(data);
  std::unique_ptr<junction::GgufFile> gguf;
  try {
    gguf = junction::GgufFile::parse(bytes, size, "fuzz");
  } catch (const junction::Error&) {
    return 0;
  }
  for (const auto& t : gguf->tensors()) {
    if (t.data < bytes || t.data + t.bytes > bytes + size) std::abort();
    volatile std::byte sink{};
    if (t.bytes > 0) sink = t.data[t.bytes - 1];  // ASan flags any read outside the input
    (void)sink;
  }
  for (const auto& [key, value] : gguf->metadata()) {
    try {
      (void)gguf->get_int(key);
    } catch (const junction::Error&) {
    }
    try {
      (void)gguf->get_double(key);
    } catch (const junction::Error&) {
    }
    try {
      (void)gguf->get_string(key);
    } catch (const junction::Error&) {
    }
  }
  try {
    const auto tokenizer = junction::tokenizer::tokenizer_from_gguf(*gguf);
    (void)tokenizer.encode("Hello, world! 123 \xe4\xbd\xa0\xe5\xa5\xbd");
  } catch (const junction::Error&) {
  }
  return 0;
}
