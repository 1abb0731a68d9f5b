// The conversations `previous_response_id` continues (OpenAI Responses API, `store: true`): per
// response id, the chat messages of its input and output (without its instructions, which
// OpenAI does not carry over) and who may read them (a gateway key id; "" on an engine with one
// key). In memory and bounded: at most `max_responses` responses and `max_total_bytes` of JSON
// (the oldest forgotten first), and a conversation longer than `max_bytes` is not stored
// (continuing it is a 400, as for an unknown id). Thread-safe.
#pragma once

#include <cstddef>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

namespace junction::api {

class ResponseStore {
 public:
  explicit ResponseStore(size_t max_responses = 4096, size_t max_bytes = size_t{4} << 20,
                         size_t max_total_bytes = size_t{256} << 20)
      : max_responses_(max_responses), max_bytes_(max_bytes), max_total_bytes_(max_total_bytes) {}

  void put(const std::string& id, const std::string& owner, nlohmann::ordered_json messages);
  // The messages stored under `id` for `owner`; nullopt if unknown, forgotten or another's.
  std::optional<nlohmann::ordered_json> get(const std::string& id, const std::string& owner) const;

 private:
  struct Entry {
    std::string owner;
    std::string messages;  // JSON text: compact, and a copy per reader anyway
  };
  size_t max_responses_, max_bytes_, max_total_bytes_;
  size_t total_bytes_ = 0;  // of the messages kept
  mutable std::mutex mutex_;
  std::map<std::string, Entry> entries_;
  std::deque<std::string> order_;  // ids, oldest first
};

}  // namespace junction::api
