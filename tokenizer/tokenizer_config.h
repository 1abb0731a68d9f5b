// What junction reads from tokenizer_config.json (and chat_template.jinja beside it): the
// special-token names, whether to prepend BOS, and the chat template. Everything else in that
// file is transformers' business.
#pragma once

#include <optional>
#include <string>

namespace junction::tokenizer {

struct TokenizerConfig {
  std::optional<std::string> bos_token;
  std::optional<std::string> eos_token;
  std::optional<std::string> pad_token;
  std::optional<bool> add_bos_token;
  std::optional<bool> add_eos_token;
  std::string chat_template;  // "" when none
};

// Reads `dir`/tokenizer_config.json and `dir`/chat_template.jinja, both optional (a missing
// file gives the defaults). A malformed file throws junction::Error naming it and the field.
TokenizerConfig load_tokenizer_config(const std::string& dir);

}  // namespace junction::tokenizer
