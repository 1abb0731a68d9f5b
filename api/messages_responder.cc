#include "api/messages_responder.h"

#include <stdexcept>

#include "api/messages_error.h"
#include "api/messages_response.h"

namespace junction::api {

void MessagesResponder::send(int status, std::string_view content_type, std::string body,
                             const std::vector<std::pair<std::string, std::string>>& headers) {
  if (status != 200) {
    client_.send(status, "application/json", messages_error_from_openai(status, body), headers);
    return;
  }
  if (content_type.find("json") == std::string_view::npos) {
    client_.send(status, content_type, std::move(body), headers);
    return;
  }
  const nlohmann::ordered_json chat =
      nlohmann::ordered_json::parse(body, nullptr, /*allow_exceptions=*/false);
  std::string message;
  try {
    message = message_from_chat(chat).dump(-1, ' ', false,
                                           nlohmann::ordered_json::error_handler_t::replace);
  } catch (const std::exception& e) {
    client_.send(
        502, "application/json",
        messages_error_json(502, std::string("The answer could not be translated: ") + e.what()));
    return;
  }
  client_.send(200, "application/json", std::move(message), headers);
}

bool MessagesResponder::start_stream(
    int status, std::string_view /*content_type*/,
    const std::vector<std::pair<std::string, std::string>>& headers) {
  client_gone_ = !client_.start_stream(status, "text/event-stream", headers);
  return !client_gone_;
}

bool MessagesResponder::write(std::string_view data) {
  if (client_gone_) return false;
  std::string out;
  try {
    lines_.feed(data, [&](std::string_view line) {
      if (line.rfind("data:", 0) != 0) return;  // blank separators, comments
      line.remove_prefix(5);
      if (!line.empty() && line.front() == ' ') line.remove_prefix(1);
      out += stream_.on_data(line);
    });
  } catch (const http::LineTooLong&) {
    out += stream_.on_data("{\"error\":{\"message\":\"The answer stream was malformed.\"}}");
  }
  if (!out.empty() && !client_.write(out)) client_gone_ = true;
  return !client_gone_;
}

void MessagesResponder::end() {
  // A stream that stopped without its end ([DONE]) failed: the client must not take it for a
  // whole answer.
  if (!stream_.ended() && !client_gone_)
    client_.write(stream_.on_data(
        "{\"error\":{\"message\":\"The answer stream ended before the message did.\"}}"));
  client_.end();
}

}  // namespace junction::api
