#include "eval/loglikelihood.h"

#include "core/error.h"

namespace junction::eval {
namespace {

// Decodes the UTF-8 code point that ends at `end` (exclusive); returns its start, or `end` when
// the bytes are not a well-formed sequence.
size_t code_point_start(std::string_view s, size_t end, uint32_t* cp) {
  size_t start = end - 1;
  while (start > 0 && end - start < 4 && (static_cast<unsigned char>(s[start]) & 0xC0) == 0x80)
    --start;
  const auto b0 = static_cast<unsigned char>(s[start]);
  const size_t len = end - start;
  if (len == 1 && b0 < 0x80) {
    *cp = b0;
  } else if (len == 2 && (b0 & 0xE0) == 0xC0) {
    *cp = ((b0 & 0x1Fu) << 6) | (static_cast<unsigned char>(s[start + 1]) & 0x3Fu);
  } else if (len == 3 && (b0 & 0xF0) == 0xE0) {
    *cp = ((b0 & 0x0Fu) << 12) | ((static_cast<unsigned char>(s[start + 1]) & 0x3Fu) << 6) |
          (static_cast<unsigned char>(s[start + 2]) & 0x3Fu);
  } else if (len == 4 && (b0 & 0xF8) == 0xF0) {
    *cp = ((b0 & 0x07u) << 18) | ((static_cast<unsigned char>(s[start + 1]) & 0x3Fu) << 12) |
          ((static_cast<unsigned char>(s[start + 2]) & 0x3Fu) << 6) |
          (static_cast<unsigned char>(s[start + 3]) & 0x3Fu);
  } else {
    return end;
  }
  return start;
}

// Python's str.isspace() for the code points str.strip() removes.
bool is_python_space(uint32_t cp) {
  return (cp >= 0x09 && cp <= 0x0D) || (cp >= 0x1C && cp <= 0x20) || cp == 0x85 || cp == 0xA0 ||
         cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 || cp == 0x2029 ||
         cp == 0x202F || cp == 0x205F || cp == 0x3000;
}

}  // namespace

size_t trailing_whitespace_bytes(std::string_view s) {
  size_t end = s.size();
  while (end > 0) {
    uint32_t cp = 0;
    const size_t start = code_point_start(s, end, &cp);
    if (start == end || !is_python_space(cp)) break;
    end = start;
  }
  return s.size() - end;
}

EncodedPair encode_pair(ScoringBackend& backend, std::string_view context,
                        std::string_view continuation) {
  std::string ctx(context);
  std::string cont(continuation);
  if (const size_t n = trailing_whitespace_bytes(ctx); n > 0) {
    cont = ctx.substr(ctx.size() - n) + cont;
    ctx.resize(ctx.size() - n);
  }
  EncodedPair out;
  if (ctx.empty()) {
    // lm-eval: an empty context scores the continuation after the prefix token alone.
    out.context = {backend.prefix_token()};
    out.continuation = backend.tokenize(cont);
    return out;
  }
  const std::vector<int32_t> whole = backend.tokenize(ctx + cont);
  out.context = backend.tokenize(ctx);
  if (out.context.size() > whole.size())
    throw Error("the context alone tokenizes to more tokens than context + continuation");
  out.continuation.assign(whole.begin() + static_cast<std::ptrdiff_t>(out.context.size()),
                          whole.end());
  return out;
}

Loglikelihood loglikelihood(ScoringBackend& backend, std::string_view context,
                            std::string_view continuation) {
  const EncodedPair pair = encode_pair(backend, context, continuation);
  if (pair.continuation.empty())
    throw Error("the continuation \"" + std::string(continuation) + "\" has no tokens of its own");
  const std::vector<TokenScore> scores = backend.score(pair.context, pair.continuation);
  if (scores.size() != pair.continuation.size())
    throw Error("the backend scored " + std::to_string(scores.size()) + " tokens, expected " +
                std::to_string(pair.continuation.size()));
  Loglikelihood out;
  out.is_greedy = true;
  for (const TokenScore& s : scores) {
    out.logprob += s.logprob;
    out.is_greedy = out.is_greedy && s.is_greedy;
  }
  out.context_tokens = static_cast<int64_t>(pair.context.size());
  out.continuation_tokens = pair.continuation;
  return out;
}

}  // namespace junction::eval
