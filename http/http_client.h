// A blocking HTTP/1.1 GET client (Boost.Beast over Asio, OpenSSL for https) for the hub and its
// CDN: follows redirects (absolute and relative Location, at most max_redirects), verifies
// certificates against the system CA store with SNI, streams bodies of any size to a callback,
// and times out stalled connections. Plain http is refused except to loopback (tests, local
// mirrors on this machine). The Authorization header is dropped when a redirect leaves the
// original host, as browsers and `requests` do: the CDN's signed URLs need no token.
// One connection per request unless `keep_alive` is set: then the client keeps its last
// connection open (HTTP/1.1 persistent) and reuses it for the next request to the same origin.
// No compression, no proxies.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/error.h"

namespace junction::http {

using HttpHeaders = std::vector<std::pair<std::string, std::string>>;
using HeaderMap = std::map<std::string, std::string>;  // names lower case

struct HttpResponseHead {
  int status = 0;
  std::string url;  // the URL that gave this answer, after redirects
  HeaderMap headers;
  std::vector<HeaderMap> redirect_headers;  // each redirect's headers, in order
  std::string error_body;                   // the start of the body of a non-2xx answer

  // The header's value or "" (name in any case).
  std::string header(std::string_view name) const;
  // The first value of a header in the redirects, then the final answer (hub metadata such as
  // X-Linked-Etag sits on the hub's redirect, not on the CDN's answer).
  std::string header_anywhere(std::string_view name) const;
};

// The host could not be reached: name resolution, connection, TLS handshake or a timeout.
class NetworkError : public Error {
 public:
  NetworkError(const std::string& host, const std::string& message, bool request_sent = false)
      : Error(message), host_(host), request_sent_(request_sent) {}
  const std::string& host() const { return host_; }
  // The whole request had been sent when it failed (reading the answer): the server may still
  // be working on it, and a paid API may bill it.
  bool request_sent() const { return request_sent_; }
  bool timed_out() const { return std::string_view(what()).ends_with("timed out"); }

 private:
  std::string host_;
  bool request_sent_ = false;
};

struct HttpClientOptions {
  std::chrono::milliseconds connect_timeout = std::chrono::seconds(20);
  // From the request being sent to the answer's head and the first byte of its body (for a
  // stream, the first event); 0: read_timeout.
  std::chrono::milliseconds first_byte_timeout{0};
  // Once the body flows: the longest gap between two reads (a stall), not in total.
  std::chrono::milliseconds read_timeout = std::chrono::seconds(60);
  int max_redirects = 10;
  std::string user_agent = "junction-pull/0.1";
  // Plain http to other hosts too (an inference server on the LAN); downloads keep it off.
  bool allow_plain_http = false;
  // Keep the connection of a fully read answer open (unless the server said `Connection:
  // close`) and reuse it for the next request to the same origin. A kept connection that the
  // server closed, or that idled longer than idle_timeout, is dropped before use; one that
  // fails on reuse before a single byte of the answer arrived (the server closed it as the
  // request left) is replaced by a fresh connection and the request sent again, once.
  // A connection whose answer was not read to its end, or that failed, is never kept.
  bool keep_alive = false;
  std::chrono::milliseconds idle_timeout = std::chrono::seconds(30);
};

class HttpClient {
 public:
  // Decides, on a 2xx head, whether to read the body; the body then arrives in chunks.
  using HeadHandler = std::function<bool(const HttpResponseHead&)>;
  using BodySink = std::function<void(std::string_view chunk)>;

  explicit HttpClient(HttpClientOptions options = {});
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // GET, following redirects. Non-2xx answers are returned (with error_body) for the caller
  // to judge; NetworkError when the server cannot be reached; Error for a bad URL or a
  // redirect loop. Exceptions thrown by the handlers propagate.
  HttpResponseHead get(const std::string& url, const HttpHeaders& headers,
                       const HeadHandler& on_head, const BodySink& on_body);

  // The whole body of a small resource (a JSON API answer), at most max_bytes.
  std::pair<HttpResponseHead, std::string> get_text(const std::string& url,
                                                    const HttpHeaders& headers,
                                                    size_t max_bytes = size_t{64} << 20);

  // POST `body` as `content_type` and read the whole answer, at most max_bytes (JSON APIs).
  // Redirects are not followed (a POST is not replayed). Non-2xx answers are returned with
  // their body (the first 4 kB, as error_body) for the caller to judge.
  std::pair<HttpResponseHead, std::string> post_text(const std::string& url,
                                                     const HttpHeaders& headers,
                                                     const std::string& body,
                                                     const std::string& content_type,
                                                     size_t max_bytes = size_t{64} << 20);

  // POST and hand the answer's body to `on_line` one line at a time (without the "\r\n"), each
  // as soon as it arrives: server-sent events, read a line per read rather than in 256 kB
  // pieces. Redirects are not followed; a non-2xx answer is returned with its error_body and
  // no lines. Exceptions thrown by `on_line` propagate.
  using LineSink = std::function<void(std::string_view line)>;
  // A line longer than `max_line` bytes throws LineTooLong (line_splitter.h).
  HttpResponseHead post_lines(const std::string& url, const HttpHeaders& headers,
                              const std::string& body, const std::string& content_type,
                              const LineSink& on_line, size_t max_line = static_cast<size_t>(-1));

  // Whether a connection is kept for reuse now (keep_alive), and how many requests so far went
  // out on a reused connection (for tests and metrics).
  bool has_idle_connection() const;
  int64_t reused_connections() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace junction::http
