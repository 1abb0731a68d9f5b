#include "session/draft_model.h"

#include <string>

#include "core/error.h"
#include "engine/drafter_model.h"
#include "session/model_text.h"

namespace junction::session {

std::unique_ptr<Model> open_draft_model(const std::string& name_or_path, const OpenModel& target) {
  const std::string path = resolve_model(name_or_path);
  std::unique_ptr<Model> draft = Model::load(path);
  check_draft_vocabulary(target.model->config(), draft->config());
  if (target.tokenizer) {
    const ModelText text = load_model_text(path);
    if (const tokenizer::Tokenizer* t = text.tokenizer.get()) {
      const tokenizer::Tokenizer& mine = *target.tokenizer;
      if (t->vocab_size() != mine.vocab_size())
        throw Error("the draft model's tokenizer has " + std::to_string(t->vocab_size()) +
                    " tokens but the target's has " + std::to_string(mine.vocab_size()) +
                    ": a draft model must share the target's vocabulary");
      for (size_t id = 0; id < mine.vocab_size(); ++id)
        if (t->id_to_token(static_cast<int32_t>(id)) != mine.id_to_token(static_cast<int32_t>(id)))
          throw Error("the draft model's token " + std::to_string(id) + " is '" +
                      std::string(t->id_to_token(static_cast<int32_t>(id))) +
                      "' but the target's is '" +
                      std::string(mine.id_to_token(static_cast<int32_t>(id))) +
                      "': a draft model must share the target's vocabulary");
    }
  }
  draft->prepare_weights(*target.backend);
  return draft;
}

}  // namespace junction::session
