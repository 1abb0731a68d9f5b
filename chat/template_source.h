// Finding a model's chat template: a user override file, else `chat_template` in
// tokenizer_config.json (a string, or a list of {name, template} where "default" is used),
// else chat_template.jinja beside it. Also reads bos/eos tokens from the config.
#pragma once

#include <string>

namespace junction::chat {

struct TemplateSource {
  std::string text;
  std::string origin;  // the file (and field) it came from, for messages
  std::string bos_token;
  std::string eos_token;
};

// model_dir holds tokenizer_config.json and/or chat_template.jinja; override_path, if
// non-empty, wins. Throws junction::Error saying what was looked for when nothing is found.
TemplateSource find_chat_template(const std::string& model_dir,
                                  const std::string& override_path = "");

}  // namespace junction::chat
