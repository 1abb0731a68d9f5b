// The admin API (Authorization: Bearer ADMIN_KEY): keys, credits, usage and provider health.
//   POST   /admin/keys               {name, credits, rpm, tpm, models, daily_limit,
//                                     monthly_limit} -> {id, key}
//   GET    /admin/keys?limit=     the keys, newest first (limit 1..10000, default 500)
//   GET    /admin/keys/{id}
//   POST   /admin/keys/{id}/credits  {amount, note}   (USD; negative removes; recorded as a
//                                     grant; an Idempotency-Key header makes a resend apply once)
//   POST   /admin/keys/{id}/limits   {rpm, tpm, daily_limit, monthly_limit}: those named change
//   DELETE /admin/keys/{id}          disables the key; its usage stays
//   GET    /admin/usage?key_id=&since=&limit=&order=  (since: Unix ms; order: oldest, the
//                                     default, or newest: the latest `limit`, newest first)
//   GET    /admin/providers          health, latency, circuit state per deployment
//   GET    /admin/audit              the ledger per key (store.h): granted - balance =
//                                     settled + reserved; "ok" when every key's drift is 0
// The key itself is returned once, at creation; only its hash is stored.
#pragma once

#include <string>
#include <vector>

#include "gateway/gateway_state.h"
#include "http/http_server.h"

namespace junction::gateway {

// GET /admin/audit's body (also `junction admin audit`'s output), nano-USD as integers.
std::string audit_json(const std::vector<KeyAudit>& keys);

void handle_admin(GatewayState& g, const http::HttpRequest& req, http::HttpResponder& res);

}  // namespace junction::gateway
