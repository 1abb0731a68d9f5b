#include "api/response_store.h"

namespace junction::api {

void ResponseStore::put(const std::string& id, const std::string& owner,
                        nlohmann::ordered_json messages) {
  std::string text = messages.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  if (text.size() > max_bytes_ || max_responses_ == 0) return;
  std::lock_guard lock(mutex_);
  if (entries_.count(id) == 0) order_.push_back(id);
  entries_[id] = Entry{owner, std::move(text)};
  while (order_.size() > max_responses_) {
    entries_.erase(order_.front());
    order_.pop_front();
  }
}

std::optional<nlohmann::ordered_json> ResponseStore::get(const std::string& id,
                                                         const std::string& owner) const {
  std::string text;
  {
    std::lock_guard lock(mutex_);
    auto it = entries_.find(id);
    if (it == entries_.end() || it->second.owner != owner) return std::nullopt;
    text = it->second.messages;
  }
  return nlohmann::ordered_json::parse(text);
}

}  // namespace junction::api
