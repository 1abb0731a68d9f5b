#include "api/responses_responder.h"

#include <stdexcept>

#include "http/api_error.h"

namespace junction::api {

using Json = nlohmann::ordered_json;

void ResponsesResponder::send(int status, std::string_view content_type, std::string body,
                              const std::vector<std::pair<std::string, std::string>>& headers) {
  if (status != 200 || content_type.find("json") == std::string_view::npos) {
    client_.send(status, content_type, std::move(body), headers);
    return;
  }
  Json response;
  try {
    response = response_from_chat(Json::parse(body, nullptr, /*allow_exceptions=*/false), request_);
  } catch (const std::exception& e) {
    client_.send(502, "application/json",
                 http::ApiError(502, std::string("The answer could not be translated: ") + e.what(),
                                "server_error")
                     .to_json());
    return;
  }
  if (on_response_) on_response_(response);
  client_.send(200, "application/json",
               response.dump(-1, ' ', false, Json::error_handler_t::replace), headers);
}

bool ResponsesResponder::start_stream(
    int status, std::string_view /*content_type*/,
    const std::vector<std::pair<std::string, std::string>>& headers) {
  client_gone_ = !client_.start_stream(status, "text/event-stream", headers);
  return !client_gone_;
}

bool ResponsesResponder::write(std::string_view data) {
  if (client_gone_) return false;
  std::string out;
  try {
    lines_.feed(data, [&](std::string_view line) {
      if (line.rfind("data:", 0) != 0) return;
      line.remove_prefix(5);
      if (!line.empty() && line.front() == ' ') line.remove_prefix(1);
      out += stream_.on_data(line);
    });
  } catch (const http::LineTooLong&) {
    out += stream_.on_data("{\"error\":{\"message\":\"The answer stream was malformed.\"}}");
  }
  if (stream_.ended() && !reported_ && !stream_.response().is_null() &&
      stream_.response()["status"] != "failed") {
    reported_ = true;
    if (on_response_) on_response_(stream_.response());
  }
  if (!out.empty() && !client_.write(out)) client_gone_ = true;
  return !client_gone_;
}

void ResponsesResponder::end() {
  if (!stream_.ended() && !client_gone_)
    client_.write(stream_.on_data(
        "{\"error\":{\"message\":\"The answer stream ended before the response did.\"}}"));
  client_.end();
}

}  // namespace junction::api
