// Admission: whether a client's completion request may go upstream, and what it is, before
// anything is held. Reads the body (JSON, at most 128 levels deep) and its shape
// (request_shape.h), resolves the model (`model: "auto"` and named pools by quality,
// quality_router.h; the `models` fallbacks or the config's), checks the key's rights to each,
// the capabilities the request uses (capabilities.h) and the dialect (no text completions on
// the Messages API), and sizes the worst case (reservation_size.h). Returns data: the
// admitted request, or the client's error. Reads the gateway's config, scores and live
// measures; writes nothing.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "gateway/capabilities.h"
#include "gateway/gateway_state.h"
#include "gateway/request_shape.h"
#include "gateway/reservation_size.h"
#include "gateway/store.h"
#include "http/api_error.h"

namespace junction::gateway {

struct Admission {
  // The client's error when refused; the fields below are then filled as far as admission got
  // (`route` for the x-junction-route header).
  std::optional<http::ApiError> refused;
  nlohmann::json body;                     // the request, parsed
  RequestShape shape;                      // its model is the chosen one when auto or a pool chose
  std::vector<const RoutedModel*> models;  // the requested model, then its fallbacks
  std::string route;     // x-junction-route: what `model: "auto"` or a pool chose and why
  RequestNeeds needs;    // the capabilities the request uses
  ReservationSize size;  // the worst case to reserve
};

// `body_text`: the request's body; `chat`: /v1/chat/completions, else /v1/completions.
Admission admit(GatewayState& g, std::string_view body_text, const ApiKeyRecord& key, bool chat);

// May `key` use `model` (by its name or an alias)? A key with no list may use any.
bool key_may_use(const ApiKeyRecord& key, const RoutedModel& model);

}  // namespace junction::gateway
