// Cuts a byte stream into lines as it arrives ('\n'; a '\r' before it dropped): streamed bodies
// (SSE) come in pieces that split lines anywhere. Shared by pull::HttpClient and the gateway's
// plain-socket upstream client. Pure.
#pragma once

#include <string>
#include <string_view>

namespace junction::http {

class LineSplitter {
 public:
  // Calls on_line(std::string_view) for every line `piece` completes, in order.
  template <class F>
  void feed(std::string_view piece, F&& on_line) {
    pending_.append(piece);
    size_t start = 0;
    for (size_t nl; (nl = pending_.find('\n', start)) != std::string::npos; start = nl + 1) {
      size_t end = nl;
      if (end > start && pending_[end - 1] == '\r') --end;
      on_line(std::string_view(pending_).substr(start, end - start));
    }
    pending_.erase(0, start);
  }
  // The start of a line whose end has not arrived (a body's last line without a newline).
  const std::string& rest() const { return pending_; }

 private:
  std::string pending_;
};

}  // namespace junction::http
