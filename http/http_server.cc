#include "http/http_server.h"

#include <poll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include <algorithm>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <optional>
#include <unordered_map>

#include "core/error.h"
#include "http/api_error.h"
#include "http/socket_stream.h"
#include "http/worker_pool.h"

namespace junction::http {

namespace net = boost::asio;
namespace bhttp = boost::beast::http;
using tcp = net::ip::tcp;
using boost::system::error_code;
using Clock = std::chrono::steady_clock;

namespace {

// What the listener shares with its connections (HttpServer::Impl is this).
struct Listener {
  explicit Listener(HttpOptions o, HttpHandler h)
      : options(std::move(o)), handler(std::move(h)), workers(options.max_connections + 64) {}

  // Declared before `io`, so that they outlive it: destroying `io` destroys the handlers still
  // queued there, and with them the last references to connections, whose destructors count
  // themselves out here.
  HttpOptions options;
  HttpHandler handler;
  std::mutex mutex;
  std::condition_variable all_closed, stopped;
  int n_connections = 0;
  uint64_t next_connection = 0;
  std::unordered_map<uint64_t, int> sockets;      // connection -> fd, for close_connections
  std::unordered_map<std::string, int> per_peer;  // remote address -> connections open
  std::atomic<bool> stopping{false};
  WorkerPool workers;

  // Accepting, and every connection's reads and timers: a few threads however many clients
  // are connected, since waiting for a request costs no thread.
  net::io_context io;
  tcp::acceptor acceptor{io};
  std::vector<std::thread> io_threads;

  void accept();
  void connection_closed(uint64_t id, const std::string& peer);
};

class SocketResponder : public HttpResponder {
 public:
  SocketResponder(int fd, bool keep_alive) : fd_(fd), stream_(fd), keep_alive_(keep_alive) {}

  void send(int status, std::string_view content_type, std::string body,
            const std::vector<std::pair<std::string, std::string>>& headers) override {
    bhttp::response<bhttp::string_body> res{static_cast<bhttp::status>(status), 11};
    res.set(bhttp::field::server, "junction");
    res.set(bhttp::field::content_type, content_type);
    for (const auto& [name, value] : headers) res.set(name, value);
    res.keep_alive(keep_alive_);
    res.body() = std::move(body);
    res.prepare_payload();
    error_code ec;
    bhttp::write(stream_, res, ec);
    answered_ = true;
    if (ec) broken_ = true;
  }

  bool start_stream(int status, std::string_view content_type,
                    const std::vector<std::pair<std::string, std::string>>& headers) override {
    bhttp::response<bhttp::empty_body> res{static_cast<bhttp::status>(status), 11};
    res.set(bhttp::field::server, "junction");
    res.set(bhttp::field::content_type, content_type);
    res.set(bhttp::field::cache_control, "no-cache");
    for (const auto& [name, value] : headers) res.set(name, value);
    res.keep_alive(keep_alive_);
    res.chunked(true);
    bhttp::response_serializer<bhttp::empty_body> serializer(res);
    error_code ec;
    bhttp::write_header(stream_, serializer, ec);
    answered_ = true;
    if (ec) broken_ = true;
    return !broken_;
  }

  bool write(std::string_view data) override {
    if (broken_) return false;
    if (data.empty()) return true;
    error_code ec;
    net::write(stream_, bhttp::make_chunk(net::const_buffer(data.data(), data.size())), ec);
    if (ec) broken_ = true;
    return !broken_;
  }

  void end() override {
    if (broken_) return;
    error_code ec;
    net::write(stream_, bhttp::make_chunk_last(), ec);
    if (ec) broken_ = true;
  }

  bool peer_closed() override {
    if (broken_) return true;
    pollfd p{fd_, POLLIN | POLLRDHUP, 0};
    if (::poll(&p, 1, 0) <= 0) return false;
    if (p.revents & (POLLRDHUP | POLLHUP | POLLERR)) return true;
    char c;
    return ::recv(fd_, &c, 1, MSG_PEEK | MSG_DONTWAIT) == 0;
  }

  bool answered() const { return answered_; }
  bool broken() const { return broken_; }

 private:
  int fd_;
  SocketStream stream_;
  bool keep_alive_;
  bool answered_ = false;
  bool broken_ = false;
};

// A short error answer on a blocking descriptor, then the connection is closed. A client that
// does not read its error must not hold the worker: a second at most.
void send_plain_error(int fd, bhttp::status status, std::string_view message) {
  bhttp::response<bhttp::string_body> res{status, 11};
  res.set(bhttp::field::server, "junction");
  res.set(bhttp::field::content_type, "application/json");
  res.keep_alive(false);
  res.body() = std::string(R"({"error":{"message":")") + std::string(message) +
               R"(","type":"invalid_request_error","param":null,"code":null}})";
  res.prepare_payload();
  const timeval tv{1, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  SocketStream stream(fd);
  error_code ec;
  bhttp::write(stream, res, ec);
}

// After answering a request whose body we refuse to read (too large, malformed), the client may
// still be sending it. Closing a socket with unread input makes the kernel send a reset, which can
// destroy our response before the client reads it; so stop writing, then drain what arrives (up to
// a bound in bytes and time) and only then close, as nginx's lingering_close does.
void linger_before_close(int fd) {
  ::shutdown(fd, SHUT_WR);
  timeval tv{2, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  char sink[16384];
  size_t drained = 0;
  SocketStream stream(fd);
  error_code ec;
  const auto until = Clock::now() + std::chrono::seconds(2);
  while (drained < (64u << 20) && Clock::now() < until) {
    const size_t n = stream.read_some(net::buffer(sink), ec);
    if (ec || n == 0) break;
    drained += n;
  }
}

HttpRequest request_head(const bhttp::request<bhttp::string_body>& msg, const std::string& peer) {
  HttpRequest req;
  req.peer = peer;
  req.method = std::string(msg.method_string());
  const std::string_view target = msg.target();
  const size_t q = target.find('?');
  req.path = std::string(target.substr(0, q));
  if (q != std::string_view::npos) req.query = std::string(target.substr(q + 1));
  for (const auto& field : msg) {
    std::string name(field.name_string());
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    req.headers[name] = std::string(field.value());
  }
  return req;
}

// One client connection. Waiting for a request and reading it are asynchronous, on the
// connection's strand (so its read and its timer never run at once); a complete request, and
// an admission check, go to a worker thread, which switches the descriptor to blocking mode
// while the handler writes (SocketStream, bounded by SO_SNDTIMEO) and back before the next
// asynchronous read. At most one of the two is active at a time.
class Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(Listener& server, tcp::socket socket, uint64_t id, std::string peer)
      : server_(server),
        socket_(std::move(socket)),
        timer_(socket_.get_executor()),
        id_(id),
        peer_(std::move(peer)) {}
  ~Connection() {
    error_code ec;
    socket_.shutdown(tcp::socket::shutdown_both, ec);
    socket_.close(ec);
    server_.connection_closed(id_, peer_);
  }

  void start() {
    const timeval send_tv{server_.options.send_timeout_s, 0};
    ::setsockopt(fd(), SOL_SOCKET, SO_SNDTIMEO, &send_tv, sizeof send_tv);
    error_code ec;
    socket_.set_option(tcp::no_delay(true), ec);
    buffer_.reserve(16 * 1024);  // a typical request in one recv (Beast starts at 512 bytes)
    next_request();
  }

  // Answers `status` on a worker and closes (connection limits, before any request).
  void refuse(bhttp::status status, std::string message) {
    auto self = shared_from_this();
    server_.workers.post([self, status, message = std::move(message)] {
      self->set_blocking(true);
      send_plain_error(self->fd(), status, message);
    });
  }

 private:
  int fd() { return socket_.native_handle(); }

  void set_blocking(bool blocking) {
    int non_blocking = blocking ? 0 : 1;
    ::ioctl(fd(), FIONBIO, &non_blocking);
  }

  // Idle (keep-alive) until the request's first byte; from there the whole request must come
  // within request_timeout_s, however slowly its bytes trickle.
  void next_request() {
    new_parser();
    if (buffer_.size() > 0) return begin_request();  // pipelined: already here
    arm(std::chrono::seconds(server_.options.idle_timeout_s));
    socket_.async_wait(tcp::socket::wait_read, [self = shared_from_this()](error_code ec) {
      if (ec || self->deadline_passed_) return self->disarm();  // closed, or idle too long
      self->begin_request();
    });
  }

  void begin_request() {
    arm(std::chrono::seconds(server_.options.request_timeout_s));
    read_more();
  }

  void read_more() {
    if (deadline_passed_) return fail({bhttp::status::request_timeout, timeout_message(), false});
    if (parser_->is_header_done() && !admitted_) {
      admitted_ = true;
      head_ = request_head(parser_->get(), peer_);
      return admit();
    }
    if (parser_->is_done()) {
      disarm();
      return handle();
    }
    bhttp::async_read_some(socket_, buffer_, *parser_,
                           [self = shared_from_this()](error_code ec, size_t) { self->read(ec); });
  }

  void read(error_code ec) {
    if (deadline_passed_) return fail({bhttp::status::request_timeout, timeout_message(), false});
    if (!ec) return read_more();
    if (const auto failure = failure_for(ec)) return fail(*failure);
    disarm();  // the client closed, or the read was cancelled: nothing to answer
  }

  // What to answer when reading a request failed with `ec`; nullopt: nothing, just close.
  struct Failure {
    bhttp::status status;
    std::string message;
    bool linger;  // the client may still be sending
  };
  std::optional<Failure> failure_for(error_code ec) const {
    if (ec == bhttp::error::body_limit)
      return Failure{bhttp::status::payload_too_large,
                     "the request body exceeds the server's limit of " +
                         std::to_string(server_.options.max_body_bytes) + " bytes",
                     true};
    if (ec == bhttp::error::header_limit)
      return Failure{bhttp::status::request_header_fields_too_large, "request headers too large",
                     true};
    if (ec == bhttp::error::end_of_stream || ec == net::error::eof ||
        ec == net::error::operation_aborted || !parser_->got_some())
      return std::nullopt;
    return Failure{bhttp::status::bad_request, "malformed HTTP request", true};
  }

  std::string timeout_message() const {
    return "the request did not arrive whole within " +
           std::to_string(server_.options.request_timeout_s) + " s";
  }

  // The head is here, the body not yet read: the admission check (a key lookup that may wait
  // for the store) runs on a worker; a refusal is answered there, otherwise reading goes on.
  void admit() {
    auto self = shared_from_this();
    const bool posted = server_.workers.post([self] {
      const bool admitted = self->admit_here();
      // Refused: the deadline's timer is all that still holds the connection open; stopping it
      // closes the connection now rather than at the deadline.
      net::post(self->socket_.get_executor(), [self, admitted] {
        if (admitted)
          self->read_more();
        else
          self->disarm();
      });
    });
    if (!posted) disarm();
  }

  // On a worker: the admission check on head_; a refusal is answered (false).
  bool admit_here() {
    try {
      server_.options.admit(head_);
      return true;
    } catch (const ApiError& e) {
      set_blocking(true);
      SocketResponder(fd(), false).send(e.status, "application/json", e.to_json(), {});
      linger_before_close(fd());
    } catch (const std::exception&) {
      set_blocking(true);
      send_plain_error(fd(), bhttp::status::internal_server_error, "internal error");
    }
    return false;
  }

  // The parsed request, for its handler.
  HttpRequest take_request() {
    auto& msg = parser_->get();
    HttpRequest req = server_.options.admit ? std::move(head_) : request_head(msg, peer_);
    req.body = std::move(msg.body());
    return req;
  }

  void handle() {
    const bool keep_alive = parser_->get().keep_alive() && !server_.stopping;
    auto self = shared_from_this();
    server_.workers.post([self, req = take_request(), keep_alive]() mutable {
      self->serve_here(std::move(req), keep_alive);
    });
  }

  // On a worker: runs the handler, then the connection's next requests for as long as they
  // follow at once. A busy keep-alive client sends its next request as soon as it has read an
  // answer; reading it here saves the two thread switches of going back to the reactor and
  // out again (measured: ~35% of the gateway's CPU per request). A connection quiet for
  // kBusyWait goes back to the reactor, which holds it without a thread.
  void serve_here(HttpRequest req, bool keep_alive) {
    set_blocking(true);
    for (;;) {
      SocketResponder responder(fd(), keep_alive);
      try {
        server_.handler(req, responder);
      } catch (const std::exception&) {
        if (!responder.answered())
          responder.send(
              500, "application/json",
              R"({"error":{"message":"internal error","type":"server_error","param":null,"code":null}})",
              {});
      }
      if (!responder.answered())
        responder.send(
            500, "application/json",
            R"({"error":{"message":"no response","type":"server_error","param":null,"code":null}})",
            {});
      if (!keep_alive || responder.broken() || server_.stopping) return;
      if (buffer_.size() == 0) {
        pollfd p{fd(), POLLIN, 0};
        if (::poll(&p, 1, kBusyWaitMs) != 1) break;
      }
      if (!read_request_here()) return;
      keep_alive = parser_->get().keep_alive() && !server_.stopping;
      req = take_request();
    }
    set_blocking(false);
    net::post(socket_.get_executor(), [self = shared_from_this()] { self->next_request(); });
  }
  static constexpr int kBusyWaitMs = 2;

  // On a worker, blocking: reads the next request whole within request_timeout_s, admission
  // included. False when the connection ends (closed, or an error was answered).
  bool read_request_here() {
    new_parser();
    SocketStream stream(fd());
    const auto deadline = Clock::now() + std::chrono::seconds(server_.options.request_timeout_s);
    for (;;) {
      if (parser_->is_header_done() && !admitted_) {
        admitted_ = true;
        head_ = request_head(parser_->get(), peer_);
        if (!admit_here()) return false;
      }
      if (parser_->is_done()) return true;
      const auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
      error_code ec = net::error::timed_out;
      if (left.count() > 0) {
        const timeval tv{static_cast<time_t>(left.count() / 1000),
                         static_cast<suseconds_t>(left.count() % 1000 * 1000)};
        ::setsockopt(fd(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        bhttp::read_some(stream, buffer_, *parser_, ec);
        if (!ec) continue;
      }
      std::optional<Failure> failure =
          ec == boost::beast::error::timeout || ec == net::error::timed_out
              ? Failure{bhttp::status::request_timeout, timeout_message(), false}
              : failure_for(ec);
      if (failure) answer_failure(*failure);
      return false;
    }
  }

  void new_parser() {
    parser_.emplace();
    parser_->body_limit(server_.options.max_body_bytes);
    parser_->header_limit(static_cast<uint32_t>(server_.options.max_header_bytes));
    admitted_ = !server_.options.admit;
    head_ = {};
  }

  // On a worker: the error answer, then (if the client may still be sending) a lingering close.
  void answer_failure(const Failure& f) {
    set_blocking(true);
    send_plain_error(fd(), f.status, f.message);
    if (f.linger) linger_before_close(fd());
  }

  // Answers an error on a worker and closes.
  void fail(Failure failure) {
    disarm();
    auto self = shared_from_this();
    server_.workers.post([self, failure = std::move(failure)] { self->answer_failure(failure); });
  }

  // The deadline cancels the pending read or wait; its handler then sees deadline_passed_.
  // A generation number ignores an expiry that was already queued when the timer was re-armed.
  // The armed timer holds the connection: every path that ends it disarms.
  void arm(Clock::duration after) {
    const uint64_t generation = ++timer_generation_;
    deadline_passed_ = false;
    timer_.expires_after(after);
    timer_.async_wait([self = shared_from_this(), generation](error_code ec) {
      if (ec || generation != self->timer_generation_) return;
      self->deadline_passed_ = true;
      error_code ignored;
      self->socket_.cancel(ignored);
    });
  }
  void disarm() {
    ++timer_generation_;
    timer_.cancel();
  }

  Listener& server_;
  tcp::socket socket_;
  net::steady_timer timer_;
  uint64_t timer_generation_ = 0;
  bool deadline_passed_ = false;
  boost::beast::flat_buffer buffer_;
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  bool admitted_ = false;
  HttpRequest head_;
  const uint64_t id_;
  const std::string peer_;
};

}  // namespace

struct HttpServer::Impl : Listener {
  using Listener::Listener;
};

HttpServer::HttpServer(HttpOptions options, HttpHandler handler)
    : impl_(std::make_unique<Impl>(std::move(options), std::move(handler))) {
  error_code ec;
  const auto address = net::ip::make_address(impl_->options.host, ec);
  if (ec) throw Error("--host: '" + impl_->options.host + "' is not an IP address");
  const tcp::endpoint endpoint(address, impl_->options.port);
  impl_->acceptor.open(endpoint.protocol(), ec);
  if (!ec) impl_->acceptor.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) impl_->acceptor.bind(endpoint, ec);
  if (!ec) impl_->acceptor.listen(net::socket_base::max_listen_connections, ec);
  if (ec)
    throw Error("cannot listen on " + impl_->options.host + ":" +
                std::to_string(impl_->options.port) + ": " + ec.message());
}

HttpServer::~HttpServer() {
  stop();
  close_connections();
  // Handlers that outlived close_connections' wait, then the reactor.
  impl_->workers.stop_and_wait(std::chrono::seconds(10));
  impl_->io.stop();
  for (auto& t : impl_->io_threads) t.join();
}

uint16_t HttpServer::port() const {
  error_code ec;
  return impl_->acceptor.local_endpoint(ec).port();
}

void HttpServer::run() {
  impl_->accept();
  {
    std::lock_guard lock(impl_->mutex);
    const int n = std::max(1, impl_->options.io_threads);
    for (int i = 0; i < n; ++i)
      impl_->io_threads.emplace_back([impl = impl_.get()] {
        // The reactor runs until the server is destroyed, not until it runs out of work.
        auto guard = net::make_work_guard(impl->io);
        impl->io.run();
      });
  }
  std::unique_lock lock(impl_->mutex);
  impl_->stopped.wait(lock, [&] { return impl_->stopping.load(); });
}

void HttpServer::stop() {
  {
    std::lock_guard lock(impl_->mutex);
    impl_->stopping = true;
  }
  impl_->stopped.notify_all();
  net::post(impl_->io, [impl = impl_.get()] {
    error_code ec;
    impl->acceptor.close(ec);
  });
}

void HttpServer::close_connections() {
  std::unique_lock lock(impl_->mutex);
  for (const auto& [id, fd] : impl_->sockets) ::shutdown(fd, SHUT_RDWR);
  impl_->all_closed.wait_for(lock, std::chrono::seconds(10),
                             [&] { return impl_->n_connections == 0; });
}

void Listener::connection_closed(uint64_t id, const std::string& peer) {
  std::lock_guard lock(mutex);
  if (--per_peer[peer] <= 0) per_peer.erase(peer);
  sockets.erase(id);
  --n_connections;
  all_closed.notify_all();
}

void Listener::accept() {
  acceptor.async_accept(net::make_strand(io), [this](error_code ec, tcp::socket socket) {
    if (ec) {
      if (acceptor.is_open() && !stopping) accept();
      return;
    }
    error_code no_peer;
    std::string peer = socket.remote_endpoint(no_peer).address().to_string();
    std::optional<std::string> refusal;
    uint64_t id;
    {
      std::lock_guard lock(mutex);
      if (n_connections >= options.max_connections)
        refusal = "too many connections";
      else if (per_peer[peer] >= options.max_connections_per_peer)
        refusal = "too many connections from this address";
      ++per_peer[peer];  // counted out by the connection's destructor, refused or not
      ++n_connections;
      id = next_connection++;
      sockets[id] = socket.native_handle();
    }
    auto connection = std::make_shared<Connection>(*this, std::move(socket), id, peer);
    if (refusal)
      connection->refuse(bhttp::status::service_unavailable, *refusal);
    else
      connection->start();
    if (!stopping) accept();
  });
}

}  // namespace junction::http
