// libFuzzer target: the api layer's outbound translations on what an upstream sends. The gateway
// serves Messages and Responses over OpenAI-compatible upstreams, so the chat completions and
// chunk streams that MessagesResponder and ResponsesResponder translate are outside input. The
// input goes through each responder twice: whole, as a JSON answer (send), and as a streamed
// answer cut into two writes at a point the first byte picks (start_stream, write, end). Both
// must answer something (a translation or a 502 / an error event) without throwing; a crash, an
// exception or a sanitizer report is a bug.
//   build-fuzz/fuzz/api_response_fuzz -max_len=1048576 -max_total_time=600
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "api/messages_responder.h"
#include "api/responses_responder.h"
#include "http/http_server.h"

namespace {

// The client: takes everything, keeps nothing.
class NullClient : public junction::http::HttpResponder {
 public:
  void send(int, std::string_view, std::string,
            const std::vector<std::pair<std::string, std::string>>&) override {}
  bool start_stream(int, std::string_view,
                    const std::vector<std::pair<std::string, std::string>>&) override {
    return true;
  }
  bool write(std::string_view) override { return true; }
  void end() override {}
  bool peer_closed() override { return false; }
};

void run(junction::http::HttpResponder& responder, std::string_view text, size_t cut, bool stream) {
  if (!stream) {
    responder.send(200, "application/json", std::string(text));
    return;
  }
  responder.start_stream(200, "text/event-stream");
  responder.write(text.substr(0, cut));
  responder.write(text.substr(cut));
  responder.end();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const size_t cut = size == 0 ? 0 : data[0] % (size + 1);
  using namespace junction::api;
  const nlohmann::ordered_json request = {{"model", "m"}, {"input", "hi"}};
  for (const bool stream : {false, true}) {
    NullClient client;
    MessagesResponder messages(client);
    run(messages, text, cut, stream);
    ResponsesResponder responses(client, request, [](const nlohmann::ordered_json& r) {
      (void)r.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
    });
    run(responses, text, cut, stream);
  }
  return 0;
}
