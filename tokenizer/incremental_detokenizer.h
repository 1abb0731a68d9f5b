// Streaming decode for one generated sequence: feed ids one at a time, get back the text that
// is now final. Never returns part of a UTF-8 character, and the pieces returned by add() and
// finish() concatenate to exactly Tokenizer::decode of all the ids.
//
// How: it keeps a small window of ids whose text is not all out yet and re-decodes only that
// window (as a continuation, see DecodeContext). Bytes are released up to the last point that
// no later byte can change: a trailing incomplete UTF-8 sequence (at most 3 bytes) and a
// trailing run of ByteFallback <0xXX> tokens (HF decodes a run as a whole) are held back.
// Per-request state: one instance per sequence, not shared between threads.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace junction::tokenizer {

class Tokenizer;

class IncrementalDetokenizer {
 public:
  // `tokenizer` must outlive this object.
  explicit IncrementalDetokenizer(const Tokenizer& tokenizer, bool skip_special_tokens = false);

  // Text made final by `id` (often empty while a character is incomplete).
  std::string add(int32_t id);
  // Everything still held, with incomplete sequences replaced by U+FFFD; resets the state so
  // the object can start a new sequence.
  std::string finish();

 private:
  const Tokenizer* tokenizer_;
  bool skip_special_tokens_;
  std::vector<int32_t> window_;  // ids whose text is not entirely returned yet
  bool first_ = true;            // window_[0] is the first id of the sequence
  size_t emitted_ = 0;           // bytes of decode_bytes(window_) already returned
};

}  // namespace junction::tokenizer
