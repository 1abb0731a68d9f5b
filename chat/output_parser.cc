// ChatOutputParser: reasoning split, then tool-call extraction on the content stream.
#include "chat/output_parser.h"

namespace junction::chat {

ChatOutputParser::ChatOutputParser(ChatParserOptions options)
    : reasoning_(std::move(options.reasoning)), tools_(std::move(options.tools)) {}

ChatDelta ChatOutputParser::pass_content(ReasoningParser::Delta r, bool finishing) {
  ChatDelta out;
  out.reasoning_content = std::move(r.reasoning);
  ToolCallParser::Delta t = tools_.feed(r.content);
  out.content = std::move(t.content);
  out.tool_calls = std::move(t.tool_calls);
  if (finishing) {
    ToolCallParser::Delta f = tools_.finish();
    out.content += f.content;
    for (auto& c : f.tool_calls) out.tool_calls.push_back(std::move(c));
  }
  return out;
}

ChatDelta ChatOutputParser::feed(std::string_view piece) {
  return pass_content(reasoning_.feed(piece), false);
}

ChatDelta ChatOutputParser::finish() {
  return pass_content(reasoning_.finish(), true);
}

void apply_delta(ParsedMessage& message, const ChatDelta& delta) {
  message.reasoning_content += delta.reasoning_content;
  message.content += delta.content;
  for (const auto& c : delta.tool_calls) message.tool_calls.push_back(c.call);
}

ParsedMessage parse_chat_output(std::string_view text, const ChatParserOptions& options) {
  ChatOutputParser parser(options);
  ParsedMessage m;
  apply_delta(m, parser.feed(text));
  apply_delta(m, parser.finish());
  return m;
}

}  // namespace junction::chat
