// libFuzzer target: arbitrary text as config.json. Parsing either gives a config whose sizes are
// positive or throws junction::Error; building rope tables from it must not crash.
#include <cstddef>
#include <cstdint>
#include <string>

#include "core/error.h"
#include "model/config.h"
#include "model/rope.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    const auto config = junction::parse_model_config(
        std::string(reinterpret_cast<const char*>(data), size), "fuzz");
    if (config.head_dim <= 4096) junction::Rope rope(config);
  } catch (const junction::Error&) {
  }
  return 0;
}
