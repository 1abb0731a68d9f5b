#include "gateway/model_listing.h"

#include <cstdio>

namespace junction::gateway {

using Json = nlohmann::ordered_json;

std::string usd_per_token(double usd_per_mtok) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.12g", usd_per_mtok / 1e6);
  return buf;
}

Capabilities model_capabilities(const RoutedModel& m) {
  Capabilities out;
  out.known = !m.deployments.empty();
  for (const DeploymentConfig& d : m.deployments) {
    if (!d.capabilities.known) return {};
    out.tools |= d.capabilities.tools;
    out.json_schema |= d.capabilities.json_schema;
    out.reasoning |= d.capabilities.reasoning;
    out.vision |= d.capabilities.vision;
  }
  return out;
}

Json model_listing_entry(const RoutedModel& m) {
  Json providers = Json::array();
  for (const auto& d : m.deployments) providers.push_back(d.provider);
  const double cached =
      m.price.cached_input_per_mtok < 0 ? m.price.input_per_mtok : m.price.cached_input_per_mtok;
  const Capabilities caps = model_capabilities(m);
  Json inputs = Json::array({"text"});
  if (caps.known && caps.vision) inputs.push_back("image");
  Json params = Json::array({"max_tokens", "temperature", "top_p", "stop", "stream"});
  if (caps.tools) {
    params.push_back("tools");
    params.push_back("tool_choice");
  }
  if (caps.json_schema) {
    params.push_back("response_format");
    params.push_back("structured_outputs");
  }
  if (caps.reasoning) {
    params.push_back("reasoning");
    params.push_back("include_reasoning");
  }
  const Json context = m.context_length > 0 ? Json(m.context_length) : Json();
  return {{"id", m.name},
          {"object", "model"},
          {"created", 0},
          {"owned_by", "junction"},
          {"name", m.name},
          {"aliases", m.aliases},
          {"context_length", context},
          {"architecture",
           {{"modality", caps.known && caps.vision ? "text+image->text" : "text->text"},
            {"input_modalities", inputs},
            {"output_modalities", Json::array({"text"})}}},
          {"pricing",
           {{"prompt", usd_per_token(m.price.input_per_mtok)},
            {"completion", usd_per_token(m.price.output_per_mtok)},
            {"request", "0"},
            {"image", "0"},
            {"input_cache_read", usd_per_token(cached)}}},
          {"top_provider",
           {{"context_length", context},
            {"max_completion_tokens", m.max_output_tokens > 0 ? Json(m.max_output_tokens) : Json()},
            {"is_moderated", false}}},
          {"supported_parameters", params},
          {"capabilities", caps.known ? Json{{"tools", caps.tools},
                                             {"json_schema", caps.json_schema},
                                             {"reasoning", caps.reasoning},
                                             {"vision", caps.vision}}
                                      : Json()},
          {"providers", providers},
          {"fallbacks", m.fallbacks}};
}

}  // namespace junction::gateway
