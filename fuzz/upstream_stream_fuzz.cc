// libFuzzer target: what an upstream answers, as the gateway and `junction bench` read it. Each
// line of the input is one SSE event's data, fed in order to the gateway's AnthropicStream (an
// Anthropic upstream's stream -> OpenAI chunks), to the gateway's stream event rewrite
// (answer_rewrite.h) and to compare's parse_sse_line (a benchmarked server's stream); the whole
// input is also an Anthropic message (-> an OpenAI completion), a whole answer through the
// gateway's rewrite (both dialects, usage clamped and charged) and an Anthropic error body. An
// upstream is outside input: a crash, any exception or a sanitizer report is a bug.
//   build-fuzz/fuzz/upstream_stream_fuzz -max_len=1048576 -max_total_time=600
#include <cstddef>
#include <cstdint>
#include <string_view>

#include <nlohmann/json.hpp>

#include "compare/sse_event.h"
#include "gateway/answer_rewrite.h"
#include "gateway/anthropic_response.h"
#include "gateway/anthropic_stream.h"
#include "http/api_error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  using namespace junction;
  gateway::AnthropicStream stream(1700000000);
  const gateway::AnswerIds ids{"gen-000000000000000000000000", "m", "p", 1700000000, true};
  const gateway::Price price{3.0, 15.0, 0.3};
  gateway::ReservationSize reserved;
  reserved.max_tokens = 4096;
  reserved.prompt_tokens = 100000;
  reserved.completion_tokens = 4096;
  reserved.total_tokens = 104096;
  reserved.cost = 400'000'000;
  for (size_t pos = 0; pos <= text.size();) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    const std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    if (!stream.finished()) (void)stream.on_event(line);
    (void)gateway::rewrite_stream_event(line, ids);
    (void)compare::parse_sse_line(line);
  }
  for (const bool anthropic : {false, true}) {
    const gateway::WholeAnswer a =
        gateway::rewrite_whole_answer(text, anthropic, ids, price, reserved, 1000);
    if (a.error.empty() && (a.charge.cost < 0 || a.charge.cost > reserved.cost)) __builtin_trap();
  }
  (void)gateway::openai_error_from_anthropic(529, text);
  const nlohmann::json message = nlohmann::json::parse(text, nullptr, false);
  if (!message.is_discarded()) {
    try {
      (void)gateway::openai_completion_from_anthropic(message, 1700000000).dump();
    } catch (const http::ApiError&) {
    }
  }
  return 0;
}
