// One line of an OpenAI-compatible streaming answer (server-sent events), as a benchmark needs
// it: did it carry generated text (completions' choices[0].text, chat's delta.content or
// delta.reasoning_content), the usage numbers, the end marker, or an error object.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace junction::compare {

struct SseEvent {
  enum class Kind { kIgnored, kData, kDone, kError } kind = Kind::kIgnored;
  bool has_text = false;  // a non-empty text delta: one "token" arrival
  std::optional<int64_t> prompt_tokens, completion_tokens;  // usage, when present
  std::string error;                                        // kError
};

// Comments, blank lines, "event:"/"id:" fields and unparsable JSON are kIgnored; "data: [DONE]"
// is kDone; a JSON object with "error" is kError.
SseEvent parse_sse_line(std::string_view line);

}  // namespace junction::compare
