// An HttpResponder that answers in the Responses API's shapes what a chat-completions handler
// writes: a 200 JSON body becomes a `response` object (responses_response.h), a stream becomes
// Responses events (responses_stream.h); errors keep OpenAI's shape, which the Responses API
// shares. Once the response is whole, `on_response` gets it (to keep its conversation for
// previous_response_id). Lines are bounded at 16 MiB.
#pragma once

#include <functional>
#include <string>

#include "api/responses_stream.h"
#include "http/http_server.h"
#include "http/line_splitter.h"

namespace junction::api {

class ResponsesResponder : public http::HttpResponder {
 public:
  using OnResponse = std::function<void(const nlohmann::ordered_json& response)>;
  ResponsesResponder(http::HttpResponder& client, nlohmann::ordered_json request,
                     OnResponse on_response)
      : client_(client),
        request_(request),
        stream_(std::move(request)),
        on_response_(std::move(on_response)) {}

  void send(int status, std::string_view content_type, std::string body,
            const std::vector<std::pair<std::string, std::string>>& headers = {}) override;
  bool start_stream(int status, std::string_view content_type,
                    const std::vector<std::pair<std::string, std::string>>& headers = {}) override;
  bool write(std::string_view data) override;
  void end() override;
  bool peer_closed() override { return client_.peer_closed(); }

 private:
  http::HttpResponder& client_;
  nlohmann::ordered_json request_;
  ResponsesStream stream_;
  OnResponse on_response_;
  http::LineSplitter lines_{16 << 20};
  bool client_gone_ = false, reported_ = false;
};

}  // namespace junction::api
