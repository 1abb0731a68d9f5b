// --model-draft, --draft-max and --ngram: speculative decoding for the commands that generate
// (serve, run), with llama.cpp's names where it has them.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include <CLI/CLI.hpp>

#include "engine/speculative_sequence.h"
#include "session/open_model.h"

namespace junction::cli {

struct SpeculativeFlags {
  std::string model_draft;  // a draft model's path or name; empty: none
  int64_t draft_max = 8;    // tokens drafted per step at most
  bool ngram = false;       // prompt-lookup drafting
};

void add_speculative_flags(CLI::App* cmd, SpeculativeFlags& flags);

// Loads the draft model when one is named (prepared for the target's backend, its vocabulary
// checked; throws Error otherwise) into *draft, which must outlive the engine, and returns the
// engine's options.
SpeculativeOptions speculative_options(const SpeculativeFlags& flags,
                                       const session::OpenModel& target,
                                       std::unique_ptr<Model>* draft);

// "speculative: off", or what drafts and how many tokens at most, for a start-up line.
std::string describe(const SpeculativeOptions& options, const SpeculativeFlags& flags);

}  // namespace junction::cli
