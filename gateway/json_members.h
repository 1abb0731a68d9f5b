// The top-level members of a JSON object, found in its text without building a tree, and that
// text with some members' values replaced, added or removed, the rest left byte for byte. The
// gateway rewrites a few fields (id, model, usage) of answers and requests it otherwise passes
// through: parsing them into nlohmann trees and dumping them again was a fifth of its CPU time.
// The scan validates the whole text as JSON (RFC 8259: grammar, UTF-8, no control characters
// in strings) so that a broken upstream answer is still caught.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace junction::gateway {

struct JsonMember {
  std::string_view key;    // as written between the quotes (escapes not decoded)
  size_t value_begin = 0;  // byte offsets of the value in the object's text
  size_t value_end = 0;
  bool key_escaped = false;  // the key holds a backslash escape: compare it decoded, or give up
};

// The members of `text` if it is one valid JSON object (surrounding whitespace allowed), in the
// order written; nullopt if it is not valid JSON or not an object.
std::optional<std::vector<JsonMember>> top_level_members(std::string_view text);

// A change to one member: its new value as JSON text, or nullopt to remove it.
using MemberEdit = std::pair<std::string_view, std::optional<std::string_view>>;

// `text` (an object with `members`, from top_level_members) with each edit applied: the value
// of an existing member replaced (every occurrence of a duplicated key) or the member removed,
// a missing member with a value appended at the end.
std::string edit_members(std::string_view text, const std::vector<JsonMember>& members,
                         const std::vector<MemberEdit>& edits);

}  // namespace junction::gateway
