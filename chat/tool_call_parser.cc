// Incremental tool-call extraction (see tool_call_parser.h).
#include "chat/tool_call_parser.h"

#include <nlohmann/json.hpp>
#include <random>

#include "chat/tag_scan.h"
#include "core/json_depth.h"

namespace junction::chat {
namespace {

constexpr std::string_view kHermesBegin = "<tool_call>";
constexpr std::string_view kHermesEnd = "</tool_call>";
constexpr std::string_view kCallsBegin = "<｜tool▁calls▁begin｜>";
constexpr std::string_view kCallsEnd = "<｜tool▁calls▁end｜>";
constexpr std::string_view kCallBegin = "<｜tool▁call▁begin｜>";
constexpr std::string_view kCallEnd = "<｜tool▁call▁end｜>";
constexpr std::string_view kSep = "<｜tool▁sep｜>";

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_ascii_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_ascii_space(s.back())) s.remove_suffix(1);
  return s;
}

bool starts_with(std::string_view s, std::string_view p) {
  return s.size() >= p.size() && s.substr(0, p.size()) == p;
}

// A JSON object's compact serialization; false if `text` is not one.
bool json_object(std::string_view text, std::string& out) {
  auto j = parse_json<nlohmann::ordered_json>(text);
  if (j.is_discarded() || !j.is_object()) return false;
  out = j.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
  return true;
}

}  // namespace

bool parse_hermes_call(std::string_view body, std::string& name, std::string& arguments) {
  auto j = parse_json<nlohmann::ordered_json>(trim(body));
  if (j.is_discarded() || !j.is_object()) return false;
  auto n = j.find("name");
  if (n == j.end() || !n->is_string() || n->get<std::string>().empty()) return false;
  auto a = j.find("arguments");
  if (a == j.end()) a = j.find("parameters");
  if (a == j.end() || a->is_null()) {
    arguments = "{}";
  } else if (a->is_object()) {
    arguments = a->dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
  } else if (a->is_string()) {
    if (!json_object(a->get<std::string>(), arguments)) return false;
  } else {
    return false;
  }
  name = n->get<std::string>();
  return true;
}

bool parse_deepseek_call(std::string_view body, std::string& name, std::string& arguments) {
  size_t sep = body.find(kSep);
  if (sep == std::string_view::npos) return false;
  std::string_view left = trim(body.substr(0, sep));
  std::string_view right = body.substr(sep + kSep.size());
  std::string_view args;
  if (left.empty() || left == "function") {
    size_t nl = right.find('\n');
    std::string_view first = nl == std::string_view::npos ? right : right.substr(0, nl);
    size_t brace = first.find('{');  // NAME{...} on one line
    if (brace != std::string_view::npos) nl = brace - 1, first = first.substr(0, brace);
    name = std::string(trim(first));
    args = nl == std::string_view::npos ? std::string_view() : right.substr(nl + 1);
  } else {
    name = std::string(left);
    args = right;
  }
  if (name.empty() || name.find_first_of("\n{}<>\"") != std::string::npos) return false;
  args = trim(args);
  if (starts_with(args, "```")) {
    size_t nl = args.find('\n');
    if (nl == std::string_view::npos) return false;
    args = args.substr(nl + 1);
    args = trim(args);
    if (args.size() < 3 || args.substr(args.size() - 3) != "```") return false;
    args = trim(args.substr(0, args.size() - 3));
  }
  return json_object(args, arguments);
}

ToolCallParser::ToolCallParser(ToolCallOptions options) : options_(std::move(options)) {
  if (options_.hermes) start_tags_.push_back(kHermesBegin);
  if (options_.deepseek) start_tags_.push_back(kCallsBegin), start_tags_.push_back(kCallBegin);
  rng_state_ = std::random_device{}() | (static_cast<uint64_t>(std::random_device{}()) << 32);
}

void ToolCallParser::emit_call(Delta& d, std::string name, std::string arguments) {
  ToolCallDelta delta;
  delta.index = n_calls_++;
  if (options_.id_source) {
    delta.call.id = options_.id_source();
  } else {
    static constexpr char kAlnum[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    std::string id = "call_";
    for (int i = 0; i < 24; ++i) {
      rng_state_ = rng_state_ * 6364136223846793005ULL + 1442695040888963407ULL;  // PCG-style LCG
      id += kAlnum[(rng_state_ >> 33) % 62];
    }
    delta.call.id = std::move(id);
  }
  delta.call.name = std::move(name);
  delta.call.arguments = std::move(arguments);
  d.tool_calls.push_back(std::move(delta));
  ws_before_.clear();
  block_tag_.clear();
}

void ToolCallParser::degrade(Delta& d, std::string_view raw) {
  d.content += ws_before_;
  d.content += raw;
  ws_before_.clear();
}

void ToolCallParser::step(Delta& d) {
  while (true) {
    switch (state_) {
      case State::kAfterCall: {
        size_t b = 0;
        while (b < buffer_.size() && is_ascii_space(buffer_[b])) ++b;
        buffer_.erase(0, b);
        if (buffer_.empty()) return;
        state_ = State::kContent;
        continue;
      }
      case State::kContent: {
        size_t best = std::string::npos;
        std::string_view tag;
        for (std::string_view t : start_tags_) {
          size_t p = buffer_.find(t);
          if (p < best) best = p, tag = t;
        }
        if (best != std::string::npos) {
          size_t end = trim_end(buffer_, best);
          d.content += buffer_.substr(0, end);
          ws_before_ = buffer_.substr(end, best - end);
          open_tag_ = std::string(tag);
          block_tag_ = tag == kCallsBegin ? std::string(tag) : std::string();
          buffer_.erase(0, best + tag.size());
          state_ = tag == kHermesBegin  ? State::kHermes
                   : tag == kCallsBegin ? State::kDeepSeekBlock
                                        : State::kDeepSeekCall;
          continue;
        }
        size_t hold = trim_end(buffer_, buffer_.size() - partial_tag_suffix(buffer_, start_tags_));
        d.content += buffer_.substr(0, hold);
        buffer_.erase(0, hold);
        return;
      }
      case State::kHermes: {
        size_t p = buffer_.find(kHermesEnd);
        if (p == std::string::npos) return;
        std::string name, args;
        if (parse_hermes_call(std::string_view(buffer_).substr(0, p), name, args)) {
          emit_call(d, std::move(name), std::move(args));
          state_ = State::kAfterCall;
        } else {
          degrade(d, open_tag_ + buffer_.substr(0, p + kHermesEnd.size()));
          state_ = State::kContent;
        }
        buffer_.erase(0, p + kHermesEnd.size());
        continue;
      }
      case State::kDeepSeekBlock: {
        size_t b = 0;
        while (b < buffer_.size() && is_ascii_space(buffer_[b])) ++b;
        std::string_view rest = std::string_view(buffer_).substr(b);
        if (starts_with(rest, kCallsEnd)) {
          buffer_.erase(0, b + kCallsEnd.size());
          state_ = State::kAfterCall;
          continue;
        }
        if (starts_with(rest, kCallBegin)) {
          open_tag_ = block_tag_ + buffer_.substr(0, b) + std::string(kCallBegin);
          block_tag_.clear();
          buffer_.erase(0, b + kCallBegin.size());
          state_ = State::kDeepSeekCall;
          continue;
        }
        if (starts_with(kCallsEnd, rest) || starts_with(kCallBegin, rest)) return;  // undecided
        // Not a call: what follows is content again (with the block tag if nothing came of it).
        if (!block_tag_.empty()) degrade(d, block_tag_ + buffer_.substr(0, b)), block_tag_.clear();
        buffer_.erase(0, b);
        state_ = State::kContent;
        continue;
      }
      case State::kDeepSeekCall: {
        size_t p = buffer_.find(kCallEnd);
        if (p == std::string::npos) return;
        std::string name, args;
        if (parse_deepseek_call(std::string_view(buffer_).substr(0, p), name, args)) {
          emit_call(d, std::move(name), std::move(args));
        } else {
          degrade(d, open_tag_ + buffer_.substr(0, p + kCallEnd.size()));
        }
        buffer_.erase(0, p + kCallEnd.size());
        state_ = State::kDeepSeekBlock;
        continue;
      }
    }
  }
}

ToolCallParser::Delta ToolCallParser::feed(std::string_view piece) {
  Delta d;
  buffer_ += piece;
  step(d);
  return d;
}

ToolCallParser::Delta ToolCallParser::finish() {
  Delta d;
  switch (state_) {
    case State::kContent:
      d.content += buffer_;
      break;
    case State::kAfterCall:
      break;
    case State::kHermes:
    case State::kDeepSeekCall:
      degrade(d, open_tag_ + buffer_);
      break;
    case State::kDeepSeekBlock:
      // Whitespace or a partial tag: the block just ended; an empty block is content.
      if (!block_tag_.empty()) degrade(d, block_tag_ + buffer_);
      break;
  }
  buffer_.clear();
  state_ = State::kAfterCall;
  return d;
}

}  // namespace junction::chat
