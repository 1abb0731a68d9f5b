// Stop strings over streamed text, the one implementation: the server's choices
// (server/choice_run.cc) and in-process eval generation (eval/local_engine_backend.cc). Text
// arrives piece by piece; its last (longest stop string - 1) bytes, which could still begin a
// stop string, are held back, so nothing after a stop string is ever released, and the text
// ends just before the first one (the earliest in the text). Released text never ends inside a
// UTF-8 sequence.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace junction {

class StopStrings {
 public:
  explicit StopStrings(std::vector<std::string> stops);

  // Appends a piece of generated text; returns the text now safe to release. Once a stop string
  // matched, the text is cut before it, what was held back up to the cut is returned, and later
  // pieces are ignored.
  std::string add(std::string_view piece);
  // Releases whatever is held back (at the end of generation).
  std::string flush();

  bool matched() const { return matched_; }
  // All text so far, cut before a matched stop string; includes what is held back.
  const std::string& text() const { return text_; }

 private:
  std::vector<std::string> stops_;
  size_t max_stop_ = 0;  // bytes of the longest stop string
  std::string text_;
  size_t released_ = 0;  // bytes of text_ returned
  bool matched_ = false;
};

}  // namespace junction
