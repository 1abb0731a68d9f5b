// libFuzzer target: arbitrary bytes as a template (first part) and a JSON context (after a NUL
// byte). Parsing and rendering must either succeed or throw junction::Error; anything else
// (a crash, a sanitizer report, another exception type, a hang past the limits) is a bug.
#include <cstddef>
#include <cstdint>
#include <ctime>
#include <string_view>

#include "chat/jinja/template.h"
#include "core/error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  size_t nul = input.find('\0');
  std::string_view source = input.substr(0, nul);
  nlohmann::ordered_json context = nlohmann::ordered_json::object();
  if (nul != std::string_view::npos) {
    auto parsed = nlohmann::ordered_json::parse(input.substr(nul + 1), nullptr, false);
    if (!parsed.is_discarded() && parsed.is_object()) context = std::move(parsed);
  }
  context["messages"] = nlohmann::ordered_json::array({{{"role", "user"}, {"content", "hi"}}});
  junction::jinja::TemplateOptions options;
  options.limits.max_steps = 200'000;
  options.limits.max_output_bytes = 1 << 20;
  options.limits.max_loop_iterations = 20'000;
  options.limits.max_items = 20'000;
  options.limits.max_call_depth = 32;
  options.now = [] {
    std::tm tm{};
    tm.tm_year = 124, tm.tm_mon = 0, tm.tm_mday = 2;
    return tm;
  };
  try {
    junction::jinja::Template tmpl(source, options);
    tmpl.render(context);
  } catch (const junction::Error&) {
  }
  return 0;
}
