// Plain results of parsing a model's output: a whole message, and the deltas a streaming parse
// emits. Concatenating every delta's reasoning_content / content and collecting every delta's
// tool calls gives the whole-message parse.
#pragma once

#include <string>
#include <vector>

namespace junction::chat {

// One OpenAI-style function call (type is always "function").
struct ToolCall {
  std::string id;         // "call_..." from the parser's id source
  std::string name;       // function.name
  std::string arguments;  // function.arguments: a JSON object serialized compactly
  bool operator==(const ToolCall&) const = default;
};

struct ParsedMessage {
  std::string reasoning_content;
  std::string content;
  std::vector<ToolCall> tool_calls;
  bool operator==(const ParsedMessage&) const = default;
};

// A tool call is emitted once, complete, when its closing tag arrives; index counts calls in
// the message from 0.
struct ToolCallDelta {
  int index = 0;
  ToolCall call;
  bool operator==(const ToolCallDelta&) const = default;
};

struct ChatDelta {
  std::string reasoning_content;
  std::string content;
  std::vector<ToolCallDelta> tool_calls;
  bool empty() const { return reasoning_content.empty() && content.empty() && tool_calls.empty(); }
};

}  // namespace junction::chat
