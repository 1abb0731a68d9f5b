// Cuts a byte stream into lines as it arrives ('\n'; a '\r' before it dropped): streamed bodies
// (SSE) come in pieces that split lines anywhere. Shared by pull::HttpClient and the gateway's
// plain-socket upstream client. Pure.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "core/error.h"

namespace junction::http {

// A line longer than the splitter's bound: the stream is broken or hostile (a server that never
// sends a newline would otherwise fill memory).
class LineTooLong : public Error {
 public:
  explicit LineTooLong(size_t max_line)
      : Error("a line of the stream is longer than " + std::to_string(max_line) + " bytes") {}
};

class LineSplitter {
 public:
  // Lines (and the unfinished one) longer than `max_line` bytes throw LineTooLong.
  explicit LineSplitter(size_t max_line = static_cast<size_t>(-1)) : max_line_(max_line) {}

  // Calls on_line(std::string_view) for every line `piece` completes, in order.
  template <class F>
  void feed(std::string_view piece, F&& on_line) {
    pending_.append(piece);
    size_t start = 0;
    for (size_t nl; (nl = pending_.find('\n', start)) != std::string::npos; start = nl + 1) {
      size_t end = nl;
      if (end > start && pending_[end - 1] == '\r') --end;
      if (end - start > max_line_) throw LineTooLong(max_line_);
      on_line(std::string_view(pending_).substr(start, end - start));
    }
    pending_.erase(0, start);
    if (pending_.size() > max_line_) throw LineTooLong(max_line_);
  }
  // The start of a line whose end has not arrived (a body's last line without a newline).
  const std::string& rest() const { return pending_; }

 private:
  size_t max_line_;
  std::string pending_;
};

}  // namespace junction::http
