#include "http/http_server.h"

#include <poll.h>
#include <pthread.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <algorithm>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <unordered_map>

#include "core/error.h"
#include "http/api_error.h"
#include "http/socket_stream.h"

namespace junction::http {

namespace net = boost::asio;
namespace bhttp = boost::beast::http;
using tcp = net::ip::tcp;
using boost::system::error_code;

struct HttpServer::Impl {
  HttpOptions options;
  HttpHandler handler;
  net::io_context io;
  tcp::acceptor acceptor{io};
  // Connections live here: an io_context nobody runs. A socket stays registered with the
  // reactor of the io_context that accepted it, whose thread then wakes at every request on
  // every connection for nothing (its blocking reads never use the reactor); here the
  // registration costs nothing.
  net::io_context connections_io;
  std::atomic<bool> stopping{false};

  std::mutex mutex;
  std::condition_variable all_closed;
  int n_connections = 0;
  uint64_t next_connection = 0;
  std::unordered_map<uint64_t, int> sockets;      // connection -> fd, for close_connections
  std::unordered_map<std::string, int> per_peer;  // remote address -> connections open

  void accept();
  void serve(tcp::socket socket, uint64_t id, std::string peer);
};

namespace {

class SocketResponder : public HttpResponder {
 public:
  SocketResponder(tcp::socket& socket, bool keep_alive)
      : socket_(socket), stream_(socket.native_handle()), keep_alive_(keep_alive) {}

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
    pollfd p{socket_.native_handle(), POLLIN | POLLRDHUP, 0};
    if (::poll(&p, 1, 0) <= 0) return false;
    if (p.revents & (POLLRDHUP | POLLHUP | POLLERR)) return true;
    char c;
    return ::recv(socket_.native_handle(), &c, 1, MSG_PEEK | MSG_DONTWAIT) == 0;
  }

  bool answered() const { return answered_; }
  bool broken() const { return broken_; }

 private:
  tcp::socket& socket_;
  SocketStream stream_;
  bool keep_alive_;
  bool answered_ = false;
  bool broken_ = false;
};

void send_plain_error(tcp::socket& socket, bhttp::status status, std::string_view message) {
  bhttp::response<bhttp::string_body> res{status, 11};
  res.set(bhttp::field::server, "junction");
  res.set(bhttp::field::content_type, "application/json");
  res.keep_alive(false);
  res.body() = std::string(R"({"error":{"message":")") + std::string(message) +
               R"(","type":"invalid_request_error","param":null,"code":null}})";
  res.prepare_payload();
  // A client that does not read its error must not hold the thread (the accepting one, for
  // "too many connections"): a second at most.
  const timeval tv{1, 0};
  ::setsockopt(socket.native_handle(), SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  SocketStream stream(socket.native_handle());
  error_code ec;
  bhttp::write(stream, res, ec);
}

}  // namespace

HttpServer::HttpServer(HttpOptions options, HttpHandler handler) : impl_(std::make_unique<Impl>()) {
  impl_->options = std::move(options);
  impl_->handler = std::move(handler);
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
}

uint16_t HttpServer::port() const {
  error_code ec;
  return impl_->acceptor.local_endpoint(ec).port();
}

void HttpServer::run() {
  impl_->accept();
  impl_->io.run();
}

void HttpServer::stop() {
  impl_->stopping = true;
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

namespace {

// Starts `work` on a thread created detached. Not std::thread + detach(): when the thread ends
// at once (a client that connects and leaves), glibc can free its stack between detach's two
// reads of the thread's descriptor, and the caller faults on it (seen under load: SIGSEGV in
// pthread_detach on the accepting thread). False when no thread could be made.
bool spawn_detached(std::unique_ptr<std::function<void()>> work) {
  pthread_attr_t attr;
  if (pthread_attr_init(&attr) != 0) return false;
  pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
  pthread_t thread;
  auto* raw = work.release();
  const int rc = pthread_create(
      &thread, &attr,
      [](void* arg) -> void* {
        std::unique_ptr<std::function<void()>> run(static_cast<std::function<void()>*>(arg));
        (*run)();
        return nullptr;
      },
      raw);
  pthread_attr_destroy(&attr);
  if (rc != 0) delete raw;
  return rc == 0;
}

}  // namespace

void HttpServer::Impl::accept() {
  acceptor.async_accept([this](error_code ec, tcp::socket socket) {
    if (ec) {
      if (acceptor.is_open() && !stopping) accept();
      return;
    }
    // Off the accepting io_context (see connections_io); a socket that cannot move is dropped.
    error_code moved;
    const auto protocol = socket.local_endpoint(moved).protocol();
    tcp::socket blocking(connections_io);
    if (!moved) blocking.assign(protocol, socket.release(moved), moved);
    if (moved) {
      if (!stopping) accept();
      return;
    }
    uint64_t id;
    error_code no_peer;
    std::string peer = blocking.remote_endpoint(no_peer).address().to_string();
    {
      std::lock_guard lock(mutex);
      if (n_connections >= options.max_connections) {
        send_plain_error(blocking, bhttp::status::service_unavailable, "too many connections");
        if (!stopping) accept();
        return;
      }
      if (per_peer[peer] >= options.max_connections_per_peer) {
        send_plain_error(blocking, bhttp::status::service_unavailable,
                         "too many connections from this address");
        if (!stopping) accept();
        return;
      }
      ++per_peer[peer];
      ++n_connections;
      id = next_connection++;
      sockets[id] = blocking.native_handle();
    }
    auto work = std::make_unique<std::function<void()>>(
        [this, s = std::make_shared<tcp::socket>(std::move(blocking)), id, peer]() mutable {
          serve(std::move(*s), id, std::move(peer));
        });
    if (!spawn_detached(std::move(work))) {
      // No thread to serve it: give the slot back (the socket closes with the closure).
      std::lock_guard lock(mutex);
      if (--per_peer[peer] <= 0) per_peer.erase(peer);
      sockets.erase(id);
      --n_connections;
    }
    if (!stopping) accept();
  });
}

namespace {
// After answering a request whose body we refuse to read (too large, malformed), the client may
// still be sending it. Closing a socket with unread input makes the kernel send a reset, which can
// destroy our response before the client reads it; so stop writing, then drain what arrives (up to
// a bound in bytes and time) and only then close, as nginx's lingering_close does.
void linger_before_close(tcp::socket& socket) {
  error_code ec;
  socket.shutdown(tcp::socket::shutdown_send, ec);
  timeval tv{2, 0};
  ::setsockopt(socket.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  char sink[16384];
  size_t drained = 0;
  SocketStream stream(socket.native_handle());
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(2);
  while (drained < (64u << 20) && std::chrono::steady_clock::now() < until) {
    const size_t n = stream.read_some(net::buffer(sink), ec);
    if (ec || n == 0) break;
    drained += n;
  }
}
}  // namespace

namespace {

// SO_RCVTIMEO, set only when it changes (a syscall per read otherwise).
class ReceiveTimeout {
 public:
  explicit ReceiveTimeout(int fd) : fd_(fd) {}
  void set(std::chrono::milliseconds t) {
    t = std::max(t, std::chrono::milliseconds(1));
    if (t == current_) return;
    const timeval tv{static_cast<time_t>(t.count() / 1000),
                     static_cast<suseconds_t>(t.count() % 1000 * 1000)};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    current_ = t;
  }

 private:
  int fd_;
  std::chrono::milliseconds current_{-1};
};

bool timed_out(const error_code& ec) {
  return ec == boost::beast::error::timeout || ec == net::error::would_block ||
         ec == net::error::try_again || ec == net::error::timed_out;
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

}  // namespace

void HttpServer::Impl::serve(tcp::socket socket, uint64_t id, std::string peer) {
  using Clock = std::chrono::steady_clock;
  ReceiveTimeout receive_timeout(socket.native_handle());
  const timeval send_tv{options.send_timeout_s, 0};
  ::setsockopt(socket.native_handle(), SOL_SOCKET, SO_SNDTIMEO, &send_tv, sizeof send_tv);
  error_code ec;
  socket.set_option(tcp::no_delay(true), ec);
  SocketStream stream(socket.native_handle());
  boost::beast::flat_buffer buffer;
  buffer.reserve(16 * 1024);  // a typical request in one recv (Beast starts at 512 bytes)
  for (;;) {
    ec = {};
    bhttp::request_parser<bhttp::string_body> parser;
    parser.body_limit(options.max_body_bytes);
    parser.header_limit(static_cast<uint32_t>(options.max_header_bytes));
    // Idle (keep-alive) until the request's first byte; from there the whole request must come
    // within request_timeout_s, however slowly its bytes trickle.
    if (buffer.size() == 0) {
      receive_timeout.set(std::chrono::seconds(options.idle_timeout_s));
      const size_t n = stream.read_some(buffer.prepare(16 * 1024), ec);
      if (ec) break;  // closed, or idle too long
      buffer.commit(n);
    }
    const auto deadline = Clock::now() + std::chrono::seconds(options.request_timeout_s);
    bool admitted = !options.admit;
    HttpRequest head;
    bool refused = false;
    while (!parser.is_done()) {
      if (parser.is_header_done() && !admitted) {
        admitted = true;
        head = request_head(parser.get(), peer);
        try {
          options.admit(head);
        } catch (const ApiError& e) {
          SocketResponder(socket, false).send(e.status, "application/json", e.to_json(), {});
          refused = true;
          break;
        }
      }
      const auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
      if (left.count() <= 0) {
        ec = net::error::timed_out;
        break;
      }
      receive_timeout.set(left);
      bhttp::read_some(stream, buffer, parser, ec);
      if (ec) break;
    }
    if (refused) {
      linger_before_close(socket);
      break;
    }
    if (ec == bhttp::error::end_of_stream || ec == net::error::eof) break;
    if (timed_out(ec)) {
      send_plain_error(socket, bhttp::status::request_timeout,
                       "the request did not arrive whole within " +
                           std::to_string(options.request_timeout_s) + " s");
      break;
    }
    if (ec == bhttp::error::body_limit) {
      send_plain_error(socket, bhttp::status::payload_too_large,
                       "the request body exceeds the server's limit of " +
                           std::to_string(options.max_body_bytes) + " bytes");
      linger_before_close(socket);
      break;
    }
    if (ec == bhttp::error::header_limit) {
      send_plain_error(socket, bhttp::status::request_header_fields_too_large,
                       "request headers too large");
      linger_before_close(socket);
      break;
    }
    if (ec) {
      if (parser.got_some() && ec != net::error::would_block && ec != net::error::try_again) {
        send_plain_error(socket, bhttp::status::bad_request, "malformed HTTP request");
        linger_before_close(socket);
      }
      break;
    }
    auto& msg = parser.get();
    HttpRequest req = admitted && options.admit ? std::move(head) : request_head(msg, peer);
    req.body = std::move(msg.body());
    const bool keep_alive = msg.keep_alive() && !stopping;
    SocketResponder responder(socket, keep_alive);
    try {
      handler(req, responder);
    } catch (const std::exception& e) {
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
    if (!keep_alive || responder.broken() || stopping) break;
  }
  socket.shutdown(tcp::socket::shutdown_both, ec);
  std::lock_guard lock(mutex);
  if (--per_peer[peer] <= 0) per_peer.erase(peer);
  sockets.erase(id);
  socket.close(ec);
  --n_connections;
  all_closed.notify_all();
}

}  // namespace junction::http
