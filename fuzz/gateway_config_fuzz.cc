// libFuzzer target: arbitrary text as the gateway's YAML config (`junction serve --config`), read
// as gateway/gateway.cc reads it at start-up: parse_gateway_config (YAML, ${ENV} expansion,
// validation) and then apply_catalogue with the built-in catalogue (providers named without a
// kind, their models and prices). Each step must succeed or throw junction::Error naming the
// line; a crash, another exception (yaml-cpp's included), a hang or a sanitizer report is a bug.
// The environment is a fixed map, so that `${VAR}` and `${VAR:-default}` take both paths.
//   build-fuzz/fuzz/gateway_config_fuzz -max_len=1048576 -len_control=0 -max_total_time=600 \
//     -rss_limit_mb=2048 -timeout=30 corpus/ fuzz/seeds/gateway_config_fuzz/
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/error.h"
#include "gateway/catalogue.h"
#include "gateway/catalogue_config.h"
#include "gateway/config.h"

namespace {

std::optional<std::string> fixed_env(const std::string& name) {
  if (name == "KEY") return "sk-test";
  if (name == "PORT") return "9090";
  if (name == "OPENAI_API_KEY" || name == "ANTHROPIC_API_KEY") return "sk-provider";
  if (name == "OPENAI_BASE_URL") return "http://127.0.0.1:9/v1";
  return std::nullopt;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace junction;
  using namespace junction::gateway;
  static const Catalogue catalogue = parse_catalogue(builtin_catalogue_json(), "built-in");
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    GatewayConfig config = parse_gateway_config(text, "fuzz.yaml", fixed_env);
    apply_catalogue(config, catalogue, fixed_env);
  } catch (const Error&) {
  }
  return 0;
}
