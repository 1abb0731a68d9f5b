// Lines cut from pieces that split them anywhere, CRLF or LF, with the unfinished tail kept.
#include "http/line_splitter.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace junction::http {
namespace {

TEST(LineSplitter, LinesSplitAcrossPiecesComeOutWholeWithoutTheirCr) {
  LineSplitter s;
  std::vector<std::string> lines;
  auto keep = [&](std::string_view l) { lines.emplace_back(l); };
  for (std::string_view piece :
       {"data: {\"a\"", ":1}\r", "\n\r\n", "data: [DO", "NE]\nevent: x\n", "tail"})
    s.feed(piece, keep);
  EXPECT_EQ(lines, (std::vector<std::string>{"data: {\"a\":1}", "", "data: [DONE]", "event: x"}));
  EXPECT_EQ(s.rest(), "tail");
}

}  // namespace
}  // namespace junction::http
