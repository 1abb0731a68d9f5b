#include "gateway/upstream_client.h"

#include <algorithm>

#include "http/line_splitter.h"
#include "http/url.h"

namespace junction::gateway {

std::unique_ptr<http::HttpClient> UpstreamClient::take(const ProviderConfig& provider) {
  {
    std::lock_guard lock(mutex_);
    auto& idle = idle_[provider.name];
    if (!idle.empty()) {
      auto client = std::move(idle.back());
      idle.pop_back();
      return client;
    }
  }
  http::HttpClientOptions o;
  o.connect_timeout = std::chrono::milliseconds(provider.connect_timeout_ms);
  o.first_byte_timeout = std::chrono::milliseconds(provider.first_byte_timeout_ms);
  o.read_timeout = std::chrono::milliseconds(provider.stall_timeout_ms);
  o.keep_alive = provider.max_idle_connections > 0;
  o.max_redirects = 0;
  o.user_agent = "junction-gateway";
  o.allow_plain_http = true;
  return std::make_unique<http::HttpClient>(o);
}

void UpstreamClient::give_back(const ProviderConfig& provider,
                               std::unique_ptr<http::HttpClient> client, int64_t reused_before) {
  std::lock_guard lock(mutex_);
  reused_[provider.name] += client->reused_connections() - reused_before;
  auto& idle = idle_[provider.name];
  // Clients without a connection go to the bottom so that warm ones are taken first; beyond
  // the bound a client (and its connection) is dropped.
  const bool warm = client->has_idle_connection();
  if (static_cast<int64_t>(idle.size()) >= std::max<int64_t>(provider.max_idle_connections, 1)) {
    if (!warm || idle.front()->has_idle_connection()) return;
    idle.erase(idle.begin());
  }
  if (warm)
    idle.push_back(std::move(client));
  else
    idle.insert(idle.begin(), std::move(client));
}

namespace {

bool is_plain(const ProviderConfig& provider) {
  return provider.base_url.rfind("http://", 0) == 0;
}

UpstreamTimeouts timeouts(const ProviderConfig& provider) {
  UpstreamTimeouts t;
  t.connect = std::chrono::milliseconds(provider.connect_timeout_ms);
  t.first_byte =
      std::chrono::milliseconds(provider.first_byte_timeout_ms > 0 ? provider.first_byte_timeout_ms
                                                                   : provider.stall_timeout_ms);
  t.stall = std::chrono::milliseconds(provider.stall_timeout_ms);
  return t;
}

// Kept connections idle longer than this are closed rather than reused (as http::HttpClient).
constexpr auto kIdleTimeout = std::chrono::seconds(30);

}  // namespace

std::unique_ptr<UpstreamConnection> UpstreamClient::take_plain(const ProviderConfig& provider) {
  std::lock_guard lock(mutex_);
  auto& idle = idle_plain_[provider.name];
  const auto now = std::chrono::steady_clock::now();
  while (!idle.empty()) {
    auto c = std::move(idle.back());
    idle.pop_back();
    if (now - c->last_used() <= kIdleTimeout) {
      ++reused_[provider.name];
      return c;
    }
  }
  return nullptr;
}

void UpstreamClient::give_back_plain(const ProviderConfig& provider,
                                     std::unique_ptr<UpstreamConnection> c) {
  if (!c->reusable() || provider.max_idle_connections <= 0) return;
  std::lock_guard lock(mutex_);
  auto& idle = idle_plain_[provider.name];
  if (static_cast<int64_t>(idle.size()) >= provider.max_idle_connections)
    idle.erase(idle.begin());  // the least recently used
  idle.push_back(std::move(c));
}

http::HttpResponseHead UpstreamClient::exchange_plain(
    const ProviderConfig& provider, const std::string& path, const std::string& body,
    const std::function<void(std::string_view)>& on_body) {
  const http::Url url = http::parse_url(provider.base_url + path);
  std::string request;
  request.reserve(512 + body.size());
  request.append("POST ").append(url.target).append(" HTTP/1.1\r\nHost: ").append(url.host);
  if (url.port != "80") request.append(":").append(url.port);
  request.append("\r\nUser-Agent: junction-gateway\r\nAccept-Encoding: identity\r\n");
  if (provider.max_idle_connections <= 0) request.append("Connection: close\r\n");
  for (const auto& [name, value] : headers(provider))
    request.append(name).append(": ").append(value).append("\r\n");
  request.append("Content-Type: application/json\r\nContent-Length: ")
      .append(std::to_string(body.size()))
      .append("\r\n\r\n")
      .append(body);
  http::HttpResponseHead head;
  if (auto kept = take_plain(provider)) {
    if (kept->exchange(request, head, on_body) == UpstreamConnection::End::kDone) {
      head.url = url.str();
      give_back_plain(provider, std::move(kept));
      return head;
    }
  }
  auto fresh = std::make_unique<UpstreamConnection>(url, timeouts(provider));
  fresh->exchange(request, head, on_body);
  head.url = url.str();
  give_back_plain(provider, std::move(fresh));
  return head;
}

size_t UpstreamClient::idle_connections(const std::string& provider) {
  std::lock_guard lock(mutex_);
  size_t n = idle_plain_[provider].size();
  for (const auto& c : idle_[provider]) n += c->has_idle_connection() ? 1 : 0;
  return n;
}

int64_t UpstreamClient::reused_connections(const std::string& provider) {
  std::lock_guard lock(mutex_);
  return reused_[provider];
}

http::HttpHeaders UpstreamClient::headers(const ProviderConfig& provider) const {
  http::HttpHeaders h = {{"Accept", "application/json, text/event-stream"}};
  if (provider.kind == "anthropic") {
    h.emplace_back("anthropic-version", "2023-06-01");
    if (!provider.api_key.empty()) h.emplace_back("x-api-key", provider.api_key);
    return h;
  }
  if (!provider.api_key.empty()) h.emplace_back("Authorization", "Bearer " + provider.api_key);
  return h;
}

std::pair<http::HttpResponseHead, std::string> UpstreamClient::post_json(
    const ProviderConfig& provider, const std::string& path, const std::string& body) {
  if (is_plain(provider)) {
    constexpr size_t kMaxBytes = size_t{64} << 20;
    std::string text;
    auto head = exchange_plain(provider, path, body, [&](std::string_view piece) {
      if (text.size() + piece.size() > kMaxBytes)
        throw Error(provider.base_url + path + " answered with more than " +
                    std::to_string(kMaxBytes) + " bytes");
      text.append(piece);
    });
    return {std::move(head), std::move(text)};
  }
  auto client = take(provider);
  const int64_t reused_before = client->reused_connections();
  auto answer =
      client->post_text(provider.base_url + path, headers(provider), body, "application/json");
  give_back(provider, std::move(client), reused_before);
  return answer;
}

http::HttpResponseHead UpstreamClient::post_stream(const ProviderConfig& provider,
                                                   const std::string& path, const std::string& body,
                                                   const http::HttpClient::LineSink& on_line) {
  if (is_plain(provider)) {
    http::LineSplitter lines(static_cast<size_t>(provider.max_event_bytes));
    auto head = exchange_plain(provider, path, body,
                               [&](std::string_view piece) { lines.feed(piece, on_line); });
    if (!lines.rest().empty() && head.status >= 200 && head.status < 300) on_line(lines.rest());
    return head;
  }
  auto client = take(provider);
  const int64_t reused_before = client->reused_connections();
  auto head =
      client->post_lines(provider.base_url + path, headers(provider), body, "application/json",
                         on_line, static_cast<size_t>(provider.max_event_bytes));
  give_back(provider, std::move(client), reused_before);
  return head;
}

}  // namespace junction::gateway
