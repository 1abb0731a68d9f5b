// Server-sent events framing (the WHATWG event-stream format as OpenAI's streaming APIs use it):
// each event is one "data:" line and a blank line; the stream ends with "data: [DONE]". The
// payload must hold no newline (compact JSON never does). Parsing lines back is LineSplitter's
// job (line_splitter.h).
#pragma once

#include <string>
#include <string_view>

namespace junction::http {

inline std::string sse_data(std::string_view payload) {
  std::string event;
  event.reserve(payload.size() + 8);
  event.append("data: ").append(payload).append("\n\n");
  return event;
}

inline constexpr std::string_view kSseDone = "data: [DONE]\n\n";

}  // namespace junction::http
