// libFuzzer target: a samples file read back on resume (eval/samples_file.h), on arbitrary
// bytes. Every line kept is then used as the runner uses it: copied, and its fields read with
// value(); a crash or a sanitizer report is a bug (read_samples throws nothing).
//   build-fuzz/fuzz/samples_file_fuzz -max_len=1048576 -max_total_time=600
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "eval/samples_file.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace junction::eval;
  const auto done = read_samples(std::string_view(reinterpret_cast<const char*>(data), size));
  for (const auto& [key, line] : done) {
    const Json copy = line;
    (void)copy.value("temperature", -1.0);
    (void)copy.dump(-1, ' ', false, Json::error_handler_t::replace);
  }
  return 0;
}
