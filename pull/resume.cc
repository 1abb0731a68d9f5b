#include "pull/resume.h"

#include <charconv>

namespace junction::pull {
namespace {

std::optional<uint64_t> parse_u64(std::string_view s) {
  uint64_t v = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size() || s.empty()) return std::nullopt;
  return v;
}

}  // namespace

ResumePlan plan_resume(uint64_t part_bytes, std::optional<uint64_t> expected_size) {
  ResumePlan plan;
  if (part_bytes == 0) return plan;
  if (expected_size && part_bytes > *expected_size) {
    plan.discard_part = true;
    return plan;
  }
  plan.offset = part_bytes;
  if (expected_size && part_bytes == *expected_size) {
    plan.complete = true;
    return plan;
  }
  plan.range_header = "bytes=" + std::to_string(part_bytes) + "-";
  return plan;
}

std::optional<ContentRange> parse_content_range(std::string_view h) {
  if (!h.starts_with("bytes ")) return std::nullopt;
  h.remove_prefix(6);
  const size_t slash = h.find('/');
  if (slash == std::string_view::npos) return std::nullopt;
  ContentRange r;
  const std::string_view range = h.substr(0, slash), total = h.substr(slash + 1);
  if (total != "*") {
    r.total = parse_u64(total);
    if (!r.total) return std::nullopt;
  }
  if (range != "*") {
    const size_t dash = range.find('-');
    if (dash == std::string_view::npos) return std::nullopt;
    r.first = parse_u64(range.substr(0, dash));
    r.last = parse_u64(range.substr(dash + 1));
    if (!r.first || !r.last || *r.last < *r.first) return std::nullopt;
  }
  return r;
}

ResumeAction decide_resume(int status, uint64_t offset, std::string_view content_range) {
  if (status == 200) return offset == 0 ? ResumeAction::kAppend : ResumeAction::kRestartWithBody;
  if (status == 206) {
    const auto r = parse_content_range(content_range);
    if (offset > 0 && r && r->first == offset) return ResumeAction::kAppend;
    return ResumeAction::kRetryWithoutRange;  // a range we did not ask for
  }
  if (status == 416 && offset > 0) {
    const auto r = parse_content_range(content_range);
    if (r && r->total == offset) return ResumeAction::kComplete;
    return ResumeAction::kRetryWithoutRange;
  }
  return ResumeAction::kFail;
}

}  // namespace junction::pull
