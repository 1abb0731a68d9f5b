#include "pull/resume.h"

#include <gtest/gtest.h>

namespace junction::pull {
namespace {

TEST(Resume, Plan) {
  ResumePlan p = plan_resume(0, 100);
  EXPECT_EQ(p.offset, 0u);
  EXPECT_TRUE(p.range_header.empty());
  EXPECT_FALSE(p.complete);
  p = plan_resume(40, 100);
  EXPECT_EQ(p.offset, 40u);
  EXPECT_EQ(p.range_header, "bytes=40-");
  p = plan_resume(40, std::nullopt);
  EXPECT_EQ(p.range_header, "bytes=40-");
  p = plan_resume(100, 100);
  EXPECT_TRUE(p.complete);
  EXPECT_EQ(p.offset, 100u);
  EXPECT_TRUE(p.range_header.empty());
  p = plan_resume(150, 100);
  EXPECT_TRUE(p.discard_part);
  EXPECT_EQ(p.offset, 0u);
  EXPECT_TRUE(p.range_header.empty());
}

TEST(Resume, ParsesContentRange) {
  auto r = parse_content_range("bytes 40-99/100");
  ASSERT_TRUE(r);
  EXPECT_EQ(*r->first, 40u);
  EXPECT_EQ(*r->last, 99u);
  EXPECT_EQ(*r->total, 100u);
  r = parse_content_range("bytes */100");
  ASSERT_TRUE(r);
  EXPECT_FALSE(r->first);
  EXPECT_EQ(*r->total, 100u);
  r = parse_content_range("bytes 0-9/*");
  ASSERT_TRUE(r);
  EXPECT_FALSE(r->total);
  for (const char* bad : {"", "bytes", "bytes 5-1/10", "bytes a-b/10", "items 0-1/2", "bytes 1-2"})
    EXPECT_FALSE(parse_content_range(bad)) << bad;
}

TEST(Resume, DecidesFromTheAnswer) {
  EXPECT_EQ(decide_resume(200, 0, ""), ResumeAction::kAppend);
  EXPECT_EQ(decide_resume(206, 40, "bytes 40-99/100"), ResumeAction::kAppend);
  // The server ignored Range: the body is the whole file.
  EXPECT_EQ(decide_resume(200, 40, ""), ResumeAction::kRestartWithBody);
  // A range other than the one asked for.
  EXPECT_EQ(decide_resume(206, 40, "bytes 0-99/100"), ResumeAction::kRetryWithoutRange);
  EXPECT_EQ(decide_resume(206, 40, "nonsense"), ResumeAction::kRetryWithoutRange);
  EXPECT_EQ(decide_resume(416, 100, "bytes */100"), ResumeAction::kComplete);
  EXPECT_EQ(decide_resume(416, 120, "bytes */100"), ResumeAction::kRetryWithoutRange);
  EXPECT_EQ(decide_resume(404, 40, ""), ResumeAction::kFail);
  EXPECT_EQ(decide_resume(416, 0, "bytes */100"), ResumeAction::kFail);
  EXPECT_EQ(decide_resume(401, 0, ""), ResumeAction::kFail);
}

}  // namespace
}  // namespace junction::pull
