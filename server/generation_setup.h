// From parsed OpenAI options to an EngineRequest: sampling parameters (request, else serve's
// flags, else generation_config), the context check (a prompt that does not fit is a 400, never
// truncated) and max_tokens clipped to what is left of the context.
#pragma once

#include <cstdint>
#include <vector>

#include "engine/request.h"
#include "server/openai_request.h"
#include "server/serving_context.h"

namespace junction::server {

// Throws ApiError 400 if the prompt is empty, has ids outside the vocabulary, or leaves no room
// in the context. `choice` offsets the seed so n > 1 choices differ.
EngineRequest make_engine_request(const ServingContext& context, const GenerationOptions& options,
                                  std::vector<int32_t> prompt, int choice,
                                  int64_t max_tokens_default_cap = 0);

}  // namespace junction::server
