// The answer is parsed by Beast's HTTP parser over a minimal synchronous stream on the socket, so
// chunked bodies, keep-alive rules and limits are Beast's; only the I/O is ours.
#include "gateway/upstream_connection.h"
#include "http/socket_stream.h"

#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio/buffer.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <cctype>
#include <cerrno>
#include <cstring>

namespace junction::gateway {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;

constexpr size_t kChunk = 64 * 1024;    // bytes per body read
constexpr size_t kErrorBodyMax = 4096;  // bytes of a non-2xx body kept for messages

std::string describe(const beast::error_code& ec) {
  if (ec == beast::error::timeout) return "timed out";
  return ec.message();
}

bool closed_by_peer(const beast::error_code& ec) {
  return ec == bhttp::error::end_of_stream || ec == net::error::eof ||
         ec == net::error::connection_reset || ec == net::error::broken_pipe ||
         ec == net::error::connection_aborted;
}

timeval to_timeval(std::chrono::milliseconds t) {
  return timeval{static_cast<time_t>(t.count() / 1000),
                 static_cast<suseconds_t>((t.count() % 1000) * 1000)};
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// A connected blocking socket to one of host:port's addresses within `timeout`, or -1 and why.
int connect_to(const std::string& host, const std::string& port, std::chrono::milliseconds timeout,
               std::string& why) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV;
  addrinfo* found = nullptr;
  if (const int rc = ::getaddrinfo(host.c_str(), port.c_str(), &hints, &found); rc != 0) {
    why = std::string("resolving ") + host + " failed: " + ::gai_strerror(rc);
    return -1;
  }
  int fd = -1;
  for (addrinfo* a = found; a && fd < 0; a = a->ai_next) {
    fd = ::socket(a->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) continue;
    int err = 0;
    if (::connect(fd, a->ai_addr, a->ai_addrlen) != 0) {
      err = errno;
      if (err == EINPROGRESS) {
        pollfd p{fd, POLLOUT, 0};
        const int n = ::poll(&p, 1, static_cast<int>(timeout.count()));
        socklen_t len = sizeof err;
        if (n == 0)
          err = ETIMEDOUT;
        else if (n < 0 || ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0)
          err = errno;
      }
    }
    if (err != 0) {
      why = "connecting to " + host + ":" + port +
            " failed: " + (err == ETIMEDOUT ? "timed out" : std::strerror(err));
      ::close(fd);
      fd = -1;
    }
  }
  ::freeaddrinfo(found);
  if (fd < 0) return -1;
  ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) & ~O_NONBLOCK);
  const int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return fd;
}

}  // namespace

UpstreamConnection::UpstreamConnection(const http::Url& url, UpstreamTimeouts timeouts)
    : host_(url.host), port_(url.port), timeouts_(timeouts) {
  std::string why;
  fd_ = connect_to(host_, port_, timeouts_.connect, why);
  if (fd_ < 0) throw http::NetworkError(host_, why);
  const timeval send_timeout = to_timeval(timeouts_.first_byte);
  ::setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &send_timeout, sizeof send_timeout);
  last_used_ = std::chrono::steady_clock::now();
}

UpstreamConnection::~UpstreamConnection() {
  if (fd_ >= 0) ::close(fd_);
}

void UpstreamConnection::set_receive_timeout(std::chrono::milliseconds t) {
  if (t == receive_timeout_) return;
  const timeval tv = to_timeval(t);
  ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  receive_timeout_ = t;
}

void UpstreamConnection::fail(std::string_view step, const std::string& what) const {
  throw http::NetworkError(host_,
                           std::string(step) + " " + host_ + ":" + port_ + " failed: " + what,
                           step.starts_with("reading"));
}

UpstreamConnection::End UpstreamConnection::exchange(
    const std::string& request, http::HttpResponseHead& head,
    const std::function<void(std::string_view)>& on_body) {
  const bool reused = n_exchanges_++ > 0;
  reusable_ = false;
  set_receive_timeout(timeouts_.first_byte);
  for (size_t sent = 0; sent < request.size();) {
    const ssize_t n = ::send(fd_, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (n >= 0) {
      sent += static_cast<size_t>(n);
      continue;
    }
    if (errno == EINTR) continue;
    const int err = errno;
    if (reused && (err == EPIPE || err == ECONNRESET)) return End::kStale;
    fail("sending the request to",
         err == EAGAIN || err == EWOULDBLOCK ? std::string("timed out") : std::strerror(err));
  }

  http::SocketStream reader(fd_);
  beast::flat_buffer buffer;
  buffer.reserve(16 * 1024);  // a typical answer in one recv (Beast starts at 512 bytes)
  bhttp::response_parser<bhttp::buffer_body> parser;
  parser.body_limit(boost::none);
  parser.header_limit(64 * 1024);
  beast::error_code ec;
  bhttp::read_header(reader, buffer, parser, ec);
  if (ec && reused && closed_by_peer(ec) && !parser.got_some() && buffer.size() == 0)
    return End::kStale;
  if (ec) fail("reading the response from", describe(ec));
  head.status = static_cast<int>(parser.get().result_int());
  head.url.clear();
  head.headers.clear();
  for (const auto& field : parser.get())
    head.headers[lower(field.name_string())] = std::string(field.value());

  const bool ok = head.status >= 200 && head.status < 300;
  chunk_.resize(kChunk);
  bool body_started = false;
  while (!parser.is_done()) {
    parser.get().body().data = chunk_.data();
    parser.get().body().size = chunk_.size();
    // Only waits past the first body byte get the stall timeout: an answer that came whole
    // with its head never pays the setsockopt calls to switch back and forth.
    if (body_started) set_receive_timeout(timeouts_.stall);
    bhttp::read_some(reader, buffer, parser, ec);
    if (ec == bhttp::error::need_buffer) ec = {};
    if (ec) fail("reading the body from", describe(ec));
    const size_t got = chunk_.size() - parser.get().body().size;
    body_started = body_started || got > 0;
    if (ok) {
      on_body(std::string_view(chunk_.data(), got));
    } else {
      head.error_body.append(chunk_.data(), std::min(got, kErrorBodyMax - head.error_body.size()));
      if (head.error_body.size() >= kErrorBodyMax) return End::kDone;
    }
  }
  // Bytes beyond the answer (a confused upstream) make the connection unfit for another request.
  reusable_ = parser.get().keep_alive() && buffer.size() == 0;
  last_used_ = std::chrono::steady_clock::now();
  return End::kDone;
}

}  // namespace junction::gateway
