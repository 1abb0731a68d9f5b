// Calls to an upstream provider's OpenAI-compatible API: POST base_url + path with the
// provider's key, whole (JSON) or line by line (SSE). Each provider has a pool of idle
// keep-alive HTTP/1.1 connections, most recently used first, at most `max_idle_connections`:
// plain-http providers (engines, mirrors) use UpstreamConnection (blocking sockets with kernel
// timeouts: the cheap path), https ones http::HttpClient objects, each holding one connection
// and its TLS session. A connection whose request failed (or was not read to its end) closes.
// A kept connection the upstream closed while idle is replaced and the request sent again once.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "gateway/config.h"
#include "gateway/upstream_connection.h"
#include "http/http_client.h"

namespace junction::gateway {

class UpstreamClient {
 public:
  // Non-2xx answers come back with their body in head.error_body (first 4 kB) or the text.
  std::pair<http::HttpResponseHead, std::string> post_json(const ProviderConfig& provider,
                                                           const std::string& path,
                                                           const std::string& body);
  // Hands each line of a 2xx answer to on_line as it arrives; exceptions from on_line abort
  // the request and propagate. http::NetworkError when the upstream fails or stalls.
  http::HttpResponseHead post_stream(const ProviderConfig& provider, const std::string& path,
                                     const std::string& body,
                                     const http::HttpClient::LineSink& on_line);

 private:
  // Plain http: sends on a kept connection (a fresh one if it proves stale) or a new one.
  http::HttpResponseHead exchange_plain(const ProviderConfig& provider, const std::string& path,
                                        const std::string& body,
                                        const std::function<void(std::string_view)>& on_body);
  std::unique_ptr<UpstreamConnection> take_plain(const ProviderConfig& provider);
  void give_back_plain(const ProviderConfig& provider, std::unique_ptr<UpstreamConnection> c);

  std::unique_ptr<http::HttpClient> take(const ProviderConfig& provider);
  // reused_before: the client's reused_connections() when it was taken.
  void give_back(const ProviderConfig& provider, std::unique_ptr<http::HttpClient> client,
                 int64_t reused_before);
  http::HttpHeaders headers(const ProviderConfig& provider) const;

 public:
  // Idle connections kept for a provider now, and requests sent on a reused connection so far.
  size_t idle_connections(const std::string& provider);
  int64_t reused_connections(const std::string& provider);

 private:
  std::mutex mutex_;
  std::map<std::string, std::vector<std::unique_ptr<http::HttpClient>>> idle_;  // by provider
  std::map<std::string, std::vector<std::unique_ptr<UpstreamConnection>>> idle_plain_;
  std::map<std::string, int64_t> reused_;  // by provider, from clients given back
};

}  // namespace junction::gateway
