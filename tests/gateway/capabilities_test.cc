#include "gateway/capabilities.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace junction::gateway {
namespace {

using Json = nlohmann::json;

RequestNeeds needs(const char* body) {
  return request_needs(Json::parse(body));
}

TEST(RequestNeeds, ReadsToolsSchemaAndImages) {
  RequestNeeds n = needs(R"({"model":"m","messages":[{"role":"user","content":"hi"}]})");
  EXPECT_FALSE(n.any());
  n = needs(R"({"messages":[],"tools":[{"type":"function","function":{"name":"f"}}]})");
  EXPECT_TRUE(n.tools);
  EXPECT_FALSE(n.json_schema || n.vision);
  EXPECT_TRUE(needs(R"({"functions":[{"name":"f"}]})").tools);
  EXPECT_FALSE(needs(R"({"tools":[]})").tools);  // an empty list uses no tools
  n = needs(R"({"response_format":{"type":"json_schema","json_schema":{"name":"x"}}})");
  EXPECT_TRUE(n.json_schema);
  // json_object mode is not structured outputs.
  EXPECT_FALSE(needs(R"({"response_format":{"type":"json_object"}})").json_schema);
  n = needs(R"({"messages":[{"role":"user","content":[{"type":"text","text":"what is it"},
             {"type":"image_url","image_url":{"url":"data:image/png;base64,AAAA"}}]}]})");
  EXPECT_TRUE(n.vision);
  EXPECT_FALSE(n.tools);
  EXPECT_FALSE(
      needs(R"({"messages":[{"role":"user","content":[{"type":"text","text":"x"}]}]})").vision);
}

TEST(RequestNeeds, OddShapesNeedNothing) {
  EXPECT_FALSE(needs(R"([])").any());
  EXPECT_FALSE(needs(R"({"tools":"all","response_format":"json_schema","messages":{}})").any());
  EXPECT_FALSE(needs(R"({"messages":[1,null,{"content":[7,{"type":3}]}]})").any());
}

TEST(MissingCapability, FirstLackingFieldOrNothing) {
  RequestNeeds all;
  all.tools = all.json_schema = all.vision = true;
  EXPECT_EQ(missing_capability(Capabilities{}, all), "");  // unknown: not checked
  EXPECT_EQ(missing_capability({true, false, true, false, true}, all), "tools");
  EXPECT_EQ(missing_capability({true, true, false, false, true}, all), "response_format");
  EXPECT_EQ(missing_capability({true, true, true, false, false}, all), "messages");
  EXPECT_EQ(missing_capability({true, true, true, false, true}, all), "");
  EXPECT_EQ(missing_capability({true, false, false, false, false}, RequestNeeds{}), "");
}

}  // namespace
}  // namespace junction::gateway
