// Test helpers: read a recorded SSE file's data lines; parse "event:/data:" text into events;
// accumulate a Messages event stream into the message it describes (as the SDKs' MessageStream
// does: blocks by index, deltas appended, input_json parsed at the end, message_delta's usage
// fields over message_start's).
#pragma once

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace junction::api::test {

using Json = nlohmann::ordered_json;

inline std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// The payloads of every "data:" line.
inline std::vector<std::string> data_lines(const std::string& sse) {
  std::vector<std::string> out;
  std::istringstream in(sse);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.rfind("data:", 0) != 0) continue;
    line.erase(0, 5);
    if (!line.empty() && line[0] == ' ') line.erase(0, 1);
    out.push_back(line);
  }
  return out;
}

// Each event's data, checked against its `event:` name.
inline std::vector<Json> events(const std::string& sse) {
  std::vector<Json> out;
  std::istringstream in(sse);
  std::string name;
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("event: ", 0) == 0) name = line.substr(7);
    if (line.rfind("data: ", 0) != 0) continue;
    Json e = Json::parse(line.substr(6));
    if (e.value("type", "") != name) throw std::runtime_error("event name " + name + " != type");
    out.push_back(std::move(e));
  }
  return out;
}

inline Json accumulate(const std::vector<Json>& events) {
  Json m;
  std::vector<std::string> json_input;
  for (const Json& e : events) {
    const std::string type = e["type"];
    if (type == "message_start") {
      m = e["message"];
    } else if (type == "content_block_start") {
      EXPECT_EQ(e["index"].get<size_t>(), m["content"].size());
      m["content"].push_back(e["content_block"]);
      json_input.emplace_back();
    } else if (type == "content_block_delta") {
      const size_t i = e["index"];
      Json& b = m["content"].at(i);
      const Json& d = e["delta"];
      const std::string dt = d["type"];
      if (dt == "text_delta")
        b["text"] = b["text"].get<std::string>() + d["text"].get<std::string>();
      if (dt == "thinking_delta")
        b["thinking"] = b["thinking"].get<std::string>() + d["thinking"].get<std::string>();
      if (dt == "signature_delta") b["signature"] = d["signature"];
      if (dt == "input_json_delta") json_input.at(i) += d["partial_json"].get<std::string>();
    } else if (type == "content_block_stop") {
      const size_t i = e["index"];
      if (m["content"].at(i)["type"] == "tool_use" && !json_input.at(i).empty())
        m["content"][i]["input"] = Json::parse(json_input[i]);
    } else if (type == "message_delta") {
      m["stop_reason"] = e["delta"]["stop_reason"];
      m["stop_sequence"] = e["delta"]["stop_sequence"];
      for (auto& [k, v] : e["usage"].items()) m["usage"][k] = v;
    }
  }
  return m;
}

}  // namespace junction::api::test
