// Incremental <think> splitting (see reasoning_parser.h).
#include "chat/reasoning_parser.h"

#include "chat/tag_scan.h"

namespace junction::chat {

ReasoningParser::ReasoningParser(ReasoningOptions options) : options_(std::move(options)) {
  state_ = !options_.enabled              ? State::kContent
           : options_.starts_in_reasoning ? State::kReasoning
                                          : State::kStart;
}

void ReasoningParser::emit_reasoning(Delta& d, std::string_view text) {
  if (!reasoning_started_) {
    size_t b = 0;
    while (b < text.size() && is_ascii_space(text[b])) ++b;
    text.remove_prefix(b);
    if (text.empty()) return;
    reasoning_started_ = true;
  }
  d.reasoning += text;
}

void ReasoningParser::step(Delta& d) {
  while (true) {
    switch (state_) {
      case State::kStart: {
        size_t b = 0;
        while (b < buffer_.size() && is_ascii_space(buffer_[b])) ++b;
        std::string_view rest = std::string_view(buffer_).substr(b);
        const std::string& tag = options_.start_tag;
        if (rest.size() >= tag.size() && rest.substr(0, tag.size()) == tag) {
          buffer_.erase(0, b + tag.size());
          state_ = State::kReasoning;
          continue;
        }
        if (rest.size() < tag.size() && std::string_view(tag).substr(0, rest.size()) == rest)
          return;  // undecided
        state_ = State::kContent;
        continue;
      }
      case State::kReasoning: {
        size_t pos = buffer_.find(options_.end_tag);
        if (pos != std::string::npos) {
          emit_reasoning(d, std::string_view(buffer_).substr(0, trim_end(buffer_, pos)));
          buffer_.erase(0, pos + options_.end_tag.size());
          state_ = State::kAfterReasoning;
          continue;
        }
        size_t hold = buffer_.size() - partial_tag_suffix(buffer_, {options_.end_tag});
        hold = trim_end(buffer_, hold);
        emit_reasoning(d, std::string_view(buffer_).substr(0, hold));
        buffer_.erase(0, hold);
        return;
      }
      case State::kAfterReasoning: {
        size_t b = 0;
        while (b < buffer_.size() && is_ascii_space(buffer_[b])) ++b;
        buffer_.erase(0, b);
        if (buffer_.empty()) return;
        state_ = State::kContent;
        continue;
      }
      case State::kContent:
        d.content += buffer_;
        buffer_.clear();
        return;
    }
  }
}

ReasoningParser::Delta ReasoningParser::feed(std::string_view piece) {
  Delta d;
  buffer_ += piece;
  step(d);
  return d;
}

ReasoningParser::Delta ReasoningParser::finish() {
  Delta d;
  if (state_ == State::kStart) state_ = State::kContent;
  if (state_ == State::kReasoning) {
    emit_reasoning(d, std::string_view(buffer_).substr(0, trim_end(buffer_, buffer_.size())));
  } else if (state_ == State::kContent) {
    d.content += buffer_;
  }
  buffer_.clear();
  return d;
}

}  // namespace junction::chat
