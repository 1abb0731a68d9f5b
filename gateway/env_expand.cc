#include "gateway/env_expand.h"

#include <cstdlib>

#include "core/error.h"

namespace junction::gateway {

EnvLookup process_env() {
  return [](const std::string& name) -> std::optional<std::string> {
    const char* v = std::getenv(name.c_str());
    if (!v) return std::nullopt;
    return std::string(v);
  };
}

std::string expand_env(std::string_view text, const EnvLookup& env) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '$' || i + 1 >= text.size()) {
      out += text[i];
      continue;
    }
    if (text[i + 1] == '$') {
      out += '$';
      ++i;
      continue;
    }
    if (text[i + 1] != '{') {
      out += '$';
      continue;
    }
    const size_t close = text.find('}', i + 2);
    if (close == std::string_view::npos)
      throw Error("unterminated ${ in '" + std::string(text.substr(i, 40)) + "'");
    std::string_view inner = text.substr(i + 2, close - i - 2);
    std::optional<std::string> fallback;
    if (const size_t dash = inner.find(":-"); dash != std::string_view::npos) {
      fallback = std::string(inner.substr(dash + 2));
      inner = inner.substr(0, dash);
    }
    const std::string name(inner);
    if (name.empty()) throw Error("empty variable name in ${}");
    std::optional<std::string> value = env(name);
    if (value && value->empty() && fallback) value.reset();
    if (!value) {
      if (!fallback) throw Error("${" + name + "} is not set");
      value = fallback;
    }
    out += *value;
    i = close;
  }
  return out;
}

}  // namespace junction::gateway
