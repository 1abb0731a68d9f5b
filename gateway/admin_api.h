// The admin API (Authorization: Bearer ADMIN_KEY): keys, credits, usage and provider health.
//   POST   /admin/keys               {name, credits, rpm, tpm, models, daily_limit,
//                                     monthly_limit} -> {id, key}
//   GET    /admin/keys/{id}
//   POST   /admin/keys/{id}/credits  {amount}   (USD; negative removes)
//   DELETE /admin/keys/{id}          disables the key; its usage stays
//   GET    /admin/usage?key_id=&since=&limit=  (since: Unix ms)
//   GET    /admin/providers          health, latency, circuit state per deployment
// The key itself is returned once, at creation; only its hash is stored.
#pragma once

#include "gateway/gateway_state.h"
#include "http/http_server.h"

namespace junction::gateway {

void handle_admin(GatewayState& g, const http::HttpRequest& req, http::HttpResponder& res);

}  // namespace junction::gateway
