// An OpenAI chat.completion.chunk stream turned into the Responses API's event stream (each
// event `event: <type>` with a `sequence_number` from 0), one chunk at a time:
// response.created and response.in_progress first; per output item response.output_item.added,
// then for a message response.content_part.added, response.output_text.delta...,
// response.output_text.done, response.content_part.done; for reasoning the same with
// reasoning_text; for a function call response.function_call_arguments.delta... and .done;
// then response.output_item.done with the whole item. A change of kind closes the open item.
// The usage chunk (include_usage, which responses_request.h always asks for) gives the usage;
// [DONE] closes the last item and sends response.completed (or response.incomplete when the
// output was cut at max_output_tokens) with the whole response. An `error` payload becomes an
// `error` event and response.failed. Pure.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "api/responses_response.h"

namespace junction::api {

class ResponsesStream {
 public:
  // `request`: the Responses request body. created_at is the first chunk's `created`.
  explicit ResponsesStream(nlohmann::ordered_json request);

  std::string on_data(std::string_view data);
  bool ended() const { return ended_; }
  // The final response object (valid once ended() after a completion; null otherwise).
  const nlohmann::ordered_json& response() const { return final_; }

 private:
  enum class Item { kNone, kReasoning, kMessage, kFunctionCall };
  std::string event(nlohmann::ordered_json e);
  std::string start(const nlohmann::ordered_json& chunk);
  std::string open(Item kind, nlohmann::ordered_json item);
  std::string close_item();
  std::string on_delta(const nlohmann::ordered_json& delta);
  std::string finish();
  std::string fail(const std::string& message);

  ResponseHead head_;
  bool started_ = false, ended_ = false;
  int64_t sequence_ = 0;
  nlohmann::ordered_json output_ = nlohmann::ordered_json::array();
  Item item_ = Item::kNone;
  std::string text_;        // the open item's text or arguments so far
  int64_t tool_call_ = -1;  // the chat tool_calls index of the open function call
  int64_t n_calls_ = 0;
  nlohmann::ordered_json finish_reason_ = nullptr;
  nlohmann::ordered_json usage_ = nlohmann::ordered_json::object();
  nlohmann::ordered_json final_ = nullptr;
};

}  // namespace junction::api
