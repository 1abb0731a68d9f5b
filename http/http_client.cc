// Each request runs as one C++20 coroutine on a private io_context: resolve, connect,
// (TLS handshake) unless a kept connection to the same origin is still open, write, read the
// head, then the body in 256 kB pieces straight into the caller's sink. Coroutines give per-step
// timeouts (beast::tcp_stream expiry only applies to asynchronous operations) while the code still
// reads top to bottom.
#include "http/http_client.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <openssl/ssl.h>
#include <poll.h>

#include <algorithm>
#include <cctype>
#include <exception>
#include <optional>
#include <vector>

#include "http/line_splitter.h"
#include "http/url.h"

namespace junction::http {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;

constexpr size_t kChunk = 256 * 1024;   // bytes per body read
constexpr size_t kErrorBodyMax = 4096;  // bytes of a non-2xx body kept for messages

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool is_redirect(int status) {
  return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

std::string describe(const beast::error_code& ec) {
  if (ec == beast::error::timeout) return "timed out";
  return ec.message();
}

[[noreturn]] void fail(const Url& url, std::string_view step, const beast::error_code& ec) {
  std::string what = describe(ec);
  if (what.find("certificate verify failed") != std::string::npos)
    what += " (is the system CA store installed? Debian: ca-certificates)";
  throw NetworkError(url.host,
                     std::string(step) + " " + url.host + ":" + url.port + " failed: " + what,
                     step.starts_with("reading"));
}

// One request/response exchange on a connected stream (plain or TLS).
struct Exchange {
  const Url& url;
  const HttpHeaders& headers;
  const std::string& user_agent;
  std::chrono::milliseconds first_byte_timeout;  // request sent -> head received
  std::chrono::milliseconds read_timeout;        // between body reads
  const HttpClient::HeadHandler& on_head;
  const HttpClient::BodySink& on_body;
  HttpResponseHead& head;                  // status and headers filled in here
  const std::string* post_body = nullptr;  // a POST with this body; GET when null
  std::string content_type = {};
  bool stream = false;  // hand each read's bytes on as they arrive (read_some, not a full chunk)
  bool keep_alive = false;             // ask for a persistent connection
  bool reused = false;                 // the stream served an earlier request
  std::vector<char>* chunk = nullptr;  // the client's body buffer, kChunk bytes, reused
};

struct ExchangeEnd {
  // A reused connection failed before any byte of the answer arrived: the server closed it
  // while idle. Nothing was reported to the caller; sending again on a new one is safe.
  bool stale = false;
  bool reusable = false;  // the answer was read to its end and the server keeps the connection
};

// Errors that mean the peer closed a kept connection (not a timeout, not a bad answer).
bool closed_by_peer(const beast::error_code& ec) {
  return ec == bhttp::error::end_of_stream || ec == asio::error::eof ||
         ec == asio::error::connection_reset || ec == asio::error::broken_pipe ||
         ec == asio::error::connection_aborted || ec == ssl::error::stream_truncated;
}

template <class Stream>
asio::awaitable<ExchangeEnd> exchange(Stream& stream, Exchange x) {
  beast::error_code ec;
  auto& tcp_layer = beast::get_lowest_layer(stream);
  bhttp::request<bhttp::string_body> req{x.post_body ? bhttp::verb::post : bhttp::verb::get,
                                         x.url.target, 11};
  const bool default_port = x.url.port == (x.url.is_https() ? "443" : "80");
  req.set(bhttp::field::host, x.url.host + (default_port ? "" : ":" + x.url.port));
  req.set(bhttp::field::user_agent, x.user_agent);
  req.set(bhttp::field::accept_encoding, "identity");
  if (!x.keep_alive) req.set(bhttp::field::connection, "close");
  for (const auto& [name, value] : x.headers) req.set(name, value);
  if (x.post_body) {
    req.set(bhttp::field::content_type, x.content_type);
    req.body() = *x.post_body;
    req.prepare_payload();
  }
  // One deadline for sending the request and receiving the head and the first byte of the body
  // (for a stream: the first token); after that, read_timeout bounds each gap (a stall).
  const auto first_byte_deadline = std::chrono::steady_clock::now() + x.first_byte_timeout;
  tcp_layer.expires_at(first_byte_deadline);
  co_await bhttp::async_write(stream, req, asio::redirect_error(asio::use_awaitable, ec));
  if (ec && x.reused && closed_by_peer(ec)) co_return ExchangeEnd{.stale = true};
  if (ec) fail(x.url, "sending the request to", ec);

  beast::flat_buffer buffer;
  bhttp::response_parser<bhttp::buffer_body> parser;
  parser.body_limit(boost::none);
  parser.header_limit(64 * 1024);
  co_await bhttp::async_read_header(stream, buffer, parser,
                                    asio::redirect_error(asio::use_awaitable, ec));
  if (ec && x.reused && closed_by_peer(ec) && !parser.got_some() && buffer.size() == 0)
    co_return ExchangeEnd{.stale = true};
  if (ec) fail(x.url, "reading the response from", ec);
  x.head.status = static_cast<int>(parser.get().result_int());
  x.head.url = x.url.str();
  x.head.headers.clear();
  for (const auto& field : parser.get())
    x.head
        .headers[lower(std::string_view(field.name_string().data(), field.name_string().size()))] =
        std::string(field.value());
  if (is_redirect(x.head.status)) co_return ExchangeEnd{};

  const bool ok = x.head.status >= 200 && x.head.status < 300;
  if (ok && !x.on_head(x.head)) co_return ExchangeEnd{};
  std::vector<char>& chunk = *x.chunk;
  bool body_started = false;
  while (!parser.is_done()) {
    parser.get().body().data = chunk.data();
    parser.get().body().size = chunk.size();
    if (body_started)
      tcp_layer.expires_after(x.read_timeout);
    else
      tcp_layer.expires_at(first_byte_deadline);
    if (x.stream)
      co_await bhttp::async_read_some(stream, buffer, parser,
                                      asio::redirect_error(asio::use_awaitable, ec));
    else
      co_await bhttp::async_read(stream, buffer, parser,
                                 asio::redirect_error(asio::use_awaitable, ec));
    if (ec == bhttp::error::need_buffer) ec = {};
    if (ec && !(ec == ssl::error::stream_truncated && parser.is_done()))
      fail(x.url, "reading the body from", ec);
    const size_t got = chunk.size() - parser.get().body().size;
    body_started = body_started || got > 0;
    if (ok) {
      x.on_body(std::string_view(chunk.data(), got));
    } else {
      x.head.error_body.append(chunk.data(),
                               std::min(got, kErrorBodyMax - x.head.error_body.size()));
      if (x.head.error_body.size() >= kErrorBodyMax) co_return ExchangeEnd{};
    }
  }
  // Bytes beyond the answer (a confused server) make the connection unfit for another request.
  co_return ExchangeEnd{.reusable =
                            x.keep_alive && parser.get().keep_alive() && buffer.size() == 0};
}

// True when a kept connection shows input while idle: the server closed it (EOF) or sent
// something unasked; either way it must not carry another request.
bool readable_while_idle(int fd) {
  pollfd p{fd, POLLIN | POLLRDHUP, 0};
  return ::poll(&p, 1, 0) != 0;
}

}  // namespace

std::string HttpResponseHead::header(std::string_view name) const {
  const auto it = headers.find(lower(name));
  return it == headers.end() ? "" : it->second;
}

std::string HttpResponseHead::header_anywhere(std::string_view name) const {
  const std::string key = lower(name);
  for (const auto& hop : redirect_headers)
    if (const auto it = hop.find(key); it != hop.end()) return it->second;
  return header(name);
}

struct HttpClient::Impl {
  HttpClientOptions options;
  asio::io_context ioc;
  ssl::context tls{ssl::context::tls_client};

  // The connection kept after the last answer (keep_alive): plain or TLS, to `origin`.
  struct Kept {
    std::string origin;  // scheme://host:port
    std::unique_ptr<beast::tcp_stream> plain;
    std::unique_ptr<beast::ssl_stream<beast::tcp_stream>> tls;
    std::chrono::steady_clock::time_point since;
  };
  std::optional<Kept> kept;
  int64_t n_reused = 0;
  // Allocated (and zeroed) once per client: a fresh 256 kB buffer per request was a visible
  // share of the gateway's time per request.
  std::vector<char> chunk = std::vector<char>(kChunk);

  static std::string origin_of(const Url& url) {
    return url.scheme + "://" + url.host + ":" + url.port;
  }

  // The kept connection to url's origin, if it is still fit for a request; else none.
  std::optional<Kept> take_kept(const Url& url) {
    if (!kept) return std::nullopt;
    Kept k = std::move(*kept);
    kept.reset();
    const int fd = k.tls ? beast::get_lowest_layer(*k.tls).socket().native_handle()
                         : k.plain->socket().native_handle();
    if (k.origin != origin_of(url) ||
        std::chrono::steady_clock::now() - k.since > options.idle_timeout ||
        readable_while_idle(fd))
      return std::nullopt;
    return k;
  }

  void keep(Kept k) {
    k.since = std::chrono::steady_clock::now();
    kept = std::move(k);
  }

  asio::awaitable<Kept> connect(const Url& url) {
    beast::error_code ec;
    // Resolved on this thread: asio's async_resolve hands getaddrinfo to a helper thread and
    // back, two context switches per connection for the same blocking call.
    tcp::resolver resolver(ioc);
    const auto endpoints = resolver.resolve(url.host, url.port, ec);
    if (ec) fail(url, "resolving", ec);
    auto stream = std::make_unique<beast::tcp_stream>(ioc);
    stream->expires_after(options.connect_timeout);
    co_await stream->async_connect(endpoints, asio::redirect_error(asio::use_awaitable, ec));
    if (ec) fail(url, "connecting to", ec);
    stream->socket().set_option(tcp::no_delay(true), ec);
    Kept k{origin_of(url), nullptr, nullptr, {}};
    if (!url.is_https()) {
      k.plain = std::move(stream);
      co_return k;
    }
    k.tls = std::make_unique<beast::ssl_stream<beast::tcp_stream>>(std::move(*stream), tls);
    if (!SSL_set_tlsext_host_name(k.tls->native_handle(), url.host.c_str()))
      throw NetworkError(url.host, "cannot set TLS server name for " + url.host);
    k.tls->set_verify_mode(ssl::verify_peer);
    k.tls->set_verify_callback(ssl::host_name_verification(url.host));
    beast::get_lowest_layer(*k.tls).expires_after(options.connect_timeout);
    co_await k.tls->async_handshake(ssl::stream_base::client,
                                    asio::redirect_error(asio::use_awaitable, ec));
    if (ec) fail(url, "TLS handshake with", ec);
    co_return k;
  }

  static asio::awaitable<ExchangeEnd> exchange_on(Kept& k, const Exchange& x) {
    if (k.tls) co_return co_await exchange(*k.tls, x);
    co_return co_await exchange(*k.plain, x);
  }

  asio::awaitable<void> fetch(const Url& url, const HttpHeaders& headers,
                              const HeadHandler& on_head, const BodySink& on_body,
                              HttpResponseHead& head, const std::string* post_body,
                              std::string content_type, bool streaming) {
    const auto first_byte =
        options.first_byte_timeout.count() > 0 ? options.first_byte_timeout : options.read_timeout;
    Exchange x{url,
               headers,
               options.user_agent,
               first_byte,
               options.read_timeout,
               on_head,
               on_body,
               head,
               post_body,
               std::move(content_type),
               streaming,
               options.keep_alive};
    x.chunk = &chunk;
    if (std::optional<Kept> k = take_kept(url)) {
      x.reused = true;
      ++n_reused;
      const ExchangeEnd end = co_await exchange_on(*k, x);
      if (!end.stale) {
        if (end.reusable) keep(std::move(*k));
        co_return;
      }
      x.reused = false;  // the server had closed it: once more, on a new connection
    }
    Kept k = co_await connect(url);
    const ExchangeEnd end = co_await exchange_on(k, x);
    if (end.reusable) keep(std::move(k));
  }

  // Runs one fetch to completion on this thread; rethrows what the coroutine threw.
  void run(const Url& url, const HttpHeaders& headers, const HeadHandler& on_head,
           const BodySink& on_body, HttpResponseHead& head, const std::string* post_body = nullptr,
           std::string content_type = {}, bool stream = false) {
    std::exception_ptr failure;
    asio::co_spawn(
        ioc,
        fetch(url, headers, on_head, on_body, head, post_body, std::move(content_type), stream),
        [&failure](std::exception_ptr e) { failure = e; });
    ioc.restart();
    ioc.run();
    if (failure) std::rethrow_exception(failure);
  }
};

HttpClient::HttpClient(HttpClientOptions options) : impl_(std::make_unique<Impl>()) {
  impl_->options = std::move(options);
  impl_->tls.set_default_verify_paths();
}

HttpClient::~HttpClient() = default;

bool HttpClient::has_idle_connection() const {
  return impl_->kept.has_value();
}

int64_t HttpClient::reused_connections() const {
  return impl_->n_reused;
}

HttpResponseHead HttpClient::get(const std::string& url_text, const HttpHeaders& headers,
                                 const HeadHandler& on_head, const BodySink& on_body) {
  Url url = parse_url(url_text);
  const std::string first_host = url.host;
  HttpResponseHead head;
  for (int hop = 0;; ++hop) {
    if (!url.is_https() && !is_loopback_host(url.host) && !impl_->options.allow_plain_http)
      throw Error("refusing plain http to " + url.host + " (" + url.str() +
                  "): use https; plain http is only allowed to this machine");
    HttpHeaders sent;
    for (const auto& h : headers)
      if (url.host == first_host || lower(h.first) != "authorization") sent.push_back(h);
    impl_->run(url, sent, on_head, on_body, head);
    if (!is_redirect(head.status)) return head;
    const std::string location = head.header("location");
    if (location.empty())
      throw Error("HTTP " + std::to_string(head.status) + " from " + url.str() +
                  " without a Location");
    if (hop + 1 > impl_->options.max_redirects)
      throw Error("more than " + std::to_string(impl_->options.max_redirects) +
                  " redirects starting at " + url_text);
    head.redirect_headers.push_back(head.headers);
    url = resolve_location(url, location);
  }
}

std::pair<HttpResponseHead, std::string> HttpClient::get_text(const std::string& url,
                                                              const HttpHeaders& headers,
                                                              size_t max_bytes) {
  std::string body;
  auto head = get(
      url, headers, [](const HttpResponseHead&) { return true; },
      [&](std::string_view chunk) {
        if (body.size() + chunk.size() > max_bytes)
          throw Error(url + " answered with more than " + std::to_string(max_bytes) + " bytes");
        body.append(chunk);
      });
  return {std::move(head), std::move(body)};
}

std::pair<HttpResponseHead, std::string> HttpClient::post_text(const std::string& url_text,
                                                               const HttpHeaders& headers,
                                                               const std::string& body,
                                                               const std::string& content_type,
                                                               size_t max_bytes) {
  const Url url = parse_url(url_text);
  if (!url.is_https() && !is_loopback_host(url.host) && !impl_->options.allow_plain_http)
    throw Error("refusing plain http to " + url.host + " (" + url.str() +
                "): use https; plain http is only allowed to this machine");
  std::string answer;
  HttpResponseHead head;
  impl_->run(
      url, headers, [](const HttpResponseHead&) { return true; },
      [&](std::string_view chunk) {
        if (answer.size() + chunk.size() > max_bytes)
          throw Error(url_text + " answered with more than " + std::to_string(max_bytes) +
                      " bytes");
        answer.append(chunk);
      },
      head, &body, content_type);
  return {std::move(head), std::move(answer)};
}

HttpResponseHead HttpClient::post_lines(const std::string& url_text, const HttpHeaders& headers,
                                        const std::string& body, const std::string& content_type,
                                        const LineSink& on_line, size_t max_line) {
  const Url url = parse_url(url_text);
  if (!url.is_https() && !is_loopback_host(url.host) && !impl_->options.allow_plain_http)
    throw Error("refusing plain http to " + url.host + " (" + url.str() +
                "): use https; plain http is only allowed to this machine");
  LineSplitter lines(max_line);
  HttpResponseHead head;
  impl_->run(
      url, headers, [](const HttpResponseHead&) { return true; },
      [&](std::string_view chunk) { lines.feed(chunk, on_line); }, head, &body, content_type,
      /*stream=*/true);
  if (!lines.rest().empty() && head.status >= 200 && head.status < 300) on_line(lines.rest());
  return head;
}

}  // namespace junction::http
