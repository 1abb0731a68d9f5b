// An http::HttpResponder that keeps what a handler sent, for tests that call route handlers
// directly (no socket). Streams are refused and the peer reads as gone, so a handler under test
// must answer with one send().
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "http/http_server.h"

namespace junction::test {

struct RecordedResponder : http::HttpResponder {
  int status = 0;
  std::string type, body;
  std::vector<std::pair<std::string, std::string>> headers;
  void send(int s, std::string_view t, std::string b,
            const std::vector<std::pair<std::string, std::string>>& h) override {
    status = s;
    type = t;
    body = std::move(b);
    headers = h;
  }
  bool start_stream(int, std::string_view,
                    const std::vector<std::pair<std::string, std::string>>&) override {
    return false;
  }
  bool write(std::string_view) override { return false; }
  void end() override {}
  bool peer_closed() override { return true; }
  // The value of the first header named `name`, or "" when it was not sent.
  std::string header(const std::string& name) const {
    for (const auto& [k, v] : headers)
      if (k == name) return v;
    return "";
  }
};

}  // namespace junction::test
