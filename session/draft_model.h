// Opening a draft model for speculative decoding (--model-draft / --draft): loaded like any model,
// its weights prepared for the target's backend (the engine thread runs both on it), and its
// vocabulary checked against the target's: the same size and, where both ship a tokenizer, the
// same token for every id; a draft whose ids mean other tokens would only ever be rejected.
#pragma once

#include <memory>
#include <string>

#include "session/open_model.h"

namespace junction::session {

// Throws junction::Error naming the first difference when the vocabularies differ.
std::unique_ptr<Model> open_draft_model(const std::string& name_or_path, const OpenModel& target);

}  // namespace junction::session
