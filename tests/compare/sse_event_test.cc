// Server-sent event lines of OpenAI-compatible streams, as vLLM, llama.cpp and junction send
// them.
#include "compare/sse_event.h"

#include <gtest/gtest.h>

namespace junction::compare {
namespace {

TEST(Sse, CompletionsTextIsAToken) {
  const SseEvent e = parse_sse_line(R"(data: {"choices":[{"index":0,"text":" the"}]})");
  EXPECT_EQ(e.kind, SseEvent::Kind::kData);
  EXPECT_TRUE(e.has_text);
}

TEST(Sse, ChatRoleChunkAndEmptyContentAreNotTokens) {
  EXPECT_FALSE(parse_sse_line(R"(data: {"choices":[{"delta":{"role":"assistant"}}]})").has_text);
  EXPECT_FALSE(parse_sse_line(R"(data: {"choices":[{"delta":{"content":""}}]})").has_text);
  EXPECT_TRUE(parse_sse_line(R"(data: {"choices":[{"delta":{"content":"Hi"}}]})").has_text);
  EXPECT_TRUE(
      parse_sse_line(R"(data: {"choices":[{"delta":{"reasoning_content":"Hmm"}}]})").has_text);
}

TEST(Sse, UsageDoneCommentsAndErrors) {
  const SseEvent usage = parse_sse_line(
      R"(data: {"choices":[],"usage":{"prompt_tokens":5,"completion_tokens":7,"total_tokens":12}})");
  EXPECT_FALSE(usage.has_text);
  EXPECT_EQ(usage.prompt_tokens, 5);
  EXPECT_EQ(usage.completion_tokens, 7);
  EXPECT_EQ(parse_sse_line("data: [DONE]").kind, SseEvent::Kind::kDone);
  EXPECT_EQ(parse_sse_line("data:[DONE]").kind, SseEvent::Kind::kDone);
  EXPECT_EQ(parse_sse_line(": keep-alive").kind, SseEvent::Kind::kIgnored);
  EXPECT_EQ(parse_sse_line("").kind, SseEvent::Kind::kIgnored);
  EXPECT_EQ(parse_sse_line("data: {not json").kind, SseEvent::Kind::kIgnored);
  const SseEvent err = parse_sse_line(R"(data: {"error":{"message":"context too long"}})");
  EXPECT_EQ(err.kind, SseEvent::Kind::kError);
  EXPECT_EQ(err.error, "context too long");
}

}  // namespace
}  // namespace junction::compare
