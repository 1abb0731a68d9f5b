#include "gateway/upstream_client.h"

#include <algorithm>

namespace junction::gateway {

std::unique_ptr<pull::HttpClient> UpstreamClient::take(const ProviderConfig& provider) {
  {
    std::lock_guard lock(mutex_);
    auto& idle = idle_[provider.name];
    if (!idle.empty()) {
      auto client = std::move(idle.back());
      idle.pop_back();
      return client;
    }
  }
  pull::HttpClientOptions o;
  o.connect_timeout = std::chrono::milliseconds(provider.connect_timeout_ms);
  o.first_byte_timeout = std::chrono::milliseconds(provider.first_byte_timeout_ms);
  o.read_timeout = std::chrono::milliseconds(provider.stall_timeout_ms);
  o.keep_alive = provider.max_idle_connections > 0;
  o.max_redirects = 0;
  o.user_agent = "junction-gateway";
  o.allow_plain_http = true;
  return std::make_unique<pull::HttpClient>(o);
}

void UpstreamClient::give_back(const ProviderConfig& provider,
                               std::unique_ptr<pull::HttpClient> client, int64_t reused_before) {
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

size_t UpstreamClient::idle_connections(const std::string& provider) {
  std::lock_guard lock(mutex_);
  size_t n = 0;
  for (const auto& c : idle_[provider]) n += c->has_idle_connection() ? 1 : 0;
  return n;
}

int64_t UpstreamClient::reused_connections(const std::string& provider) {
  std::lock_guard lock(mutex_);
  return reused_[provider];
}

pull::HttpHeaders UpstreamClient::headers(const ProviderConfig& provider) const {
  pull::HttpHeaders h = {{"Accept", "application/json, text/event-stream"}};
  if (provider.kind == "anthropic") {
    h.emplace_back("anthropic-version", "2023-06-01");
    if (!provider.api_key.empty()) h.emplace_back("x-api-key", provider.api_key);
    return h;
  }
  if (!provider.api_key.empty()) h.emplace_back("Authorization", "Bearer " + provider.api_key);
  return h;
}

std::pair<pull::HttpResponseHead, std::string> UpstreamClient::post_json(
    const ProviderConfig& provider, const std::string& path, const std::string& body) {
  auto client = take(provider);
  const int64_t reused_before = client->reused_connections();
  auto answer =
      client->post_text(provider.base_url + path, headers(provider), body, "application/json");
  give_back(provider, std::move(client), reused_before);
  return answer;
}

pull::HttpResponseHead UpstreamClient::post_stream(const ProviderConfig& provider,
                                                   const std::string& path, const std::string& body,
                                                   const pull::HttpClient::LineSink& on_line) {
  auto client = take(provider);
  const int64_t reused_before = client->reused_connections();
  auto head = client->post_lines(provider.base_url + path, headers(provider), body,
                                 "application/json", on_line);
  give_back(provider, std::move(client), reused_before);
  return head;
}

}  // namespace junction::gateway
