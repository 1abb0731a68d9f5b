// An HttpResponder that answers in the Messages API's shape what a chat-completions handler
// writes in OpenAI's: the engine server's and the gateway's /v1/messages run their one chat
// path with this in front of the client's responder. A 200 JSON body becomes a Messages answer
// (messages_response.h); a stream is cut into `data:` lines and each becomes Messages events
// (messages_stream.h); any other status is an error, answered in Anthropic's error shape
// (messages_error.h). Lines are bounded (a chunk longer than 16 MiB ends the stream with an
// error event).
#pragma once

#include <string>

#include "api/messages_stream.h"
#include "http/http_server.h"
#include "http/line_splitter.h"

namespace junction::api {

class MessagesResponder : public http::HttpResponder {
 public:
  explicit MessagesResponder(http::HttpResponder& client) : client_(client) {}

  void send(int status, std::string_view content_type, std::string body,
            const std::vector<std::pair<std::string, std::string>>& headers = {}) override;
  bool start_stream(int status, std::string_view content_type,
                    const std::vector<std::pair<std::string, std::string>>& headers = {}) override;
  bool write(std::string_view data) override;
  void end() override;
  bool peer_closed() override { return client_.peer_closed(); }

 private:
  http::HttpResponder& client_;
  http::LineSplitter lines_{16 << 20};
  MessagesStream stream_;
  bool client_gone_ = false;
};

}  // namespace junction::api
