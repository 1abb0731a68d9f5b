// Extracts tool calls from a model's (non-reasoning) output, incrementally, in two formats:
//  - Qwen3 / Hermes: <tool_call>\n{"name": ..., "arguments": {...}}\n</tool_call>, repeated.
//  - DeepSeek: <｜tool▁calls▁begin｜><｜tool▁call▁begin｜>function<｜tool▁sep｜>NAME\n```json\n
//    {...}\n```<｜tool▁call▁end｜>...<｜tool▁calls▁end｜>, and the R1-0528 form
//    <｜tool▁call▁begin｜>NAME<｜tool▁sep｜>{...}<｜tool▁call▁end｜> (with or without the outer
//    calls_begin/calls_end wrapper).
// A call is emitted whole when its closing tag arrives; arguments are re-serialized compactly.
// Whitespace between content and a call, between calls and after the last call is dropped. A
// malformed call (bad JSON, no name, unterminated at the end) degrades to plain content: its
// raw text, with the whitespace before it, is emitted as content.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "chat/chat_message.h"

namespace junction::chat {

struct ToolCallOptions {
  bool hermes = true;
  bool deepseek = true;
  // Source of tool-call ids; empty means "call_" + 24 random alphanumerics per call.
  std::function<std::string()> id_source;
};

class ToolCallParser {
 public:
  struct Delta {
    std::string content;
    std::vector<ToolCallDelta> tool_calls;
  };

  explicit ToolCallParser(ToolCallOptions options = {});
  Delta feed(std::string_view piece);
  Delta finish();

 private:
  enum class State { kContent, kAfterCall, kHermes, kDeepSeekBlock, kDeepSeekCall };
  void step(Delta& d);
  void emit_call(Delta& d, std::string name, std::string arguments);
  void degrade(Delta& d, std::string_view raw);

  ToolCallOptions options_;
  std::vector<std::string_view> start_tags_;
  State state_ = State::kContent;
  std::string buffer_;
  std::string ws_before_;  // whitespace dropped before the current tag (restored on degrade)
  std::string open_tag_;   // tag that opened the current call (restored on degrade)
  std::string block_tag_;  // calls_begin tag while its block has produced no call yet
  int n_calls_ = 0;
  uint64_t rng_state_;
};

// Parses one call body; returns false if malformed. Exposed for tests.
bool parse_hermes_call(std::string_view body, std::string& name, std::string& arguments);
bool parse_deepseek_call(std::string_view body, std::string& name, std::string& arguments);

}  // namespace junction::chat
