// A model's raw output text -> OpenAI-style message parts, whole or streaming: reasoning
// (ReasoningParser) first, then tool calls in what remains (ToolCallParser). Feed decoded text
// pieces as they come; each feed returns what became certain; finish() flushes the rest. The
// concatenation of all deltas equals parse_chat_output() of the whole text, however the text
// was split.
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "chat/chat_message.h"
#include "chat/reasoning_parser.h"
#include "chat/tool_call_parser.h"

namespace junction::chat {

struct ChatParserOptions {
  ReasoningOptions reasoning;  // reasoning.enabled = false for thinking disabled
  ToolCallOptions tools;       // tools.hermes / tools.deepseek = false to ignore a format
};

class ChatOutputParser {
 public:
  explicit ChatOutputParser(ChatParserOptions options = {});
  ChatDelta feed(std::string_view piece);
  ChatDelta finish();

 private:
  ChatDelta pass_content(ReasoningParser::Delta r, bool finishing);

  ReasoningParser reasoning_;
  ToolCallParser tools_;
};

ParsedMessage parse_chat_output(std::string_view text, const ChatParserOptions& options = {});

// Adds a delta to an accumulating message.
void apply_delta(ParsedMessage& message, const ChatDelta& delta);

}  // namespace junction::chat
