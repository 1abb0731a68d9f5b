// One HTTP/1.1 connection to a plain-http upstream (an engine or a mirror on this machine or the
// LAN), with blocking socket I/O: the kernel's SO_RCVTIMEO/SO_SNDTIMEO give the timeouts, so a
// request costs one send and usually one recv, with no event loop, epoll or timer behind it
// (http::HttpClient's private io_context, coroutine and timers cost the gateway more CPU per
// request than the rest of its upstream I/O). TLS providers go through http::HttpClient.
// Not thread-safe: one request at a time; UpstreamClient pools them.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "http/http_client.h"
#include "http/url.h"

namespace junction::gateway {

struct UpstreamTimeouts {
  std::chrono::milliseconds connect{2000};
  // Each wait from the request leaving to the first byte of the answer's body (a first token).
  std::chrono::milliseconds first_byte{60000};
  std::chrono::milliseconds stall{30000};  // each wait once the body flows
};

class UpstreamConnection {
 public:
  // Resolves and connects to url's host and port; http::NetworkError when it cannot.
  UpstreamConnection(const http::Url& url, UpstreamTimeouts timeouts);
  ~UpstreamConnection();
  UpstreamConnection(const UpstreamConnection&) = delete;
  UpstreamConnection& operator=(const UpstreamConnection&) = delete;

  enum class End {
    kDone,   // the answer was read (a non-2xx one at least its first 4 kB)
    kStale,  // a reused connection failed before any byte of the answer: the upstream had
             // closed it while idle; nothing reached on_body, so sending again is safe
  };
  // Sends `request` (a complete HTTP/1.1 request, head and body) and reads the answer: the
  // head into `head`, a 2xx body to on_body piece by piece as it arrives, a non-2xx body's first
  // 4 kB into head.error_body. http::NetworkError on a failure or timeout (the message says
  // "timed out"); exceptions from on_body propagate. Either leaves the connection unusable.
  End exchange(const std::string& request, http::HttpResponseHead& head,
               const std::function<void(std::string_view)>& on_body);

  // The last answer was read to its end and the upstream keeps the connection open.
  bool reusable() const { return reusable_; }
  bool served_before() const { return n_exchanges_ > 0; }
  std::chrono::steady_clock::time_point last_used() const { return last_used_; }

 private:
  void set_receive_timeout(std::chrono::milliseconds t);
  [[noreturn]] void fail(std::string_view step, const std::string& what) const;

  std::string host_, port_;
  UpstreamTimeouts timeouts_;
  int fd_ = -1;
  std::chrono::milliseconds receive_timeout_{-1};  // SO_RCVTIMEO now, to skip needless syscalls
  bool reusable_ = false;
  int64_t n_exchanges_ = 0;
  std::chrono::steady_clock::time_point last_used_;
  std::string chunk_;  // the body buffer, reused across requests
};

}  // namespace junction::gateway
