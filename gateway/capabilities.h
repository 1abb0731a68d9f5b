// What a model can do that a request may depend on (tools, structured output, images), and
// what a request needs of it. The catalogue (catalogue.h) states each model's capabilities;
// the router (router.h) keeps a request away from deployments that lack one it uses, so a
// request with tools is never silently answered by a model that ignores them. Pure.
#pragma once

#include <string>

#include <nlohmann/json_fwd.hpp>

namespace junction::gateway {

struct Capabilities {
  // false: nothing is known (a model written by hand in the config): every request may go to
  // it, as before capabilities existed.
  bool known = false;
  bool tools = false;        // function calling (`tools`, legacy `functions`)
  bool json_schema = false;  // response_format {type: json_schema} (structured outputs)
  bool reasoning = false;    // thinks before answering (reasoning tokens, effort settings)
  bool vision = false;       // image parts in messages
};

// What one request uses.
struct RequestNeeds {
  bool tools = false;
  bool json_schema = false;
  bool vision = false;
  bool any() const { return tools || json_schema || vision; }
};

// Reads a Chat Completions body (or a legacy Completions body, which needs nothing): a
// non-empty `tools` or `functions` list, `response_format.type == "json_schema"`, and any
// message content part of type image_url (or input_image). Never throws on odd shapes: what
// is not the expected type needs nothing (request_shape.h rejects malformed bodies).
RequestNeeds request_needs(const nlohmann::json& body);

// The first need `caps` lacks, as the request field that uses it ("tools", "response_format",
// "messages"), or "" when it has them all (or nothing is known about it).
std::string missing_capability(const Capabilities& caps, const RequestNeeds& needs);

// "tools", "json_schema" / "vision" for a field missing_capability returned, for messages.
std::string capability_name(const std::string& field);

}  // namespace junction::gateway
