// CSV as Python's csv.reader reads it (the MMLU files).
#include <gtest/gtest.h>

#include "core/error.h"
#include "eval/csv.h"

namespace junction::eval {
namespace {

TEST(Csv, QuotedFieldsCommasQuotesAndNewlines) {
  const auto rows = parse_csv("a,b\n\"x, y\",\"say \"\"hi\"\"\"\r\n\"two\nlines\",\n", "t");
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0], (CsvRow{"a", "b"}));
  EXPECT_EQ(rows[1], (CsvRow{"x, y", "say \"hi\""}));
  EXPECT_EQ(rows[2], (CsvRow{"two\nlines", ""}));
}

TEST(Csv, LastRowWithoutNewlineAndUnterminatedQuote) {
  EXPECT_EQ(parse_csv("1,2", "t"), (std::vector<CsvRow>{{"1", "2"}}));
  EXPECT_THROW(parse_csv("\"open", "t"), Error);
}

}  // namespace
}  // namespace junction::eval
