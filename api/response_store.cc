#include "api/response_store.h"

namespace junction::api {

void ResponseStore::put(const std::string& id, const std::string& owner,
                        nlohmann::ordered_json messages) {
  std::string text = messages.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  if (text.size() > max_bytes_ || max_responses_ == 0) return;
  std::lock_guard lock(mutex_);
  if (auto it = entries_.find(id); it != entries_.end()) {
    total_bytes_ -= it->second.messages.size();
  } else {
    order_.push_back(id);
  }
  total_bytes_ += text.size();
  entries_[id] = Entry{owner, std::move(text)};
  while (order_.size() > max_responses_ || total_bytes_ > max_total_bytes_) {
    auto it = entries_.find(order_.front());
    total_bytes_ -= it->second.messages.size();
    entries_.erase(it);
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
