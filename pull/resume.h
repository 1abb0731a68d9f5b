// The decisions of a resumable download, apart from the I/O that acts on them: what to ask for
// given a leftover <file>.part, and what a server's answer to a Range request means (206 with a
// matching Content-Range appends; 200 means the server ignored Range and sends the whole file;
// 416 means the .part already holds everything, or is longer than the file). Pure.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace junction::pull {

struct ResumePlan {
  uint64_t offset = 0;        // bytes of the .part kept // bytes
  bool discard_part = false;  // the .part is longer than the file: start over
  bool complete = false;      // the .part already has every byte: only verify and rename
  std::string range_header;   // "bytes=N-" or "" for a plain GET
};

// part_bytes: size of the existing .part (0 if none); expected_size: the hub's size, if known.
ResumePlan plan_resume(uint64_t part_bytes, std::optional<uint64_t> expected_size);

struct ContentRange {
  std::optional<uint64_t> first, last;  // absent for "bytes */TOTAL"
  std::optional<uint64_t> total;        // absent for "bytes A-B/*"
};
std::optional<ContentRange> parse_content_range(std::string_view header);

enum class ResumeAction {
  kAppend,             // write the body after the kept `offset` bytes
  kRestartWithBody,    // the body is the whole file: truncate the .part and write it
  kRetryWithoutRange,  // drop the .part and ask again without Range
  kComplete,           // nothing more to fetch
  kFail,               // not a success status: report the HTTP error
};

ResumeAction decide_resume(int status, uint64_t offset, std::string_view content_range);

}  // namespace junction::pull
