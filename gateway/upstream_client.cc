#include "gateway/upstream_client.h"

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
  o.read_timeout = std::chrono::milliseconds(provider.first_byte_timeout_ms);
  o.max_redirects = 0;
  o.user_agent = "junction-gateway";
  o.allow_plain_http = true;
  return std::make_unique<pull::HttpClient>(o);
}

void UpstreamClient::give_back(const ProviderConfig& provider,
                               std::unique_ptr<pull::HttpClient> client) {
  std::lock_guard lock(mutex_);
  auto& idle = idle_[provider.name];
  if (idle.size() < 64) idle.push_back(std::move(client));
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
  auto answer =
      client->post_text(provider.base_url + path, headers(provider), body, "application/json");
  give_back(provider, std::move(client));
  return answer;
}

pull::HttpResponseHead UpstreamClient::post_stream(const ProviderConfig& provider,
                                                   const std::string& path, const std::string& body,
                                                   const pull::HttpClient::LineSink& on_line) {
  auto client = take(provider);
  auto head = client->post_lines(provider.base_url + path, headers(provider), body,
                                 "application/json", on_line);
  give_back(provider, std::move(client));
  return head;
}

}  // namespace junction::gateway
