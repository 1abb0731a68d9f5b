#include "compare/bench_client.h"

#include <nlohmann/json.hpp>

#include "compare/sse_event.h"
#include "core/error.h"

namespace junction::compare {

std::string strip_base_url(std::string url) {
  while (!url.empty() && url.back() == '/') url.pop_back();
  if (url.size() >= 3 && url.compare(url.size() - 3, 3, "/v1") == 0) url.resize(url.size() - 3);
  return url;
}

std::string bench_request_body(const BenchEndpoint& e, const std::string& prompt,
                               int64_t max_tokens) {
  nlohmann::ordered_json j = {{"model", e.model}};
  if (e.api == "chat")
    j["messages"] = {{{"role", "user"}, {"content", prompt}}};
  else
    j["prompt"] = prompt;
  j["max_tokens"] = max_tokens;
  j["temperature"] = 0;
  j["stream"] = true;
  j["stream_options"] = {{"include_usage", true}};
  if (e.ignore_eos) j["ignore_eos"] = true;
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

RequestRecord send_bench_request(http::HttpClient& client, const BenchEndpoint& e,
                                 const std::string& prompt, int64_t max_tokens) {
  using Clock = std::chrono::steady_clock;
  RequestRecord r;
  const std::string path = e.api == "chat" ? "/v1/chat/completions" : "/v1/completions";
  http::HttpHeaders headers = {{"Accept", "text/event-stream"}};
  if (!e.api_key.empty()) headers.push_back({"Authorization", "Bearer " + e.api_key});
  const std::string body = bench_request_body(e, prompt, max_tokens);
  int64_t text_chunks = 0;
  std::optional<int64_t> usage_prompt, usage_completion;
  const auto t0 = Clock::now();
  try {
    const http::HttpResponseHead head = client.post_lines(
        e.base_url + path, headers, body, "application/json", [&](std::string_view line) {
          const SseEvent ev = parse_sse_line(line);
          if (ev.kind == SseEvent::Kind::kError && r.error.empty())
            r.error = "error event: " + ev.error;
          if (ev.has_text) {
            r.token_at_s.push_back(std::chrono::duration<double>(Clock::now() - t0).count());
            ++text_chunks;
          }
          if (ev.prompt_tokens) usage_prompt = ev.prompt_tokens;
          if (ev.completion_tokens) usage_completion = ev.completion_tokens;
        });
    r.e2e_s = std::chrono::duration<double>(Clock::now() - t0).count();
    if (head.status < 200 || head.status >= 300)
      r.error = "HTTP " + std::to_string(head.status) + ": " + head.error_body.substr(0, 300);
  } catch (const std::exception& ex) {
    r.e2e_s = std::chrono::duration<double>(Clock::now() - t0).count();
    r.error = ex.what();
  }
  if (r.error.empty() && r.token_at_s.empty()) r.error = "the answer carried no text";
  r.ok = r.error.empty();
  r.prompt_tokens = usage_prompt.value_or(0);
  r.output_tokens = usage_completion.value_or(text_chunks);
  return r;
}

}  // namespace junction::compare
