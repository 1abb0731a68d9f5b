// libFuzzer target: arbitrary bytes as a safetensors file image. Parsing must either return
// tensors whose byte ranges lie inside the input or throw junction::Error.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "core/error.h"
#include "formats/safetensors.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto* bytes = reinterpret_cast<const std::byte*>(data);
  try {
    for (const auto& t : junction::parse_safetensors(bytes, size, "fuzz")) {
      if (t.data < bytes || t.data + t.bytes > bytes + size) std::abort();
      volatile std::byte sink{};
      if (t.bytes > 0) sink = t.data[t.bytes - 1];  // ASan flags any read outside the input
      (void)sink;
    }
  } catch (const junction::Error&) {
  }
  return 0;
}
