// Jinja lexer, following jinja2/lexer.py: the root state finds the next `{{`, `{%` or `{#`,
// applies `-` stripping or lstrip_blocks to the text before it, then the tag state lexes
// expression tokens until the matching end delimiter (ignored while brackets are open).
#include "chat/jinja/lexer.h"

#include <cstring>

#include "chat/jinja/error.h"
#include "chat/jinja/pystr.h"

namespace junction::jinja {
namespace {

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}
bool is_name_start(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}
bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

// CRLF and CR become LF; one trailing newline is dropped unless kept.
std::string normalize(std::string_view src, bool keep_trailing_newline) {
  std::string out;
  out.reserve(src.size());
  for (size_t i = 0; i < src.size(); ++i) {
    if (src[i] == '\r') {
      out += '\n';
      if (i + 1 < src.size() && src[i + 1] == '\n') ++i;
    } else {
      out += src[i];
    }
  }
  if (!keep_trailing_newline && !out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

class Lexer {
 public:
  Lexer(std::string src, const LexerOptions& opt) : src_(std::move(src)), opt_(opt) {}

  std::vector<Token> run() {
    bool line_starting = true;
    while (pos_ < src_.size()) {
      size_t tag = find_tag(pos_);
      std::string text = src_.substr(pos_, tag - pos_);
      if (tag == src_.size()) {
        emit_text(text, pos_);
        pos_ = tag;
        break;
      }
      char kind = src_[tag + 1];  // '{', '%' or '#'
      char sign = tag + 2 < src_.size() ? src_[tag + 2] : 0;
      if (sign == '-') {
        size_t end = text.size();
        while (end > 0 && is_space(text[end - 1])) --end;
        text.resize(end);
      } else if (sign != '+' && opt_.lstrip_blocks && kind != '{') {
        size_t nl = text.rfind('\n');
        size_t l_pos = nl == std::string::npos ? 0 : nl + 1;
        if (l_pos > 0 || line_starting) {
          bool only_ws = true;
          for (size_t i = l_pos; i < text.size(); ++i) {
            if (text[i] != ' ' && text[i] != '\t') only_ws = false;
          }
          if (only_ws) text.resize(l_pos);
        }
      }
      emit_text(text, pos_);
      pos_ = tag + 2;
      if (sign == '-' || sign == '+') ++pos_;
      if (kind == '#') {
        line_starting = lex_comment(tag);
      } else if (kind == '%' && try_raw(tag)) {
        line_starting = last_end_newline_;
      } else {
        line_starting = lex_tag(kind == '{', tag);
      }
    }
    push(TokenType::kEof, "", src_.size());
    return std::move(tokens_);
  }

 private:
  size_t find_tag(size_t from) const {
    for (size_t i = from; i + 1 < src_.size(); ++i) {
      if (src_[i] == '{' && (src_[i + 1] == '{' || src_[i + 1] == '%' || src_[i + 1] == '#'))
        return i;
    }
    return src_.size();
  }

  void position(size_t offset, int& line, int& col) {
    // Advance an incremental cursor; offsets are requested in increasing order mostly.
    if (offset < cursor_) cursor_ = 0, cursor_line_ = 1, cursor_col_ = 1;
    for (; cursor_ < offset && cursor_ < src_.size(); ++cursor_) {
      if (src_[cursor_] == '\n') {
        ++cursor_line_, cursor_col_ = 1;
      } else {
        ++cursor_col_;
      }
    }
    line = cursor_line_, col = cursor_col_;
  }

  [[noreturn]] void fail(size_t offset, const std::string& msg) {
    int line, col;
    position(offset, line, col);
    throw TemplateError(line, col, msg);
  }

  Token& push(TokenType type, std::string text, size_t offset) {
    Token t;
    t.type = type;
    t.text = std::move(text);
    position(offset, t.line, t.column);
    tokens_.push_back(std::move(t));
    return tokens_.back();
  }

  void emit_text(const std::string& text, size_t offset) {
    if (!text.empty()) push(TokenType::kText, text, offset);
  }

  // After an end delimiter at `end` (of length `len`): `-` strips all following whitespace,
  // trim_blocks strips one newline after block and comment ends. Returns whether the consumed
  // text ended in a newline (jinja's line_starting for the next lstrip decision).
  bool consume_end(size_t end, size_t len, bool minus, bool plus, bool trims) {
    pos_ = end + len;
    bool nl = false;
    if (minus) {
      while (pos_ < src_.size() && is_space(src_[pos_])) nl = src_[pos_++] == '\n';
    } else if (!plus && trims && opt_.trim_blocks && pos_ < src_.size() && src_[pos_] == '\n') {
      ++pos_;
      nl = true;
    }
    return nl;
  }

  bool lex_comment(size_t begin) {
    size_t end = src_.find("#}", pos_);
    if (end == std::string::npos) fail(begin, "unterminated comment");
    bool minus = end > pos_ && src_[end - 1] == '-';
    bool plus = end > pos_ && src_[end - 1] == '+';
    return consume_end(end, 2, minus, plus, true);
  }

  // `{% raw %}...{% endraw %}`: returns false if the tag is not raw.
  bool try_raw(size_t begin) {
    size_t p = pos_;
    while (p < src_.size() && is_space(src_[p])) ++p;
    if (src_.compare(p, 3, "raw") != 0) return false;
    p += 3;
    if (p < src_.size() && (is_name_start(src_[p]) || is_digit(src_[p]))) return false;
    while (p < src_.size() && is_space(src_[p])) ++p;
    bool minus = false, plus = false;
    if (p < src_.size() && (src_[p] == '-' || src_[p] == '+'))
      minus = src_[p] == '-', plus = !minus, ++p;
    if (src_.compare(p, 2, "%}") != 0) fail(begin, "expected '%}' after raw");
    consume_end(p, 2, minus, plus, true);
    // Find `{%[-+]? endraw [-+]?%}`.
    size_t search = pos_;
    while (true) {
      size_t tag = src_.find("{%", search);
      if (tag == std::string::npos) fail(begin, "unterminated raw block");
      size_t q = tag + 2;
      bool inner_minus = q < src_.size() && src_[q] == '-';
      if (q < src_.size() && (src_[q] == '-' || src_[q] == '+')) ++q;
      while (q < src_.size() && is_space(src_[q])) ++q;
      if (src_.compare(q, 6, "endraw") != 0) {
        search = tag + 2;
        continue;
      }
      q += 6;
      while (q < src_.size() && is_space(src_[q])) ++q;
      bool end_minus = false, end_plus = false;
      if (q < src_.size() && (src_[q] == '-' || src_[q] == '+'))
        end_minus = src_[q] == '-', end_plus = !end_minus, ++q;
      if (src_.compare(q, 2, "%}") != 0) {
        search = tag + 2;
        continue;
      }
      std::string text = src_.substr(pos_, tag - pos_);
      if (inner_minus) {
        while (!text.empty() && is_space(text.back())) text.pop_back();
      }
      emit_text(text, pos_);
      last_end_newline_ = consume_end(q, 2, end_minus, end_plus, true);
      return true;
    }
  }

  bool lex_tag(bool variable, size_t begin) {
    push(variable ? TokenType::kVariableBegin : TokenType::kBlockBegin, "", begin);
    int depth = 0;
    while (true) {
      while (pos_ < src_.size() && is_space(src_[pos_])) ++pos_;
      if (pos_ >= src_.size())
        fail(begin, variable ? "unexpected end of template, expected '}}'"
                             : "unexpected end of template, expected '%}'");
      char c = src_[pos_];
      if (depth == 0) {
        const char* end = variable ? "}}" : "%}";
        bool minus = c == '-' && src_.compare(pos_ + 1, 2, end) == 0;
        bool plus = !variable && c == '+' && src_.compare(pos_ + 1, 2, end) == 0;
        if (minus || plus || src_.compare(pos_, 2, end) == 0) {
          size_t at = pos_;
          size_t end_pos = pos_ + (minus || plus ? 1 : 0);
          push(variable ? TokenType::kVariableEnd : TokenType::kBlockEnd, "", at);
          return consume_end(end_pos, 2, minus, plus, !variable);
        }
      }
      size_t start = pos_;
      if (is_name_start(c)) {
        while (pos_ < src_.size() && (is_name_start(src_[pos_]) || is_digit(src_[pos_]))) ++pos_;
        push(TokenType::kName, src_.substr(start, pos_ - start), start);
      } else if (is_digit(c)) {
        lex_number(start);
      } else if (c == '\'' || c == '"') {
        lex_string(start);
      } else {
        static const char* kOps[] = {"//", "**", "==", "!=", "<=", ">=", "+", "-", "*",
                                     "/",  "%",  "~",  "(",  ")",  "[",  "]", "{", "}",
                                     ",",  ".",  ":",  "|",  "=",  "<",  ">"};
        const char* op = nullptr;
        for (const char* o : kOps) {
          if (src_.compare(pos_, std::strlen(o), o) == 0) {
            op = o;
            break;
          }
        }
        if (!op) fail(start, std::string("unexpected character '") + c + "'");
        pos_ += std::strlen(op);
        if (op[0] == '(' || op[0] == '[' || op[0] == '{') ++depth;
        if ((op[0] == ')' || op[0] == ']' || op[0] == '}') && depth > 0) --depth;
        push(TokenType::kOperator, op, start);
      }
    }
  }

  void lex_number(size_t start) {
    auto digits = [&] {
      while (pos_ < src_.size() &&
             (is_digit(src_[pos_]) ||
              (src_[pos_] == '_' && pos_ + 1 < src_.size() && is_digit(src_[pos_ + 1]))))
        ++pos_;
    };
    digits();
    bool is_float = false;
    if (pos_ + 1 < src_.size() && src_[pos_] == '.' && is_digit(src_[pos_ + 1])) {
      is_float = true;
      ++pos_;
      digits();
    }
    if (pos_ < src_.size() && (src_[pos_] == 'e' || src_[pos_] == 'E')) {
      size_t p = pos_ + 1;
      if (p < src_.size() && (src_[p] == '+' || src_[p] == '-')) ++p;
      if (p < src_.size() && is_digit(src_[p])) {
        pos_ = p;
        digits();
        is_float = true;
      }
    }
    std::string text;
    for (size_t i = start; i < pos_; ++i) {
      if (src_[i] != '_') text += src_[i];
    }
    if (is_float) {
      Token& t = push(TokenType::kFloat, text, start);
      t.float_value = std::strtod(text.c_str(), nullptr);
    } else {
      int64_t v = 0;
      for (char d : text) {
        if (__builtin_mul_overflow(v, 10, &v) || __builtin_add_overflow(v, d - '0', &v))
          fail(start, "integer literal too large");
      }
      Token& t = push(TokenType::kInteger, text, start);
      t.int_value = v;
    }
  }

  void lex_string(size_t start) {
    char quote = src_[pos_++];
    std::string out;
    while (true) {
      if (pos_ >= src_.size()) fail(start, "unterminated string literal");
      char c = src_[pos_++];
      if (c == quote) break;
      if (c != '\\') {
        out += c;
        continue;
      }
      if (pos_ >= src_.size()) fail(start, "unterminated string literal");
      char e = src_[pos_++];
      switch (e) {
        case 'n':
          out += '\n';
          break;
        case 't':
          out += '\t';
          break;
        case 'r':
          out += '\r';
          break;
        case '0':
          out += '\0';
          break;
        case 'a':
          out += '\a';
          break;
        case 'b':
          out += '\b';
          break;
        case 'f':
          out += '\f';
          break;
        case 'v':
          out += '\v';
          break;
        case '\\':
          out += '\\';
          break;
        case '\'':
          out += '\'';
          break;
        case '"':
          out += '"';
          break;
        case '\n':
          break;
        case 'x':
        case 'u':
        case 'U': {
          int n = e == 'x' ? 2 : (e == 'u' ? 4 : 8);
          uint32_t cp = 0;
          for (int i = 0; i < n; ++i) {
            if (pos_ >= src_.size() || !std::isxdigit(static_cast<unsigned char>(src_[pos_])))
              fail(start, "truncated \\" + std::string(1, e) + " escape");
            char h = src_[pos_++];
            cp = cp * 16 + (is_digit(h) ? h - '0' : (std::tolower(h) - 'a' + 10));
          }
          if (cp > 0x10FFFF) fail(start, "escape out of range");
          pystr::append_utf8(out, cp);
          break;
        }
        default:
          out += '\\';
          out += e;
      }
    }
    push(TokenType::kString, out, start);
  }

  std::string src_;
  LexerOptions opt_;
  size_t pos_ = 0;
  std::vector<Token> tokens_;
  size_t cursor_ = 0;
  int cursor_line_ = 1, cursor_col_ = 1;
  bool last_end_newline_ = false;
};

}  // namespace

std::vector<Token> tokenize(std::string_view source, const LexerOptions& options) {
  return Lexer(normalize(source, options.keep_trailing_newline), options).run();
}

}  // namespace junction::jinja
