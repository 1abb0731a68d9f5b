// Calls to an upstream provider's OpenAI-compatible API: POST base_url + path with the
// provider's key, whole (JSON) or line by line (SSE). Keeps a free list of pull::HttpClient
// objects per provider so the TLS context is built once per client, not per request; each
// request still opens its own connection (no keep-alive pooling yet).
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "gateway/config.h"
#include "pull/http_client.h"

namespace junction::gateway {

class UpstreamClient {
 public:
  // Non-2xx answers come back with their body in head.error_body (first 4 kB) or the text.
  std::pair<pull::HttpResponseHead, std::string> post_json(const ProviderConfig& provider,
                                                           const std::string& path,
                                                           const std::string& body);
  // Hands each line of a 2xx answer to on_line as it arrives; exceptions from on_line abort
  // the request and propagate. pull::NetworkError when the upstream fails or stalls.
  pull::HttpResponseHead post_stream(const ProviderConfig& provider, const std::string& path,
                                     const std::string& body,
                                     const pull::HttpClient::LineSink& on_line);

 private:
  std::unique_ptr<pull::HttpClient> take(const ProviderConfig& provider);
  void give_back(const ProviderConfig& provider, std::unique_ptr<pull::HttpClient> client);
  pull::HttpHeaders headers(const ProviderConfig& provider) const;

  std::mutex mutex_;
  std::map<std::string, std::vector<std::unique_ptr<pull::HttpClient>>> idle_;  // by provider
};

}  // namespace junction::gateway
