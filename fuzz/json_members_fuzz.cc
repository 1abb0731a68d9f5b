// libFuzzer target: the gateway's JSON member scanner (gateway/json_members.h), which reads
// upstream answers without building a tree. Checked against nlohmann's parser on the same bytes:
// every object nlohmann accepts must be accepted (the scanner must not turn good answers away);
// and whatever it accepts, an edit of it must scan again with the edits in place. A crash, a
// sanitizer report or an abort() below is a bug.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include <nlohmann/json.hpp>

#include "gateway/json_members.h"

namespace {

// Brackets opened at most at once, counting those inside strings too (an upper bound).
int max_nesting(std::string_view s) {
  int depth = 0, most = 0;
  for (char c : s) {
    if (c == '{' || c == '[') most = std::max(most, ++depth);
    if (c == '}' || c == ']') --depth;
  }
  return most;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace junction::gateway;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto members = top_level_members(text);
  const auto tree = nlohmann::json::parse(text, nullptr, false);
  // nlohmann stops at a NUL byte as if the input ended there ("{}\0garbage" parses); RFC 8259
  // has no such rule, and the scanner rightly refuses it.
  const bool has_nul = text.find('\0') != std::string_view::npos;
  if (!tree.is_discarded() && tree.is_object() && !members && !has_nul && max_nesting(text) < 500)
    abort();
  if (!members) return 0;

  const std::string edited =
      edit_members(text, *members, {{"id", "\"gen-1\""}, {"usage", std::nullopt}, {"cost", "1.5"}});
  const auto again = top_level_members(edited);
  if (!again) abort();
  bool id = false, cost = false;
  for (const JsonMember& m : *again) {
    if (m.key_escaped) continue;
    const std::string_view value(edited.data() + m.value_begin, m.value_end - m.value_begin);
    if (m.key == "usage") abort();
    if (m.key == "id") id = value == "\"gen-1\"" || (abort(), false);
    if (m.key == "cost") cost = value == "1.5" || (abort(), false);
  }
  if (!id || !cost) abort();
  return 0;
}
