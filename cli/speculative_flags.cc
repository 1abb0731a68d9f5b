#include "cli/speculative_flags.h"

#include "session/draft_model.h"

namespace junction::cli {

void add_speculative_flags(CLI::App* cmd, SpeculativeFlags& flags) {
  cmd->add_option("--model-draft,--md", flags.model_draft,
                  "Draft model for speculative decoding (same vocabulary as the model, e.g. a "
                  "Qwen3-0.6B for a Qwen3-8B)");
  cmd->add_option("--draft-max,--draft-n", flags.draft_max,
                  "Tokens drafted per step at most; the length adapts to the acceptance and "
                  "drafting pauses while it is low (0: no speculative decoding)")
      ->check(CLI::Range(0, 64));
  cmd->add_flag("--ngram", flags.ngram,
                "Speculative decoding by prompt lookup: draft what followed the last 1-4 tokens' "
                "latest earlier occurrence in the prompt and output (no draft model needed)");
}

SpeculativeOptions speculative_options(const SpeculativeFlags& flags,
                                       const session::OpenModel& target,
                                       std::unique_ptr<Model>* draft) {
  SpeculativeOptions o;
  o.ngram = flags.ngram;
  o.length.max_length = flags.draft_max;
  o.length.start_length = std::min<int64_t>(o.length.start_length, flags.draft_max);
  if (!flags.model_draft.empty()) {
    *draft = session::open_draft_model(flags.model_draft, target);
    o.draft_model = draft->get();
  }
  return o;
}

std::string describe(const SpeculativeOptions& options, const SpeculativeFlags& flags) {
  if (!options.enabled()) return "speculative decoding off";
  return std::string("speculative decoding: ") +
         (options.draft_model ? "draft model " + flags.model_draft : std::string("prompt lookup")) +
         ", up to " + std::to_string(options.length.max_length) + " tokens a step";
}

}  // namespace junction::cli
