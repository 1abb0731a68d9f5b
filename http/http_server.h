// The HTTP/1.1 listener (Boost.Beast over Asio): accepts on one address, reads each request
// with size limits, hands it to a Handler and writes what the handler sends, keep-alive
// included. Waiting for a request and reading it are asynchronous, on a few threads
// (io_threads), so idle keep-alive connections and slow clients hold no thread; a complete
// request runs its handler on a worker thread (http/worker_pool.h), because a handler blocks
// while it waits for the engine or an upstream, and a streaming response writes chunked
// Server-Sent Events as tokens come. Knows nothing of OpenAI or the engine.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace junction::http {

struct HttpRequest {
  std::string method;  // "GET", "POST", ...
  std::string path;    // target without the query string
  std::string query;
  std::map<std::string, std::string> headers;  // names lowercased
  std::string body;
  std::string peer;  // the client's IP address ("127.0.0.1", "::1"); empty if unknown

  std::string header(const std::string& lowercase_name) const {
    auto it = headers.find(lowercase_name);
    return it == headers.end() ? std::string() : it->second;
  }
};

// How a handler answers: once with send(), or as a stream (start_stream, write..., end).
class HttpResponder {
 public:
  virtual ~HttpResponder() = default;
  virtual void send(int status, std::string_view content_type, std::string body,
                    const std::vector<std::pair<std::string, std::string>>& headers = {}) = 0;
  // Starts a chunked response. write() returns false once the client is gone.
  virtual bool start_stream(
      int status, std::string_view content_type,
      const std::vector<std::pair<std::string, std::string>>& headers = {}) = 0;
  virtual bool write(std::string_view data) = 0;
  virtual void end() = 0;
  // True if the client closed its side (polled while a handler waits for the engine).
  virtual bool peer_closed() = 0;
};

using HttpHandler = std::function<void(const HttpRequest&, HttpResponder&)>;

// Called with a request's line and headers (its body not read yet); throwing http::ApiError
// refuses it at once, so a client without a valid key cannot make the server read (and hold)
// a large body.
using HttpAdmission = std::function<void(const HttpRequest& head)>;

struct HttpOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 8080;  // 0: any free port (see HttpServer::port)
  int64_t max_body_bytes = 16 << 20;
  int64_t max_header_bytes = 64 << 10;
  int max_connections = 512;
  // Connections from one IP address at most: one client cannot take every slot.
  int max_connections_per_peer = 256;
  int idle_timeout_s = 120;  // keep-alive connections idle longer are closed
  // From a request's first byte to its last: a client that trickles it (one byte per read
  // timeout) is answered 408 and closed, instead of holding a thread.
  int request_timeout_s = 30;
  // A client that stops reading the answer for this long is dropped (a blocked write fails).
  int send_timeout_s = 60;
  // Threads that accept and read requests (handlers run on threads of their own).
  int io_threads = 2;
  HttpAdmission admit;  // empty: every request is read whole
};

class HttpServer {
 public:
  // Binds and listens at once (throws junction::Error if it cannot).
  HttpServer(HttpOptions options, HttpHandler handler);
  ~HttpServer();

  uint16_t port() const;
  // Accepts and serves connections; returns once stop() was called (connections already open
  // go on until close_connections). Call from one thread.
  void run();
  // Stops accepting; connections finish their current request and close. Thread-safe.
  void stop();
  // Closes every connection still open (after the engine has drained) and joins their threads.
  void close_connections();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace junction::http
